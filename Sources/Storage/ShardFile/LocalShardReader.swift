#if canImport(Glibc)
internal import Glibc
#endif
internal import ErasureCode
public import NIOCore
internal import NIOPosix
package import StowageCore
internal import Synchronization

/// Reads a committed shard file; every block is checked against its CRC-32C before any of
/// its bytes are returned, so corrupted data is reported (`DriveError.corrupt`), never served.
///
/// Safe to use from several tasks: reads are positional (`pread`).
final class LocalShardReader: ShardReader, @unchecked Sendable {
    let size: Int64
    private let fd: Int32
    private let path: String
    private let pool: DriveThreads
    private let blockSize: Int
    private let closedFlag = Mutex(false)

    static func open(path: String, pool: DriveThreads) async throws -> LocalShardReader {
        try await pool.runIfActive {
            let fd = try POSIXFile.open(path, O_RDONLY)
            do {
                var header = [UInt8](repeating: 0, count: ShardFileFormat.headerSize)
                try header.withUnsafeMutableBytes { try POSIXFile.readExactly(fd, into: $0, at: 0, path: path) }
                guard Array(header[0..<8]) == ShardFileFormat.magic else {
                    throw DriveError(.corrupt, "\(path): not a shard file")
                }
                let version = UInt32(header[8]) | UInt32(header[9]) << 8 | UInt32(header[10]) << 16 | UInt32(header[11]) << 24
                guard version == ShardFileFormat.version else {
                    throw DriveError(.corrupt, "\(path): unknown shard format \(version)")
                }
                let blockSize = Int(UInt32(header[12]) | UInt32(header[13]) << 8 | UInt32(header[14]) << 16 | UInt32(header[15]) << 24)
                guard blockSize > 0, blockSize <= 64 << 20 else { throw DriveError(.corrupt, "\(path): bad block size") }
                let fileSize = try POSIXFile.fileSize(fd, path: path)
                guard let size = ShardFileFormat.dataSize(fileSize: fileSize, blockSize: blockSize) else {
                    throw DriveError(.corrupt, "\(path): truncated shard file")
                }
                return LocalShardReader(fd: fd, path: path, pool: pool, blockSize: blockSize, size: size)
            } catch {
                Glibc.close(fd)
                throw error
            }
        }
    }

    private init(fd: Int32, path: String, pool: DriveThreads, blockSize: Int, size: Int64) {
        self.fd = fd
        self.path = path
        self.pool = pool
        self.blockSize = blockSize
        self.size = size
    }

    deinit {
        if !closedFlag.withLock({ $0 }) { Glibc.close(fd) }
    }

    func read(offset: Int64, length: Int) async throws -> ByteBuffer {
        precondition(offset >= 0 && length >= 0, "negative shard read")
        guard offset + Int64(length) <= size else {
            throw DriveError(.corrupt, "\(path): read past end of shard (\(offset)+\(length) > \(size))")
        }
        if length == 0 { return ByteBuffer() }
        let fd = self.fd
        let path = self.path
        let blockSize = self.blockSize
        let size = self.size
        return try await pool.runIfActive {
            let firstBlock = offset / Int64(blockSize)
            let lastBlock = (offset + Int64(length) - 1) / Int64(blockSize)
            let stride = Int64(blockSize + ShardFileFormat.checksumSize)
            var output = ByteBufferAllocator().buffer(capacity: length)
            for index in firstBlock...lastBlock {
                let blockStart = index * Int64(blockSize)
                let blockLength = Int(min(Int64(blockSize), size - blockStart))
                var raw = ByteBufferAllocator().buffer(capacity: blockLength + ShardFileFormat.checksumSize)
                try raw.writeWithUnsafeMutableBytes(minimumWritableBytes: blockLength + 4) { target in
                    let region = UnsafeMutableRawBufferPointer(rebasing: target[0..<(blockLength + 4)])
                    try POSIXFile.readExactly(fd, into: region, at: Int64(ShardFileFormat.headerSize) + index * stride, path: path)
                    return blockLength + 4
                }
                var data = raw.readSlice(length: blockLength)!
                let stored = raw.readInteger(endianness: .little, as: UInt32.self)!
                var crc = CRC32C()
                crc.update(data)
                guard crc.value == stored else {
                    throw DriveError(.corrupt, "\(path): block \(index) checksum mismatch")
                }
                let from = Int(max(offset, blockStart) - blockStart)
                let to = Int(min(offset + Int64(length), blockStart + Int64(blockLength)) - blockStart)
                if firstBlock == lastBlock {
                    return data.getSlice(at: data.readerIndex + from, length: to - from)!
                }
                data.moveReaderIndex(forwardBy: from)
                var part = data.readSlice(length: to - from)!
                output.writeBuffer(&part)
            }
            return output
        }
    }

    func close() async {
        let wasClosed = closedFlag.withLock { flag in
            defer { flag = true }
            return flag
        }
        if !wasClosed { Glibc.close(fd) }
    }
}

