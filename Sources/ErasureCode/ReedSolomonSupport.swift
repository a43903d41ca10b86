internal import NIOCore
internal import Synchronization

/// A set of shard indices 0..<256, as 256 bits: hashable and free of heap allocation, so it can
/// key the decode-table cache without building arrays.
struct ShardSet: Hashable, Sendable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    var isEmpty: Bool { words == (0, 0, 0, 0) }

    mutating func insert(_ index: Int) {
        precondition(index >= 0 && index < 256, "shard index \(index) out of 0..<256")
        let bit = UInt64(1) << UInt64(index & 63)
        switch index >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    func contains(_ index: Int) -> Bool {
        guard index >= 0 && index < 256 else { return false }
        let word: UInt64
        switch index >> 6 {
        case 0: word = words.0
        case 1: word = words.1
        case 2: word = words.2
        default: word = words.3
        }
        return word & (UInt64(1) << UInt64(index & 63)) != 0
    }

    /// The members below `limit`, ascending.
    func elements(below limit: Int) -> [Int] {
        (0..<limit).filter(contains)
    }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.words == rhs.words }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}

/// Decode tables (`ec_init_tables` output) per (sources, missing) pattern, under a mutex.
///
/// Bounded: when full it is emptied, which costs only recomputation (a K × K inversion).
final class DecodeTableCache: Sendable {
    struct Key: Hashable, Sendable {
        let sources: ShardSet
        let missing: ShardSet
    }

    static let capacity = 256
    private let entries = Mutex<[Key: [UInt8]]>([:])

    func tables(for key: Key, make: () -> [UInt8]) -> [UInt8] {
        if let hit = entries.withLock({ $0[key] }) { return hit }
        let made = make()
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = made
        }
        return made
    }
}

/// Collects, for ISA-L, raw pointers to several `ByteBuffer`s at once. Each buffer's bytes are
/// only valid inside its own closure, so the closures nest, one level per buffer; the pointers
/// land in a caller-provided array (stack memory), and `body` runs innermost.
enum ShardPointers {
    typealias Pointers = UnsafeMutableBufferPointer<UnsafeMutablePointer<UInt8>?>

    /// Runs `body` with `pointers[i]` at the readable bytes of `buffer(i)`, for i in 0..<count.
    /// ISA-L only reads these; the mutable pointer type is what its C signature asks for.
    static func withReadableBytes<R>(
        count: Int, of buffer: (Int) -> ByteBuffer, into pointers: Pointers, _ body: () -> R
    ) -> R {
        nestReadable(0, count: count, of: buffer, into: pointers, body)
    }

    private static func nestReadable<R>(
        _ index: Int, count: Int, of buffer: (Int) -> ByteBuffer, into pointers: Pointers, _ body: () -> R
    ) -> R {
        guard index < count else { return body() }
        return buffer(index).withUnsafeReadableBytes { bytes in
            pointers[index] = bytes.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: UInt8.self)) }
            return nestReadable(index + 1, count: count, of: buffer, into: pointers, body)
        }
    }

    /// Allocates `count` buffers of `length` bytes, runs `fill` with `pointers[start + i]` at
    /// buffer i's bytes, and returns the buffers with `length` readable bytes each.
    static func makeBuffers(
        count: Int, length: Int, into pointers: Pointers, at start: Int, _ fill: () -> Void
    ) -> [ByteBuffer] {
        var made: [ByteBuffer] = []
        made.reserveCapacity(count)
        nestWritable(0, count: count, length: length, allocator: ByteBufferAllocator(), into: pointers, at: start, made: &made, fill)
        made.reverse()  // appended innermost first
        return made
    }

    private static func nestWritable(
        _ index: Int, count: Int, length: Int, allocator: ByteBufferAllocator, into pointers: Pointers, at start: Int,
        made: inout [ByteBuffer], _ fill: () -> Void
    ) {
        guard index < count else { return fill() }
        var buffer = allocator.buffer(capacity: length)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { bytes in
            pointers[start + index] = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
            nestWritable(index + 1, count: count, length: length, allocator: allocator, into: pointers, at: start, made: &made, fill)
            return length
        }
        made.append(buffer)
    }
}
