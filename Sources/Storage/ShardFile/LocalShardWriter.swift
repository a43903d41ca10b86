#if canImport(Glibc)
internal import Glibc
#endif
internal import ErasureCode
public import NIOCore
internal import NIOPosix
package import StowageCore

/// Writes one shard file in the staging folder, block by block, each block checksummed.
///
/// Used by one task at a time (the upload that owns it). Whole blocks handed over at once (what
/// the erasure writer does) are written straight from the caller's buffer; only bytes that do not
/// fill a block are gathered in a block buffer of our own, allocated when first needed.
/// `finish()` makes the file durable; only a later commit makes it part of an object.
final class LocalShardWriter: ShardWriter, @unchecked Sendable {
    let id: ShardID
    private let path: String
    private let pool: DriveThreads
    private let blockSize: Int
    private var fd: Int32
    private var block: ByteBuffer
    private var closed = false

    static func create(id: ShardID, path: String, pool: DriveThreads, blockSize: Int) async throws -> LocalShardWriter {
        let fd = try await pool.runIfActive {
            // Ids are random per write and reused only by a rebuild, which holds its key's rebuild
            // lock: a staged file already there is a leftover of an abandoned write of this id (an
            // abort whose unlink ran before a create blocked on a hung disk finished, say). It is
            // replaced, once; a second collision is an error.
            let fd: Int32
            if Glibc.access(path, F_OK) == 0 {
                try POSIXFile.unlinkIfPresent(path)
            }
            fd = try POSIXFile.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            do {
                try ShardFileFormat.header(blockSize: blockSize).withUnsafeBytes {
                    try POSIXFile.writeAll(fd, $0, path: path)
                }
            } catch {
                close(fd)
                try? POSIXFile.unlinkIfPresent(path)
                throw error
            }
            return fd
        }
        return LocalShardWriter(id: id, path: path, pool: pool, blockSize: blockSize, fd: fd)
    }

    private init(id: ShardID, path: String, pool: DriveThreads, blockSize: Int, fd: Int32) {
        self.id = id
        self.path = path
        self.pool = pool
        self.blockSize = blockSize
        self.fd = fd
        self.block = ByteBuffer()
    }

    deinit {
        if !closed { close(fd) }
    }

    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        while block.readableBytes == 0 && buffer.readableBytes >= blockSize {
            try await writeBlock(buffer.readSlice(length: blockSize)!)
        }
        if buffer.readableBytes > 0 && block.capacity == 0 {
            block = ByteBufferAllocator().buffer(capacity: blockSize + ShardFileFormat.checksumSize)
        }
        while buffer.readableBytes > 0 {
            let n = min(blockSize - block.readableBytes, buffer.readableBytes)
            var slice = buffer.readSlice(length: n)!
            block.writeBuffer(&slice)
            if block.readableBytes == blockSize { try await flushBlock() }
        }
    }

    func finish() async throws {
        if block.readableBytes > 0 { try await flushBlock() }
        let fd = self.fd
        let path = self.path
        try await pool.runIfActive {
            try POSIXFile.fsync(fd, path: path)
        }
        closed = true
        close(fd)
    }

    /// Closes and removes the staged file on the drive's threads, waiting at most the drive's
    /// deadline: an abort often follows a call that missed its deadline, and on a disk that
    /// hangs the unlink blocks (done on the caller's thread, it held one of the few threads every
    /// task of the process shares, and the whole process stalled).
    func abort() async {
        let fd: Int32? = closed ? nil : self.fd
        closed = true
        let path = self.path
        _ = try? await pool.runIfActive {
            if let fd { close(fd) }
            try? POSIXFile.unlinkIfPresent(path)
        }
    }

    /// Writes one whole block from the caller's bytes, then its checksum.
    private func writeBlock(_ data: ByteBuffer) async throws {
        var crc = CRC32C()
        crc.update(data)
        let trailer = withUnsafeBytes(of: crc.value.littleEndian) { Array($0) }
        let fd = self.fd
        let path = self.path
        try await pool.runIfActive {
            try data.withUnsafeReadableBytes { try POSIXFile.writeAll(fd, $0, path: path) }
            try trailer.withUnsafeBytes { try POSIXFile.writeAll(fd, $0, path: path) }
        }
    }

    private func flushBlock() async throws {
        var crc = CRC32C()
        crc.update(block)
        block.writeInteger(crc.value, endianness: .little)
        let fd = self.fd
        let path = self.path
        let bytes = block
        try await pool.runIfActive {
            try bytes.withUnsafeReadableBytes { try POSIXFile.writeAll(fd, $0, path: path) }
        }
        block.clear()
    }
}
