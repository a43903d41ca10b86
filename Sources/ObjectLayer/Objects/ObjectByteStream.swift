package import NIOCore
package import StowageCore

/// The bytes of one object version (or a range of them), read part by part, block by block.
///
/// Memory: one erasure block (about 1 MiB) in flight. Every chunk was verified by its drive
/// before use, and a missing or corrupt shard is rebuilt from parity (and the object queued
/// for healing); when too few shards survive the sequence ends with an error, so wrong bytes
/// are never served.
package struct ObjectByteStream: AsyncSequence, Sendable {
    package typealias Element = ByteBuffer

    let store: ObjectStore
    let record: ObjectRecord
    let range: ClosedRange<Int64>?

    package init(store: ObjectStore, record: ObjectRecord, range: ClosedRange<Int64>?) {
        self.store = store
        self.record = record
        self.range = range
    }

    package func makeAsyncIterator() -> Iterator {
        let lower = range?.lowerBound ?? 0
        let upper = range.map { $0.upperBound + 1 } ?? record.size
        return Iterator(store: store, record: record, position: lower, end: upper)
    }

    /// Sendable, so a reader may take the first chunk before the response starts and hand the
    /// rest (with its open shard readers) to the body writer.
    package struct Iterator: AsyncIteratorProtocol, Sendable {
        let store: ObjectStore
        let record: ObjectRecord
        /// Object offsets still to read: [position, end).
        var position: Int64
        let end: Int64
        var reader: ErasurePartReader?
        var readerPart: Int = -1
        /// The rest of the last block read (its data chunks' slices), last first.
        var pending: [ByteBuffer] = []

        package mutating func next() async throws -> ByteBuffer? {
            if let next = pending.popLast() { return next }
            guard position < end else {
                await reader?.close()
                reader = nil
                return nil
            }
            if let inline = record.inlineData {
                let slice = inline[Int(position)..<Int(end)]
                position = end
                return ByteBuffer(bytes: slice)
            }
            // Find the part holding `position`.
            var partStart: Int64 = 0
            var index = 0
            while index < record.parts.count, partStart + record.parts[index].size <= position {
                partStart += record.parts[index].size
                index += 1
            }
            guard index < record.parts.count else {
                throw ObjectLayerError(.corrupt, "object layout shorter than its size")
            }
            if readerPart != index {
                await reader?.close()
                reader = try store.partReader(record, part: record.parts[index])
                readerPart = index
            }
            let offsetInPart = position - partStart
            let blockSize = Int64(record.layout.blockSize)
            let block = offsetInPart / blockSize
            let from = Int(offsetInPart - block * blockSize)
            let to = Int(Swift.min(Int64(reader!.blockLength(block)), end - partStart - block * blockSize))
            let slices = try await reader!.read(block: block, from: from, to: to)
            position += Int64(to - from)
            pending = Array(slices.reversed())
            return pending.popLast() ?? ByteBuffer()
        }
    }
}

extension ObjectStore {
    /// A reader for one part of `record` that reports damage to the healer.
    func partReader(_ record: ObjectRecord, part: PartLayout) throws -> ErasurePartReader {
        let heal = self.heal
        let bucket = record.bucket
        let key = record.key
        return try ErasurePartReader(set: sets.set(bucket: bucket, key: key), layout: record.layout, part: part) { _, error in
            heal.count { counters in
                if (error as? DriveError)?.code == .corrupt { counters.corruptionsFound += 1 } else { counters.missingShardsFound += 1 }
            }
            heal.enqueue(bucket: bucket, key: key)
        }
    }
}
