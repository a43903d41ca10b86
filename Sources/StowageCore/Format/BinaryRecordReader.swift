/// Reads what `BinaryRecordWriter` wrote. Every read is bounds-checked; malformed input
/// throws `DriveError.corrupt` instead of trapping.
package struct BinaryRecordReader {
    private let bytes: ArraySlice<UInt8>
    private var position: Int

    package init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    package var isAtEnd: Bool { position == bytes.endIndex }

    private static func corrupt(_ what: String) -> DriveError { DriveError(.corrupt, "record: \(what)") }

    package mutating func byte() throws -> UInt8 {
        guard position < bytes.endIndex else { throw Self.corrupt("truncated") }
        defer { position += 1 }
        return bytes[position]
    }

    package mutating func varint() throws -> Int {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 63 else { throw Self.corrupt("varint too long") }
            result |= UInt64(next & 0x7F) << shift
            if next & 0x80 == 0 { break }
            shift += 7
        }
        guard result <= UInt64(Int.max) else { throw Self.corrupt("varint too large") }
        return Int(result)
    }

    package mutating func int64() throws -> Int64 {
        guard bytes.endIndex - position >= 8 else { throw Self.corrupt("truncated integer") }
        var value: UInt64 = 0
        for offset in 0..<8 { value |= UInt64(bytes[position + offset]) << (8 * UInt64(offset)) }
        position += 8
        return Int64(bitPattern: value)
    }

    package mutating func blob() throws -> ArraySlice<UInt8> {
        let count = try varint()
        guard bytes.endIndex - position >= count else { throw Self.corrupt("truncated bytes") }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    package mutating func string() throws -> String {
        let raw = try blob()
        guard let text = String(validating: raw, as: UTF8.self) else { throw Self.corrupt("invalid UTF-8") }
        return text
    }

    package mutating func optionalString() throws -> String? {
        switch try byte() {
        case 0: return nil
        case 1: return try string()
        default: throw Self.corrupt("bad optional flag")
        }
    }

    package mutating func dictionary() throws -> [String: String] {
        let count = try varint()
        guard count <= bytes.endIndex - position else { throw Self.corrupt("bad dictionary size") }
        var result: [String: String] = [:]
        result.reserveCapacity(count)
        for _ in 0..<count {
            let key = try string()
            result[key] = try string()
        }
        return result
    }
}
