/// The naming rules of S3 general purpose buckets.
///
/// A valid name is 3 to 63 characters of lowercase letters, digits, `.` and `-`; begins and
/// ends with a letter or digit; has no `..`, and no `.-` or `-.` (each dot-separated label must
/// begin and end with a letter or digit, the older wording of the same rule); is not shaped
/// like an IPv4 address; and does not use a prefix or suffix S3 reserves (`xn--`, `sthree-`,
/// `amzn-s3-demo-`; `-s3alias`, `--ol-s3`, `.mrap`, `--x-s3`, `--table-s3`).
package enum BucketNameRules {
    private static let reservedPrefixes: [[UInt8]] = ["xn--", "sthree-", "amzn-s3-demo-"].map { Array($0.utf8) }
    private static let reservedSuffixes: [[UInt8]] =
        ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"].map { Array($0.utf8) }

    /// Whether `name` is a valid general purpose bucket name.
    package static func validate(_ name: String) -> Bool {
        name.utf8.withContiguousStorageIfAvailable(isValid) ?? Array(name.utf8).withUnsafeBufferPointer(isValid)
    }

    /// The rules over the name's UTF-8 bytes; every allowed byte is ASCII, so bytes are characters.
    private static func isValid(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard name.count >= 3, name.count <= 63 else { return false }
        guard isLetterOrDigit(name[0]), isLetterOrDigit(name[name.count - 1]) else { return false }
        var previous = name[0]
        var dots = 0
        var allDigitsOrDots = true
        for byte in name[1...] {
            if byte == UInt8(ascii: ".") {
                // Neither "..", nor "-." (nor ".-", below).
                guard previous != UInt8(ascii: "."), previous != UInt8(ascii: "-") else { return false }
                dots += 1
            } else if byte == UInt8(ascii: "-") {
                guard previous != UInt8(ascii: ".") else { return false }
                allDigitsOrDots = false
            } else {
                guard isLetterOrDigit(byte) else { return false }
                if !isDigit(byte) { allDigitsOrDots = false }
            }
            previous = byte
        }
        if !isDigit(name[0]) { allDigitsOrDots = false }
        guard !(allDigitsOrDots && dots == 3 && looksLikeIPv4Address(name)) else { return false }
        guard !reservedPrefixes.contains(where: { name.starts(with: $0) }) else { return false }
        guard !reservedSuffixes.contains(where: { hasSuffix(name, $0) }) else { return false }
        return true
    }

    private static func hasSuffix(_ name: UnsafeBufferPointer<UInt8>, _ suffix: [UInt8]) -> Bool {
        name.count >= suffix.count && name[(name.count - suffix.count)...].elementsEqual(suffix)
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    @inline(__always)
    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "a") < 26 || isDigit(byte)
    }

    /// Four dot-separated groups of one to three digits, e.g. `192.168.5.4` (or `999.1.1.1`);
    /// `name` holds only digits and three dots, none of them adjacent or at either end.
    private static func looksLikeIPv4Address(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        var groupLength = 0
        for byte in name {
            if byte == UInt8(ascii: ".") {
                groupLength = 0
            } else {
                groupLength += 1
                if groupLength > 3 { return false }
            }
        }
        return true
    }
}
