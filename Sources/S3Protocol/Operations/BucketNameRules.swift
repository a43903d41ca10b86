/// The naming rules of S3 general purpose buckets.
///
/// A valid name is 3 to 63 characters of lowercase letters, digits, `.` and `-`; begins and
/// ends with a letter or digit; has no `..`, and no `.-` or `-.` (each dot-separated label must
/// begin and end with a letter or digit, the older wording of the same rule); is not shaped
/// like an IPv4 address; and does not use a prefix or suffix S3 reserves (`xn--`, `sthree-`,
/// `amzn-s3-demo-`; `-s3alias`, `--ol-s3`, `.mrap`, `--x-s3`, `--table-s3`).
package enum BucketNameRules {
    private static let reservedPrefixes = ["xn--", "sthree-", "amzn-s3-demo-"]
    private static let reservedSuffixes = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]

    /// Whether `name` is a valid general purpose bucket name.
    package static func validate(_ name: String) -> Bool {
        let utf8 = Array(name.utf8)
        guard (3...63).contains(utf8.count) else { return false }
        for byte in utf8 {
            guard isLetterOrDigit(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") else { return false }
        }
        guard isLetterOrDigit(utf8[0]), isLetterOrDigit(utf8[utf8.count - 1]) else { return false }
        guard !name.contains(".."), !name.contains(".-"), !name.contains("-.") else { return false }
        guard !looksLikeIPv4Address(name) else { return false }
        guard !reservedPrefixes.contains(where: name.hasPrefix) else { return false }
        guard !reservedSuffixes.contains(where: name.hasSuffix) else { return false }
        return true
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Four dot-separated groups of one to three digits, e.g. `192.168.5.4` (or `999.1.1.1`).
    private static func looksLikeIPv4Address(_ name: String) -> Bool {
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count == 4
            && labels.allSatisfy { label in
                (1...3).contains(label.utf8.count)
                    && label.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            }
    }
}
