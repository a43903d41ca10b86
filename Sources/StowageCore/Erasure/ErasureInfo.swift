/// How one object version's data is spread over an erasure set: K data and M parity shards,
/// which drive holds which shard, and the block size the data was encoded in.
///
/// Every part of the object is cut into blocks of `blockSize` bytes (the last one shorter);
/// each block is split into K equal chunks (the last padded with zeros) and M parity chunks, and
/// chunk i of every block is appended to shard i. Shard files checksum each chunk as one block,
/// so a range read touches only the blocks it needs, on K drives.
package struct ErasureInfo: Codable, Sendable, Equatable, Hashable {
    package var dataShards: Int
    package var parityShards: Int
    /// Object bytes per erasure block.
    package var blockSize: Int
    /// `distribution[position]` is the shard index (0..<K+M) held by the drive at `position` of the set.
    package var distribution: [Int]

    package init(dataShards: Int, parityShards: Int, blockSize: Int, distribution: [Int]) {
        precondition(dataShards >= 1 && parityShards >= 0, "erasure layout needs at least one data shard")
        precondition(distribution.count == dataShards + parityShards, "one shard per drive of the set")
        self.dataShards = dataShards
        self.parityShards = parityShards
        self.blockSize = blockSize
        self.distribution = distribution
    }

    /// The layout of data written before erasure coding existed: the whole object on one drive.
    package static func singleDrive(blockSize: Int = 1 << 20) -> ErasureInfo {
        ErasureInfo(dataShards: 1, parityShards: 0, blockSize: blockSize, distribution: [0])
    }

    package var totalShards: Int { dataShards + parityShards }

    /// Drives that must acknowledge a write: K, or K + 1 when K = M (so two halves can never
    /// both accept conflicting writes).
    package var writeQuorum: Int { dataShards == parityShards ? dataShards + 1 : dataShards }

    /// Drives that must answer a read.
    package var readQuorum: Int { dataShards }

    /// Bytes of one shard's chunk for a block of `blockLength` object bytes.
    package func chunkSize(blockLength: Int) -> Int { (blockLength + dataShards - 1) / dataShards }

    /// The chunk size of a full block: the block size of every shard file of this layout.
    package var shardBlockSize: Int { chunkSize(blockLength: blockSize) }

    /// The number of bytes each shard holds for a part of `partSize` object bytes.
    package func shardSize(partSize: Int64) -> Int64 {
        let full = partSize / Int64(blockSize)
        let rest = Int(partSize % Int64(blockSize))
        return full * Int64(shardBlockSize) + Int64(chunkSize(blockLength: rest))
    }

    /// The position in the set of the drive holding shard `index`.
    package func position(ofShard index: Int) -> Int? { distribution.firstIndex(of: index) }
}
