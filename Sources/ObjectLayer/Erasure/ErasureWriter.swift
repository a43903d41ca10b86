internal import ErasureCode
package import NIOCore
package import StowageCore

/// Streams one part's bytes into K data + M parity shards on the drives of a set.
///
/// Bytes are gathered into blocks of `layout.blockSize`; each full block is split into K chunks
/// (the last zero-padded), M parity chunks are computed with ISA-L, and chunk i goes to the
/// drive holding shard i, all drives written at once. A drive that fails is dropped; when fewer
/// than the write quorum remain, the write fails and every staged shard is discarded.
/// Memory: one block plus M parity chunks. Used by one task at a time.
final class ErasureWriter: @unchecked Sendable {
    let shardID: ShardID
    let layout: ErasureInfo
    private let set: ErasureSet
    private let codec: ReedSolomon
    /// Writers by position; nil once a drive failed (or was offline at the start).
    private var writers: [(any ShardWriter)?]
    private var block: ByteBuffer
    private(set) var failures: [String] = []
    private var failureErrors: [any Error] = []

    /// Creates staged shards on every online drive; throws when fewer than the write quorum can be created.
    static func create(set: ErasureSet, layout: ErasureInfo, shardID: ShardID = .random()) async throws -> ErasureWriter {
        let codec = try ReedSolomon.shared(dataShards: layout.dataShards, parityShards: layout.parityShards)
        let blockSize = layout.shardBlockSize
        let answers = await set.fanOut { try await $0.createShard(id: shardID, blockSize: blockSize) }
        var writers: [(any ShardWriter)?] = answers.map(\.value)
        do {
            _ = try set.requireQuorum(answers, layout.writeQuorum, "create shards")
        } catch {
            for index in writers.indices { await writers[index]?.abort(); writers[index] = nil }
            throw error
        }
        return ErasureWriter(set: set, layout: layout, shardID: shardID, codec: codec, writers: writers)
    }

    private init(set: ErasureSet, layout: ErasureInfo, shardID: ShardID, codec: ReedSolomon, writers: [(any ShardWriter)?]) {
        self.set = set
        self.layout = layout
        self.shardID = shardID
        self.codec = codec
        self.writers = writers
        self.block = ByteBufferAllocator().buffer(capacity: layout.blockSize)
    }

    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        while buffer.readableBytes > 0 {
            let n = min(layout.blockSize - block.readableBytes, buffer.readableBytes)
            if n == layout.blockSize && block.readableBytes == 0 {
                // A whole block arrived at once: encode it without copying.
                try await encodeAndWrite(buffer.readSlice(length: n)!)
                continue
            }
            var slice = buffer.readSlice(length: n)!
            block.writeBuffer(&slice)
            if block.readableBytes == layout.blockSize {
                try await encodeAndWrite(block)
                // The drives wrote from the block's bytes and kept no reference: reuse its memory.
                block.clear()
            }
        }
    }

    /// Writes the last partial block and makes every shard durable; the write quorum must hold.
    func finish() async throws {
        if block.readableBytes > 0 {
            try await encodeAndWrite(block)
            block.clear()
        }
        try await forEachWriter { writer, _ in try await writer.finish() }
    }

    func abort() async {
        for index in writers.indices {
            await writers[index]?.abort()
            writers[index] = nil
        }
    }

    private func encodeAndWrite(_ data: ByteBuffer) async throws {
        let chunks = Self.encode(data, layout: layout, codec: codec)
        let distribution = layout.distribution
        try await forEachWriter { writer, position in
            try await writer.write(chunks[distribution[position]])
        }
    }

    /// Splits one block into K data chunks (zero-padded to equal length) and appends M parity chunks.
    static func encode(_ data: ByteBuffer, layout: ErasureInfo, codec: ReedSolomon) -> [ByteBuffer] {
        let k = layout.dataShards
        let chunk = layout.chunkSize(blockLength: data.readableBytes)
        var shards: [ByteBuffer] = []
        shards.reserveCapacity(layout.totalShards)
        for i in 0..<k {
            let start = i * chunk
            let available = max(0, min(chunk, data.readableBytes - start))
            if available == chunk {
                shards.append(data.getSlice(at: data.readerIndex + start, length: chunk)!)
            } else {
                var padded = ByteBufferAllocator().buffer(capacity: chunk)
                if available > 0 { padded.writeImmutableBuffer(data.getSlice(at: data.readerIndex + start, length: available)!) }
                padded.writeRepeatingByte(0, count: chunk - available)
                shards.append(padded)
            }
        }
        if layout.parityShards > 0 { shards += codec.encode(shards) }
        return shards
    }

    private struct WriteOutcome: Sendable {
        var position: Int
        var error: (any Error)?
    }

    /// Runs `body` on every live writer at once; drops writers that fail, then checks quorum.
    private func forEachWriter(_ body: @escaping @Sendable (any ShardWriter, _ position: Int) async throws -> Void) async throws {
        let live = writers.enumerated().compactMap { index, writer in writer.map { (index, $0) } }
        var failed: [(Int, any Error)] = []
        if live.count == 1 {
            do { try await body(live[0].1, live[0].0) } catch { failed = [(live[0].0, error)] }
        } else {
            failed = await withTaskGroup(of: WriteOutcome.self, returning: [(Int, any Error)].self) { group in
                for entry in live {
                    let index = entry.0
                    let writer = entry.1
                    group.addTask {
                        do {
                            try await body(writer, index)
                            return WriteOutcome(position: index, error: nil)
                        } catch {
                            return WriteOutcome(position: index, error: error)
                        }
                    }
                }
                var failed: [(Int, any Error)] = []
                for await outcome in group { if let error = outcome.error { failed.append((outcome.position, error)) } }
                return failed
            }
        }
        for (index, error) in failed {
            await writers[index]?.abort()
            writers[index] = nil
            failures.append("\(set.slots[index].label): \(error)")
            failureErrors.append(error)
        }
        let remaining = writers.count { $0 != nil }
        guard remaining < layout.writeQuorum else { return }
        await abort()
        // Out of space is the drives' answer (507); anything else is a quorum failure (503).
        if let full = failureErrors.first(where: { ($0 as? DriveError)?.code == .full }) { throw full }
        if layout.totalShards == 1, let only = failureErrors.first { throw only }
        throw ObjectLayerError(
            .insufficientDrives,
            "\(remaining) of \(layout.totalShards) drives took the write, \(layout.writeQuorum) needed: "
                + failures.joined(separator: "; "))
    }
}
