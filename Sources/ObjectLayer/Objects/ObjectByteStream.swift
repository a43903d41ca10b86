package import NIOCore
package import StowageCore

/// The bytes of one object version (or a range of them), read part by part, chunk by chunk.
///
/// Memory: one chunk (about 1 MiB) in flight. Every chunk was verified by the drive before it
/// is yielded; a corrupt block ends the sequence with an error, so bad bytes are never served.
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

    package struct Iterator: AsyncIteratorProtocol {
        let store: ObjectStore
        let record: ObjectRecord
        /// Object offsets still to read: [position, end).
        var position: Int64
        let end: Int64
        var reader: (any ShardReader)?
        var readerPart: Int = -1

        package mutating func next() async throws -> ByteBuffer? {
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
            let part = record.parts[index]
            if readerPart != index {
                await reader?.close()
                reader = try await store.translate { try await store.drive.openShard(part.shardID) }
                readerPart = index
                guard reader!.size == part.size else {
                    throw ObjectLayerError(.corrupt, "shard \(part.shardID) has \(reader!.size) bytes, expected \(part.size)")
                }
            }
            let offsetInPart = position - partStart
            // Stay inside one block-aligned chunk so each read verifies whole blocks once.
            let chunk = Int64(store.readChunkSize)
            let chunkEnd = Swift.min((offsetInPart / chunk + 1) * chunk, part.size, end - partStart)
            let length = Int(chunkEnd - offsetInPart)
            let currentReader = reader!
            let bytes = try await store.translate { try await currentReader.read(offset: offsetInPart, length: length) }
            position += Int64(length)
            return bytes
        }
    }
}
