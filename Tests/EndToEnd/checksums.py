"""Independent reference implementations of the S3 checksums, so tests do not trust the SDK's own.

Each function returns the value exactly as S3 carries it in `x-amz-checksum-*`: the big-endian
digest, base64-encoded.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib


def _reflect(value: int, width: int) -> int:
    result = 0
    for _ in range(width):
        result = (result << 1) | (value & 1)
        value >>= 1
    return result


def _table(reflected_poly: int) -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ reflected_poly if crc & 1 else crc >> 1
        table.append(crc)
    return table


# CRC-32C (Castagnoli), polynomial 0x1EDC6F41, reflected.
_CRC32C_TABLE = _table(_reflect(0x1EDC6F41, 32))
# CRC-64/NVME, polynomial 0xAD93D23594C93659, reflected, init and xorout all ones.
_CRC64NVME_TABLE = _table(_reflect(0xAD93D23594C93659, 64))


def crc32c_int(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _CRC32C_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc64nvme_int(data: bytes) -> int:
    crc = 0xFFFFFFFFFFFFFFFF
    table = _CRC64NVME_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFFFFFFFFFF


# Standard check values over b"123456789" (the CRC catalogue), verified at import time.
assert crc32c_int(b"123456789") == 0xE3069283
assert crc64nvme_int(b"123456789") == 0xAE8B14860A799888


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def s3_checksum(algorithm: str, data: bytes) -> str:
    """The base64 checksum S3 reports for `data` under `algorithm` (CRC32, CRC32C, CRC64NVME, SHA1, SHA256)."""
    if algorithm == "CRC32":
        return _b64(struct.pack(">I", zlib.crc32(data) & 0xFFFFFFFF))
    if algorithm == "CRC32C":
        return _b64(struct.pack(">I", crc32c_int(data)))
    if algorithm == "CRC64NVME":
        return _b64(struct.pack(">Q", crc64nvme_int(data)))
    if algorithm == "SHA1":
        return _b64(hashlib.sha1(data).digest())
    if algorithm == "SHA256":
        return _b64(hashlib.sha256(data).digest())
    raise ValueError(algorithm)


def content_md5(data: bytes) -> str:
    return _b64(hashlib.md5(data).digest())


def quoted_md5(data: bytes) -> str:
    """The ETag of a single-part upload: the hex MD5 in double quotes."""
    return f'"{hashlib.md5(data).hexdigest()}"'


def multipart_etag(parts: list[bytes]) -> str:
    """The ETag of a completed multipart upload: MD5 of the concatenated binary part MD5s, then `-N`."""
    digests = b"".join(hashlib.md5(part).digest() for part in parts)
    return f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'
