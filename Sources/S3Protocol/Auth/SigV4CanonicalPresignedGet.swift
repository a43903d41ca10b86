/// A presigned SigV4 GET whose query is already in canonical form: exactly the parameters an SDK
/// presigner writes (`X-Amz-Algorithm`, `-Credential`, `-Date`, `-Expires`, `-SignedHeaders`,
/// `-Signature`, and the AWS SDK's `x-id`), each once, every value encoded as `UriEncode` would
/// encode it, the host the only signed header and the payload unsigned.
///
/// For such a URL the canonical query is the raw parameters in a fixed order, so
/// `SigV4Verifier.verifies(_:rawQuery:rawPath:host:now:)` checks it over the request's own bytes,
/// without the strings and sorting of the general verifier: the GET fast path's authentication.
///
/// It is a narrowing, never a second definition: whatever this type does not recognise (another
/// parameter, a repeated one, an escape the canonical form would write differently, an empty
/// piece) makes `init` return nil, and the caller uses `SigV4Verifier.verify`, which also produces
/// every error. `verifies` accepts only what `verify` accepts.
package struct SigV4CanonicalPresignedGet: Sendable {
    /// The parameters, in canonical (byte) order of their names; the signature is not signed.
    fileprivate enum Parameter: Int, CaseIterable {
        case algorithm, credential, date, expires, signedHeaders, xID, signature
    }

    private static let names: [[UInt8]] = [
        "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "x-id",
        "X-Amz-Signature",
    ].map { Array($0.utf8) }

    /// Where each parameter's raw value lies in the query; `found` says which are present.
    private var values = InlineArray<7, Range<Int>>(repeating: 0..<0)
    private var found: UInt8 = 0

    /// Recognises `rawQuery` (the bytes after `?`); nil unless it is exactly a canonical
    /// presigned GET query. Only the form is checked here, not the values.
    package init?(rawQuery: UnsafeBufferPointer<UInt8>) {
        var start = 0
        while start < rawQuery.count {
            var end = start
            var equals = -1
            while end < rawQuery.count, rawQuery[end] != UInt8(ascii: "&") {
                if equals < 0, rawQuery[end] == UInt8(ascii: "=") { equals = end }
                end += 1
            }
            guard equals > start, let parameter = Self.parameter(UnsafeBufferPointer(rebasing: rawQuery[start..<equals])),
                found & (1 << parameter.rawValue) == 0,
                Self.isCanonicallyEncoded(UnsafeBufferPointer(rebasing: rawQuery[(equals + 1)..<end]))
            else { return nil }
            found |= 1 << parameter.rawValue
            values[parameter.rawValue] = (equals + 1)..<end
            // A trailing `&` leaves an empty piece, which the general parser skips: not canonical.
            guard end < rawQuery.count - 1 || end == rawQuery.count else { return nil }
            start = end + 1
        }
        let required = Parameter.allCases.filter { $0 != .xID }.reduce(UInt8(0)) { $0 | 1 << $1.rawValue }
        guard found & required == required else { return nil }
    }

    private static func parameter(_ name: UnsafeBufferPointer<UInt8>) -> Parameter? {
        Parameter.allCases.first { names[$0.rawValue].elementsEqual(name) }
    }

    /// Every byte unreserved, or an escape `%XX` (uppercase hex) of an ASCII byte that `UriEncode`
    /// escapes: then decoding and re-encoding gives these very bytes back.
    private static func isCanonicallyEncoded(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        while index < value.count {
            let byte = value[index]
            if PercentEncoding.isUnreserved(byte) {
                index += 1
                continue
            }
            guard byte == UInt8(ascii: "%"), index + 2 < value.count,
                let high = upperHexValue(value[index + 1]), let low = upperHexValue(value[index + 2]), high < 8,
                !PercentEncoding.isUnreserved(high << 4 | low)
            else { return false }
            index += 3
        }
        return true
    }

    /// A hex digit's value, uppercase letters only (the canonical escape).
    private static func upperHexValue(_ byte: UInt8) -> UInt8? {
        byte < UInt8(ascii: "a") ? PercentEncoding.hexValue(byte) : nil
    }

    fileprivate func value(_ parameter: Parameter, in rawQuery: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>
    {
        UnsafeBufferPointer(rebasing: rawQuery[values[parameter.rawValue]])
    }

    fileprivate func has(_ parameter: Parameter) -> Bool { found & (1 << parameter.rawValue) != 0 }

    /// `name=value&…` of the signed parameters, in canonical order.
    fileprivate func appendCanonicalQuery(_ rawQuery: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var first = true
        for parameter in Parameter.allCases where parameter != .signature && has(parameter) {
            if !first { out.append(UInt8(ascii: "&")) }
            first = false
            out.append(contentsOf: Self.names[parameter.rawValue])
            out.append(UInt8(ascii: "="))
            out.append(contentsOf: value(parameter, in: rawQuery))
        }
    }
}

extension SigV4Verifier {
    /// Whether the canonical presigned GET `presigned` (recognised in `rawQuery`) is valid for
    /// `GET rawPath` with this `Host` value at `now`: the checks of `verify(_:now:)` for a
    /// presigned URL (algorithm, scope, access key, dates, expiry, signature). False says only
    /// "not shown valid here"; `verify` then gives the answer and the error.
    ///
    /// The caller makes sure the request has no `Authorization` header (two mechanisms are an
    /// error) and that `rawPath` and `host` are the path and `Host` value `verify` would be given.
    package func verifies(
        _ presigned: SigV4CanonicalPresignedGet, rawQuery: UnsafeBufferPointer<UInt8>,
        rawPath: UnsafeBufferPointer<UInt8>, host: UnsafeBufferPointer<UInt8>, now: Int64
    ) -> Bool {
        let signature = presigned.value(.signature, in: rawQuery)
        let date = presigned.value(.date, in: rawQuery)
        guard presigned.value(.algorithm, in: rawQuery).elementsEqual(SigV4AuthorizationHeader.algorithm.utf8),
            presigned.value(.signedHeaders, in: rawQuery).elementsEqual("host".utf8),
            signature.count == 64,
            let expires = Self.expiresSeconds(presigned.value(.expires, in: rawQuery)),
            let start = SigV4Timestamp.parseAmzDate(date),
            now >= start - maxClockSkewSeconds, now <= start + expires,
            // Visible ASCII only: trimming and collapsing whitespace would change nothing, and no
            // byte is one a String would have repaired. The same for the path, which is signed as is.
            !host.isEmpty, host.allSatisfy(Self.isVisibleASCII), rawPath.allSatisfy(Self.isVisibleASCII),
            let scope = Self.scope(presigned.value(.credential, in: rawQuery)),
            scope.date.elementsEqual(date.prefix(8)), scope.region.elementsEqual(region.utf8),
            let secret = secretKey(String(decoding: scope.accessKey, as: UTF8.self))
        else { return false }

        var canonical = [UInt8]()
        canonical.reserveCapacity(384 + rawPath.count + rawQuery.count + host.count)
        canonical.append(contentsOf: "GET\n".utf8)
        guard (try? SigV4CanonicalRequest.appendCanonicalURI(rawPath: rawPath, to: &canonical)) != nil else {
            return false
        }
        canonical.append(UInt8(ascii: "\n"))
        presigned.appendCanonicalQuery(rawQuery, to: &canonical)
        canonical.append(contentsOf: "\nhost:".utf8)
        canonical.append(contentsOf: host)
        canonical.append(contentsOf: "\n\nhost\nUNSIGNED-PAYLOAD".utf8)

        var stringToSign = [UInt8]()
        SigV4CanonicalRequest.appendStringToSign(canonicalRequest: canonical, amzDate: date, to: &stringToSign) {
            $0.append(contentsOf: scope.date)
            $0.append(UInt8(ascii: "/"))
            $0.append(contentsOf: region.utf8)
            $0.append(contentsOf: "/s3/aws4_request".utf8)
        }
        let key = signingKeys.preparedSigningKey(
            secretKey: secret, date: String(decoding: scope.date, as: UTF8.self), region: region)
        let expected = SigV4Crypto.signatureHex(signingKey: key.hmac, stringToSign: stringToSign)
        // Hex in either case, as the general verifier compares (`expected` is hex, so a match is hex).
        return SigV4Crypto.constantTimeEquals(expected, signature)
    }

    private static func isVisibleASCII(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }

    /// `X-Amz-Expires` as `SigV4PresignedQuery` accepts it: 1 to 18 digits, 1 s to a week.
    private static func expiresSeconds(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard !text.isEmpty, text.count <= 18 else { return nil }
        var value: Int64 = 0
        for byte in text {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        guard value >= 1, value <= SigV4PresignedQuery.maxExpiresSeconds else { return nil }
        return value
    }

    /// The parts of a raw credential `AK%2Fyyyymmdd%2Fregion%2Fs3%2Faws4_request` whose parts hold
    /// no other escape (so each is its own decoding); nil for anything else.
    private static func scope(_ credential: UnsafeBufferPointer<UInt8>) -> (
        accessKey: UnsafeBufferPointer<UInt8>, date: UnsafeBufferPointer<UInt8>, region: UnsafeBufferPointer<UInt8>
    )? {
        var parts: [Range<Int>] = []
        parts.reserveCapacity(5)
        var start = 0
        var index = 0
        while index < credential.count {
            if credential[index] == UInt8(ascii: "%") {
                guard index + 2 < credential.count, credential[index + 1] == UInt8(ascii: "2"),
                    credential[index + 2] == UInt8(ascii: "F"), parts.count < 4
                else { return nil }
                parts.append(start..<index)
                index += 3
                start = index
            } else {
                index += 1
            }
        }
        parts.append(start..<credential.count)
        guard parts.count == 5, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        let part = { (index: Int) in UnsafeBufferPointer(rebasing: credential[parts[index]]) }
        let date = part(1)
        guard date.count == 8, date.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            part(3).elementsEqual("s3".utf8), part(4).elementsEqual("aws4_request".utf8)
        else { return nil }
        return (part(0), date, part(2))
    }
}
