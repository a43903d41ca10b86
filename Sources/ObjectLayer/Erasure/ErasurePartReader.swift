internal import ErasureCode
package import NIOCore
package import StowageCore

/// Reads the blocks of one part from the drives of its set, verifying every chunk (the drives
/// check each shard block's CRC-32C) and rebuilding from parity only when a data shard is
/// missing, truncated or corrupt.
///
/// A damaged shard is reported through `onDamage` (once per position) so the object can be
/// queued for healing; the bytes returned are always the original ones, or an error.
/// Used by one task at a time.
final class ErasurePartReader: @unchecked Sendable {
    let set: ErasureSet
    let layout: ErasureInfo
    let part: PartLayout
    private let codec: ReedSolomon
    private let onDamage: @Sendable (_ position: Int, _ error: any Error) -> Void
    private var readers: [Int: any ShardReader] = [:]
    /// Positions found missing or bad during this read.
    private(set) var damaged: Set<Int> = []

    init(
        set: ErasureSet, layout: ErasureInfo, part: PartLayout,
        skipping: Set<Int> = [],
        onDamage: @escaping @Sendable (_ position: Int, _ error: any Error) -> Void
    ) throws {
        self.damaged = skipping
        self.set = set
        self.layout = layout
        self.part = part
        self.codec = try ReedSolomon.shared(dataShards: layout.dataShards, parityShards: layout.parityShards)
        self.onDamage = onDamage
    }

    var blockCount: Int64 { (part.size + Int64(layout.blockSize) - 1) / Int64(layout.blockSize) }

    func blockLength(_ block: Int64) -> Int { Int(min(Int64(layout.blockSize), part.size - block * Int64(layout.blockSize))) }

    /// Bytes `[from, to)` of block `block` of the part.
    func read(block: Int64, from: Int, to: Int) async throws -> [ByteBuffer] {
        let length = blockLength(block)
        precondition(from >= 0 && from <= to && to <= length, "read outside the block")
        let chunk = layout.chunkSize(blockLength: length)
        let shardOffset = block * Int64(layout.shardBlockSize)
        if layout.dataShards == 1, let position = layout.position(ofShard: 0), !damaged.contains(position) {
            // One data shard holds the bytes as they are: read just the range.
            do {
                let reader: any ShardReader
                if let open = readers[position] {
                    reader = open
                } else {
                    reader = try await Self.openShard(
                        part.shardID, on: set.slots[position].drive, label: set.slots[position].label,
                        expectedSize: layout.shardSize(partSize: part.size))
                    readers[position] = reader
                }
                return [try Self.exact(try await reader.read(offset: shardOffset + Int64(from), length: to - from), to - from)]
            } catch {
                await noteDamage(position, error)
            }
        }
        var chunks = try await gather(block: block, chunk: chunk)
        let missingData = (0..<layout.dataShards).filter { chunks[$0] == nil }
        if !missingData.isEmpty {
            let rebuilt = try codec.reconstruct(chunks, wanted: missingData)
            for (index, bytes) in rebuilt { chunks[index] = bytes }
        }
        // The bytes are the data chunks' slices in order: handed on as they are, not copied.
        var output: [ByteBuffer] = []
        output.reserveCapacity(layout.dataShards)
        var position = 0
        for index in 0..<layout.dataShards where position < to {
            var bytes = chunks[index]!
            let start = position
            let end = min(position + chunk, length)
            position += chunk
            guard end > from else { continue }
            let lower = max(from, start) - start
            let upper = min(to, end) - start
            bytes.moveReaderIndex(forwardBy: lower)
            output.append(bytes.readSlice(length: upper - lower)!)
        }
        return output
    }

    /// Any K verified chunks of block `block` (data shards first, parity only to replace what fails).
    private func gather(block: Int64, chunk: Int) async throws -> [ByteBuffer?] {
        let shardOffset = block * Int64(layout.shardBlockSize)
        var chunks = [ByteBuffer?](repeating: nil, count: layout.totalShards)
        var tried = Set<Int>()
        // Data shards first; parity only to replace what fails.
        var wanted = Array(0..<layout.dataShards)
        while true {
            let positions = wanted.compactMap { layout.position(ofShard: $0) }
            tried.formUnion(wanted)
            let reads = await readChunks(positions: positions, offset: shardOffset, length: chunk)
            for read in reads {
                if let bytes = read.bytes {
                    chunks[layout.distribution[read.position]] = bytes
                } else {
                    await noteDamage(read.position, read.error ?? DriveError(.io, "no bytes"))
                }
            }
            var have = 0
            for entry in chunks where entry != nil { have += 1 }
            if have >= layout.dataShards { break }
            let spare = (layout.dataShards..<layout.totalShards).filter { !tried.contains($0) }
            guard !spare.isEmpty else {
                throw ObjectLayerError(
                    .insufficientDrives,
                    "block \(block) of \(part.shardID): \(have) of \(layout.dataShards) needed shards readable")
            }
            wanted = Array(spare.prefix(layout.dataShards - have))
        }
        return chunks
    }

