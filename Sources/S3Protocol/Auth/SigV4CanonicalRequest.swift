/// The SigV4 canonical request of an S3 request and the string to sign built from it.
///
/// S3 differs from other AWS services in the canonical URI: the path is encoded once and not
/// normalised, so `//` and `..` segments are kept as the client sent them.
///
/// The request is built as UTF-8 bytes in one buffer and hashed from there; `text` makes a
/// `String` of it only when asked (error details).
struct SigV4CanonicalRequest: Sendable {
    /// The canonical request as UTF-8:
    /// `method \n URI \n query \n headers (each ending in \n) \n signed headers \n payload hash`.
    var bytes: [UInt8]

    /// The canonical request text.
    var text: String { String(decoding: bytes, as: UTF8.self) }

    init(
        method: String,
        canonicalURI: String,
        canonicalQuery: String,
        signedHeaders: [String],
        headers: SigV4HeaderIndex,
        payloadHash: String
    ) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(512)
        bytes.append(contentsOf: method.utf8)
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: canonicalURI.utf8)
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: canonicalQuery.utf8)
        bytes.append(UInt8(ascii: "\n"))
        Self.appendHeaders(signedHeaders, headers, payloadHash: payloadHash, to: &bytes)
        self.bytes = bytes
    }

    /// Builds the canonical request straight from the request as received: the raw path, the
    /// parsed query (without the parameter `excludedParameter`) and the headers.
    ///
    /// Throws `InvalidURI` as `canonicalURI(rawPath:)` does.
    init(
        method: String,
        rawPath: String,
        query: SigV4Query,
        excludingParameter excludedParameter: String?,
        signedHeaders: [String],
        headers: SigV4HeaderIndex,
        payloadHash: String
    ) throws {
        var bytes = [UInt8]()
        bytes.reserveCapacity(512)
        bytes.append(contentsOf: method.utf8)
        bytes.append(UInt8(ascii: "\n"))
        try Self.appendCanonicalURI(rawPath: rawPath, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        query.appendCanonical(excluding: excludedParameter, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        Self.appendHeaders(signedHeaders, headers, payloadHash: payloadHash, to: &bytes)
        self.bytes = bytes
    }

    /// `name:values\n` per signed header, a blank line, `name;name…\n` and the payload hash.
    private static func appendHeaders(
        _ signedHeaders: [String], _ headers: SigV4HeaderIndex, payloadHash: String, to bytes: inout [UInt8]
    ) {
        for name in signedHeaders {
            bytes.append(contentsOf: name.utf8)
            bytes.append(UInt8(ascii: ":"))
            // A signed header that is absent canonicalises as empty; the signature then fails.
            var first = true
            headers.forEachValue(name) { value in
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                SigV4Whitespace.appendTrimmedAll(value, to: &bytes)
            }
            bytes.append(UInt8(ascii: "\n"))
        }
        bytes.append(UInt8(ascii: "\n"))
        for (index, name) in signedHeaders.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ";")) }
            bytes.append(contentsOf: name.utf8)
        }
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: payloadHash.utf8)
    }

    /// `AWS4-HMAC-SHA256 \n amzDate \n scope \n hex(sha256(canonical request))`.
    func stringToSign(amzDate: String, scope: String) -> String {
        var out = [UInt8]()
        appendStringToSign(amzDate: amzDate, to: &out) { $0.append(contentsOf: scope.utf8) }
        return String(decoding: out, as: UTF8.self)
    }

    /// `stringToSign(amzDate:scope:)` as UTF-8, with the scope of `credential`.
    func stringToSignBytes(amzDate: String, credential: SigV4Credential) -> [UInt8] {
        var out = [UInt8]()
        appendStringToSign(amzDate: amzDate, to: &out) { credential.appendScope(to: &$0) }
        return out
    }

    private func appendStringToSign(
        amzDate: String, to out: inout [UInt8], scope appendScope: (inout [UInt8]) -> Void
    ) {
        Self.appendStringToSign(canonicalRequest: bytes, amzDate: amzDate.utf8, to: &out, scope: appendScope)
    }

    /// `AWS4-HMAC-SHA256 \n amzDate \n scope \n hex(sha256(canonicalRequest))`, appended to `out`.
    static func appendStringToSign(
        canonicalRequest: [UInt8], amzDate: some Collection<UInt8>, to out: inout [UInt8],
        scope appendScope: (inout [UInt8]) -> Void
    ) {
        out.reserveCapacity(160)
        out.append(contentsOf: "AWS4-HMAC-SHA256\n".utf8)
        out.append(contentsOf: amzDate)
        out.append(UInt8(ascii: "\n"))
        appendScope(&out)
        out.append(UInt8(ascii: "\n"))
        SigV4Crypto.appendSHA256Hex(canonicalRequest, to: &out)
    }

    /// The raw path percent-decoded, then `UriEncode`d with `/` kept; `/` for an empty path.
    ///
    /// Throws `InvalidURI` for a malformed escape or a path that does not decode to UTF-8.
    static func canonicalURI(rawPath: String) throws -> String {
        var out = [UInt8]()
        try appendCanonicalURI(rawPath: rawPath, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `canonicalURI(rawPath:)` to `out`.
    static func appendCanonicalURI(rawPath: String, to out: inout [UInt8]) throws {
        var rawPath = rawPath
        try rawPath.withUTF8 { try appendCanonicalURI(rawPath: $0, to: &out) }
    }

    /// Appends `canonicalURI(rawPath:)` of the UTF-8 bytes `rawPath` to `out`.
    static func appendCanonicalURI(rawPath: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) throws {
        guard !rawPath.isEmpty else {
            out.append(UInt8(ascii: "/"))
            return
        }
        guard rawPath.contains(UInt8(ascii: "%")) else {
            // Nothing to decode; the bytes are UTF-8 already (a String's, or checked by the caller).
            PercentEncoding.appendAWSURIEncoded(rawPath, encodeSlash: false, to: &out)
            return
        }
        var decoded = [UInt8]()
        guard PercentEncoding.appendDecoded(rawPath, to: &decoded),
            decoded.withUnsafeBufferPointer({ String(validating: $0, as: UTF8.self) }) != nil
        else {
            throw S3Error(.invalidURI, "Couldn't parse the specified URI: malformed percent-encoding in the path.")
        }
        PercentEncoding.appendAWSURIEncoded(decoded, encodeSlash: false, to: &out)
    }
}
