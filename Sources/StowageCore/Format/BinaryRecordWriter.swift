/// Appends the primitive fields of a binary metadata record (little-endian integers,
/// LEB128 lengths, UTF-8 strings). Pairs with `BinaryRecordReader`.
package struct BinaryRecordWriter {
    package private(set) var bytes: [UInt8] = []

    package init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    package mutating func byte(_ value: UInt8) { bytes.append(value) }

    package mutating func varint(_ value: Int) {
        precondition(value >= 0, "negative length in a record")
        var rest = UInt64(value)
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    package mutating func int64(_ value: Int64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    package mutating func string(_ value: String) {
        varint(value.utf8.count)
        bytes.append(contentsOf: value.utf8)
    }

    package mutating func optionalString(_ value: String?) {
        if let value {
            byte(1)
            string(value)
        } else {
            byte(0)
        }
    }

    package mutating func blob(_ value: [UInt8]) {
        varint(value.count)
        bytes.append(contentsOf: value)
    }

    /// Dictionaries are written with sorted keys, so equal records encode to equal bytes.
    package mutating func dictionary(_ value: [String: String]) {
        varint(value.count)
        for key in value.keys.sorted() {
            string(key)
            string(value[key]!)
        }
    }
}
