"""SigV4 presigned URLs for the benchmark, identical byte for byte to boto3's `generate_presigned_url`.

boto3 needs close to a millisecond per URL, and a PUT run needs hundreds of thousands of distinct
URLs, so the URLs are computed here (a few microseconds each) and `check_against_boto3` proves,
before any of them is used, that they are exactly the strings boto3 produces for the same keys and
the same signing time (`Config(signature_version="s3v4")`, path style, `UNSIGNED-PAYLOAD`).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from urllib.parse import parse_qs, quote, urlsplit

MAX_EXPIRES_SECONDS = 604_800  # SigV4's limit: one week


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class Presigner:
    """Presigns path-style S3 URLs (`/bucket/key?X-Amz-...`) signed on the `host` header only."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        expires: int = MAX_EXPIRES_SECONDS,
        amz_date: str | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.host = urlsplit(self.endpoint).netloc
        self.expires = expires
        self.amz_date = amz_date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        datestamp = self.amz_date[:8]
        self.scope = f"{datestamp}/{region}/s3/aws4_request"
        key = _hmac(("AWS4" + secret_key).encode(), datestamp)
        for part in (region, "s3", "aws4_request"):
            key = _hmac(key, part)
        self._signing_key = key
        credential = quote(f"{access_key}/{self.scope}", safe="")
        # Canonical (sorted) order; boto3 puts X-Amz-SignedHeaders before X-Amz-Expires in the URL.
        self._canonical_query = (
            f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={credential}&X-Amz-Date={self.amz_date}"
            f"&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host"
        )
        self._url_query = (
            f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={credential}&X-Amz-Date={self.amz_date}"
            f"&X-Amz-SignedHeaders=host&X-Amz-Expires={expires}"
        )
        self._sts_prefix = f"AWS4-HMAC-SHA256\n{self.amz_date}\n{self.scope}\n"

    def path(self, method: str, bucket: str, key: str) -> str:
        """`/bucket/key?query` — what goes on the request line."""
        path = f"/{bucket}/{quote(key, safe='/~')}"
        canonical_request = f"{method}\n{path}\n{self._canonical_query}\nhost:{self.host}\n\nhost\nUNSIGNED-PAYLOAD"
        string_to_sign = self._sts_prefix + hashlib.sha256(canonical_request.encode()).hexdigest()
        signature = hmac.new(self._signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        return f"{path}?{self._url_query}&X-Amz-Signature={signature}"

    def url(self, method: str, bucket: str, key: str) -> str:
        return self.endpoint + self.path(method, bucket, key)


def boto3_client(endpoint: str, access_key: str, secret_key: str, region: str = "us-east-1"):
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"mode": "standard", "total_max_attempts": 1},
        ),
    )


def check_against_boto3(client, presigner_args: dict, bucket: str, keys: list[str]) -> None:
    """Raises unless this module's URLs equal boto3's `generate_presigned_url` for GET and PUT of `keys`."""
    operations = {"GET": "get_object", "PUT": "put_object"}
    for key in keys:
        for method, operation in operations.items():
            expected = client.generate_presigned_url(
                operation, Params={"Bucket": bucket, "Key": key}, ExpiresIn=presigner_args["expires"]
            )
            amz_date = parse_qs(urlsplit(expected).query)["X-Amz-Date"][0]
            ours = Presigner(**presigner_args, amz_date=amz_date).url(method, bucket, key)
            if ours != expected:
                raise RuntimeError(
                    f"presigned {method} URL differs from boto3's for key {key!r}:\n  boto3: {expected}\n  ours:  {ours}"
                )
