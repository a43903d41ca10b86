/// A parsed `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` value.
///
/// Whitespace after the algorithm and around the commas is tolerated, as AWS does; each of the
/// three fields must appear exactly once.
struct SigV4AuthorizationHeader: Sendable {
    static let algorithm = "AWS4-HMAC-SHA256"

    var credential: SigV4Credential
    /// Lowercased header names, in the order the client listed them.
    var signedHeaders: [String]
    /// Lowercase hex.
    var signature: String

    /// Throws `InvalidRequest` for another scheme (SigV4a; the verifier sends SigV2 `AWS …`
    /// elsewhere before parsing) and
    /// `AuthorizationHeaderMalformed` for a malformed SigV4 value.
    init(parsing value: String) throws {
        if SigV4HeaderIndex.isASCII(value) {
            try self.init(parsingASCII: value)
        } else {
            // Outside ASCII a separator can combine with the next scalar into one Character;
            // the Character-based parser keeps the rules exact there.
            try self.init(parsingCharacters: value)
        }
    }

    /// The parser by byte: in ASCII one byte is one Character (but CR LF, which separates
    /// nothing here).
    private init(parsingASCII value: String) throws {
        var value = value
        self = try value.withUTF8(Self.parseASCII)
    }

    private static func parseASCII(_ bytes: UnsafeBufferPointer<UInt8>) throws -> Self {
        let trimmed = Self.trimmed(bytes, 0..<bytes.count)
        let algorithm = Self.algorithm.utf8
        guard bytes[trimmed].starts(with: algorithm) else { throw Self.unsupported() }
        var rest = (trimmed.lowerBound + algorithm.count)..<trimmed.upperBound
        if !rest.isEmpty {
            guard bytes[rest.lowerBound] == UInt8(ascii: " ") else { throw Self.unsupported() }
        }
        func string(_ range: Range<Int>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }
        var credential: SigV4Credential?
        var signedHeaders: [String]?
        var signature: String?
        while true {
            let comma = bytes[rest].firstIndex(of: UInt8(ascii: ",")) ?? rest.upperBound
            let field = Self.trimmed(bytes, rest.lowerBound..<comma)
            guard let equals = bytes[field].firstIndex(of: UInt8(ascii: "=")) else {
                throw Self.malformed("missing '='")
            }
            let name = bytes[field.lowerBound..<equals]
            let text = (equals + 1)..<field.upperBound
            if credential == nil && name.elementsEqual("Credential".utf8) {
                guard let parsed = SigV4Credential(string(text)) else {
                    throw Self.malformed(
                        "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"")
                }
                credential = parsed
            } else if signedHeaders == nil && name.elementsEqual("SignedHeaders".utf8) {
                guard let names = Self.signedHeaderNames(bytes, text) else {
                    throw Self.malformed("SignedHeaders is empty")
                }
                signedHeaders = names
            } else if signature == nil && name.elementsEqual("Signature".utf8) {
                guard text.count == 64, bytes[text].allSatisfy({ PercentEncoding.hexValue($0) != nil }) else {
                    throw Self.malformed("the Signature is not 64 hex digits")
                }
                signature = asciiLowercased(bytes, text)
            } else {
                throw Self.malformed("unexpected or repeated field '\(string(field.lowerBound..<equals))'")
            }
            guard comma != rest.upperBound else { break }
            rest = (comma + 1)..<rest.upperBound
        }
        guard let credential, let signedHeaders, let signature else {
            throw Self.malformed("Credential, SignedHeaders and Signature are all required")
        }
        return Self(credential: credential, signedHeaders: signedHeaders, signature: signature)
    }

    private init(credential: SigV4Credential, signedHeaders: [String], signature: String) {
        self.credential = credential
        self.signedHeaders = signedHeaders
        self.signature = signature
    }

    /// The names of an ASCII `name;name;…`, each lowercased; nil when one is empty.
    static func signedHeaderNames(_ bytes: UnsafeBufferPointer<UInt8>, _ text: Range<Int>) -> [String]? {
        var names: [String] = []
        var start = text.lowerBound
        for i in text.lowerBound...text.upperBound where i == text.upperBound || bytes[i] == UInt8(ascii: ";") {
            guard i != start else { return nil }
            names.append(asciiLowercased(bytes, start..<i))
            start = i + 1
        }
        return names
    }

    private static func asciiLowercased(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(unsafeUninitializedCapacity: range.count) { buffer in
            for (n, byte) in bytes[range].enumerated() {
                buffer[n] = byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
            }
            return range.count
        }
    }

    /// `range` without leading and trailing spaces and tabs.
    private static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        var start = range.lowerBound
        var end = range.upperBound
        while start < end, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
        while end > start, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\t") { end -= 1 }
        return start..<end
    }

    /// The general parser, by Character, for values with non-ASCII bytes.
    private init(parsingCharacters value: String) throws {
        let trimmed = SigV4Whitespace.trim(value)
        guard trimmed == Self.algorithm || trimmed.hasPrefix(Self.algorithm + " ") else { throw Self.unsupported() }
        var credential: SigV4Credential?
        var signedHeaders: [String]?
        var signature: String?
        let fields = trimmed.dropFirst(Self.algorithm.count).split(separator: ",", omittingEmptySubsequences: false)
        for field in fields {
            let field = SigV4Whitespace.trim(field)
            guard let equals = field.firstIndex(of: "=") else { throw Self.malformed("missing '='") }
            let name = field[..<equals]
            let text = field[field.index(after: equals)...]
            switch name {
            case "Credential" where credential == nil:
                guard let parsed = SigV4Credential(text) else {
                    throw Self.malformed(
                        "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"")
                }
                credential = parsed
            case "SignedHeaders" where signedHeaders == nil:
                let names = text.split(separator: ";", omittingEmptySubsequences: false).map { $0.lowercased() }
                guard names.allSatisfy({ !$0.isEmpty }) else { throw Self.malformed("SignedHeaders is empty") }
                signedHeaders = names
            case "Signature" where signature == nil:
                guard SigV4Crypto.isHex(text, count: 64) else {
                    throw Self.malformed("the Signature is not 64 hex digits")
                }
                signature = text.lowercased()
            default:
                throw Self.malformed("unexpected or repeated field '\(name)'")
            }
        }
        guard let credential, let signedHeaders, let signature else {
            throw Self.malformed("Credential, SignedHeaders and Signature are all required")
        }
        self.credential = credential
        self.signedHeaders = signedHeaders
        self.signature = signature
    }

    private static func unsupported() -> S3Error {
        S3Error(
            .invalidRequest,
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
    }

    static func malformed(_ reason: String) -> S3Error {
        S3Error(.authorizationHeaderMalformed, "The authorization header is malformed; \(reason).")
    }
}
