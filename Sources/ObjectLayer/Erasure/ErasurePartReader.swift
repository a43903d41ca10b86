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
        self.codec = try ReedSolomon(dataShards: layout.dataShards, parityShards: layout.parityShards)
        self.onDamage = onDamage
    }

    var blockCount: Int64 { (part.size + Int64(layout.blockSize) - 1) / Int64(layout.blockSize) }

    func blockLength(_ block: Int64) -> Int { Int(min(Int64(layout.blockSize), part.size - block * Int64(layout.blockSize))) }

    /// Bytes `[from, to)` of block `block` of the part.
    func read(block: Int64, from: Int, to: Int) async throws -> ByteBuffer {
        let length = blockLength(block)
        precondition(from >= 0 && from <= to && to <= length, "read outside the block")
        let chunk = layout.chunkSize(blockLength: length)
        let shardOffset = block * Int64(layout.shardBlockSize)
        if layout.dataShards == 1, let position = layout.position(ofShard: 0), !damaged.contains(position) {
            // One data shard holds the bytes as they are: read just the range.
            do {
                return try await reader(at: position).read(offset: shardOffset + Int64(from), length: to - from)
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
        var output = ByteBufferAllocator().buffer(capacity: to - from)
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
            var slice = bytes.readSlice(length: upper - lower)!
            output.writeBuffer(&slice)
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
    }

    /// Reads the chunk at `offset` from each position at once.
    private func readChunks(positions: [Int], offset: Int64, length: Int) async -> [ChunkRead] {
        var openReaders: [(position: Int, reader: any ShardReader)] = []
        var results: [ChunkRead] = []
        for position in positions {
            if damaged.contains(position) {
                results.append(ChunkRead(position: position, bytes: nil, error: DriveError(.corrupt, "already found damaged")))
                continue
            }
            do {
                openReaders.append((position, try await reader(at: position)))
            } catch {
                results.append(ChunkRead(position: position, bytes: nil, error: error))
            }
        }
        return await withTaskGroup(of: ChunkRead.self, returning: [ChunkRead].self) { group in
            for entry in openReaders {
                let position = entry.position
                let reader = entry.reader
                group.addTask {
                    do {
                        return ChunkRead(position: position, bytes: try await reader.read(offset: offset, length: length), error: nil)
                    } catch {
                        return ChunkRead(position: position, bytes: nil, error: error)
                    }
                }
            }
            var all = results
            for await read in group { all.append(read) }
            return all
        }
    }

    private func reader(at position: Int) async throws -> any ShardReader {
        if let reader = readers[position] { return reader }
        guard let drive = set.slots[position].drive else { throw DriveError(.notFound, "\(set.slots[position].label) is offline") }
        let reader = try await drive.openShard(part.shardID)
        let expected = layout.shardSize(partSize: part.size)
        guard reader.size == expected else {
            await reader.close()
            throw DriveError(.corrupt, "shard \(part.shardID) on \(set.slots[position].label) has \(reader.size) bytes, expected \(expected)")
        }
        readers[position] = reader
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