    /// The chunks of shards `wanted` for block `block`, rebuilt from the others (for healing).
    func shardChunks(block: Int64, wanted: [Int]) async throws -> [Int: ByteBuffer] {
        let chunk = layout.chunkSize(blockLength: blockLength(block))
        let chunks = try await gather(block: block, chunk: chunk)
        var result: [Int: ByteBuffer] = [:]
        let missing = wanted.filter { chunks[$0] == nil }
        for index in wanted where chunks[index] != nil { result[index] = chunks[index]! }
        if !missing.isEmpty {
            for (index, bytes) in try codec.reconstruct(chunks, wanted: missing) { result[index] = bytes }
        }
        return result
    }

    /// The outcome of reading one chunk from the drive at `position`.
    struct ChunkRead: Sendable {
        var position: Int
        var bytes: ByteBuffer?
        var error: (any Error)?
        /// The shard reader this read opened, to keep for the next blocks.
        var opened: (any ShardReader)?
    }

    /// Reads the chunk at `offset` from each position at once; shards not open yet are opened in
    /// the same parallel tasks (the first block of a GET opens K shards).
    private func readChunks(positions: [Int], offset: Int64, length: Int) async -> [ChunkRead] {
        var results: [ChunkRead] = []
        let reads = await withTaskGroup(of: ChunkRead.self, returning: [ChunkRead].self) { group in
            for position in positions {
                if damaged.contains(position) {
                    results.append(ChunkRead(position: position, error: DriveError(.corrupt, "already found damaged")))
                    continue
                }
                let open = readers[position]
                let drive = set.slots[position].drive
                let label = set.slots[position].label
                let (shardID, expected) = (part.shardID, layout.shardSize(partSize: part.size))
                group.addTask {
                    var opened: (any ShardReader)?
                    do {
                        let reader: any ShardReader
                        if let open {
                            reader = open
                        } else {
                            reader = try await Self.openShard(shardID, on: drive, label: label, expectedSize: expected)
                            opened = reader
                        }
                        let bytes = try Self.exact(try await reader.read(offset: offset, length: length), length)
                        return ChunkRead(position: position, bytes: bytes, opened: opened)
                    } catch {
                        return ChunkRead(position: position, error: error, opened: opened)
                    }
                }
            }
            var all: [ChunkRead] = []
            for await read in group { all.append(read) }
            return all
        }
        for read in reads {
            if let opened = read.opened { readers[read.position] = opened }
        }
        return results + reads
    }

    /// `bytes` when it is as long as was asked; a drive that answers a short (or long) read is
    /// damaged, and the chunk is rebuilt from the others instead.
    private static func exact(_ bytes: ByteBuffer, _ length: Int) throws -> ByteBuffer {
        guard bytes.readableBytes == length else {
            throw DriveError(.corrupt, "asked for \(length) bytes, the drive returned \(bytes.readableBytes)")
        }
        return bytes
    }

    /// Opens the shard on `drive`, checking its size against the layout.
    private static func openShard(_ id: ShardID, on drive: (any Drive)?, label: String, expectedSize: Int64) async throws
        -> any ShardReader
    {
        guard let drive else { throw DriveError(.notFound, "\(label) is offline") }
        let reader = try await drive.openShard(id)
        guard reader.size == expectedSize else {
            await reader.close()
            throw DriveError(.corrupt, "shard \(id) on \(label) has \(reader.size) bytes, expected \(expectedSize)")
        }
        return reader
    }

    private func noteDamage(_ position: Int, _ error: any Error) async {
        guard !damaged.contains(position) else { return }
        damaged.insert(position)
        if let reader = readers.removeValue(forKey: position) { await reader.close() }
        // An offline drive is not damage of this object; the drive monitor reports it.
        if set.slots[position].drive != nil { onDamage(position, error) }
    }

    func close() async {
        for reader in readers.values { await reader.close() }
        readers = [:]
    }
}
