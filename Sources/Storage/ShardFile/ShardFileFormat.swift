/// The on-disk layout of one shard file (format version 1):
///
/// ```
/// header (16 bytes): "STWSHRD1" | format version u32 LE | block size u32 LE
/// block 0:           data (block size bytes) | CRC-32C of that data u32 LE
/// ...
/// last block:        data (1…block size bytes) | CRC-32C u32 LE
/// ```
/// Block i of the data starts at file offset `16 + i * (blockSize + 4)`, so a range read
/// touches only the blocks it needs, and every block is verified before its bytes are used.
enum ShardFileFormat {
    static let magic: [UInt8] = Array("STWSHRD1".utf8)
    static let version: UInt32 = 1
    static let headerSize = 16
    static let checksumSize = 4
    static let defaultBlockSize = 1 << 20

    static func header(blockSize: Int) -> [UInt8] {
        var bytes = magic
        withUnsafeBytes(of: version.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(blockSize).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// The data size implied by a file size, or nil if no valid shard has that size.
    static func dataSize(fileSize: Int64, blockSize: Int) -> Int64? {
        let body = fileSize - Int64(headerSize)
        guard body >= 0 else { return nil }
        let stride = Int64(blockSize + checksumSize)
        let full = body / stride
        let rest = body % stride
        if rest == 0 { return full * Int64(blockSize) }
        guard rest > Int64(checksumSize) else { return nil }
        return full * Int64(blockSize) + rest - Int64(checksumSize)
    }
}
