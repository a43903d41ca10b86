/// The generated name of one shard file on a drive. S3 keys never become paths; shard ids do.
///
/// Always 32 lowercase hex characters, so it is safe as a file name.
package struct ShardID: Codable, Sendable, Hashable, CustomStringConvertible {
    package let value: String

    package init?(_ value: String) {
        guard value.utf8.count == 32, value.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) })
        else { return nil }
        self.value = value
    }

    /// A new random id (128 bits from the system generator, or the simulation's).
    package static func random() -> ShardID {
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(32)
        for _ in 0..<2 {
            var word = LayerEnvironment.randomBits()
            for _ in 0..<16 {
                out.append(hex[Int(word & 0xF)])
                word >>= 4
            }
        }
        return ShardID(String(decoding: out, as: UTF8.self))!
    }

    package var description: String { value }

    package init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let id = ShardID(raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad shard id"))
        }
        self = id
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
