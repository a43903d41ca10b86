/// ASCII case folding of protocol text (header names, hosts, hex digits), byte by byte: what
/// HTTP and SigV4 mean by "case-insensitive", without Unicode case mapping.
package enum ASCII {
    /// `byte` with an ASCII capital letter lowered; every other byte unchanged.
    @inlinable
    package static func lowered(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }

    /// Whether `text`, its ASCII letters lowered, is byte for byte `lowercase`.
    @inlinable
    package static func equalsLowercased(_ text: some Collection<UInt8>, _ lowercase: some Collection<UInt8>) -> Bool {
        text.count == lowercase.count && text.elementsEqual(lowercase) { lowered($0) == $1 }
    }
}
