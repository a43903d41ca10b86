/// Signs S3 requests with AWS Signature Version 4, in the `Authorization` header form and the
/// presigned-URL (query) form: the client side of `SigV4Verifier`, built on the same canonical
/// request, query and URI code, so that what it signs is what the verifier recomputes.
///
/// A value type that caches the signing key of the last scope date it used: the four-step HMAC
/// chain runs once per day per copy, not once per request. `sign` and `presign` are `mutating`
/// because of that cache, so give each concurrent user (one connection of a load generator) its
/// own copy; copies share nothing and need no lock. Pure otherwise: no IO and no clock (the
/// caller passes `now`).
package struct SigV4Signer: Sendable {
    /// The `x-amz-content-sha256` value of a body that is not hashed.
    package static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// Header names never signed: the signature itself, and headers that clients, proxies or
    /// HTTP stacks add, drop or rewrite in transit (signing them would break verification).
    private static let unsignedHeaderNames: Set<String> = [
        "authorization", "user-agent", "expect", "connection", "keep-alive", "transfer-encoding", "te", "upgrade",
        "proxy-authorization", "x-amzn-trace-id",
    ]

    package let accessKey: String
    package let region: String
    package let service: String
    private let secretKey: String
    /// `yyyyMMdd` of `cachedSigningKey`; empty until the first signature.
    private var cachedScopeDate = ""
    private var cachedSigningKey: [UInt8] = []

    package init(accessKey: String, secretKey: String, region: String, service: String = "s3") {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.region = region
        self.service = service
    }

    /// Signs `request` in the header form and returns the header fields to add to it, in this
    /// order: `host` (only when the request has none), `x-amz-content-sha256`, `x-amz-date` and
    /// `authorization`.
    ///
    /// Every header of the request is signed except hop-by-hop and client-identity ones
    /// (`user-agent`, `expect`, `connection`, `transfer-encoding`, …), so the request must be
    /// sent with exactly these header values. The path and query are taken as they will be sent
    /// (percent-encoded). The request must not already carry `authorization`, `x-amz-date` or
    /// `x-amz-content-sha256` (a precondition: that is a programming error).
    /// - Parameters:
    ///   - host: the `Host` value (`host[:port]`) to add when the request has no `Host` header;
    ///     one of the two is required.
    ///   - payloadHash: `UNSIGNED-PAYLOAD` or the lowercase hex SHA-256 of the body.
    ///   - now: seconds since 1970; the request is valid within the server's clock skew of it.
    /// - Throws: `S3Error` `InvalidURI` when the path or query has a malformed percent escape.
    package mutating func sign(
        _ request: SignableRequest, host: String? = nil, payloadHash: String = unsignedPayload, now: Int64
    ) throws -> [(name: String, value: String)] {
        let names = Set(request.headers.map { $0.name.lowercased() })
        precondition(
            names.isDisjoint(with: ["authorization", "x-amz-date", "x-amz-content-sha256"]),
            "SigV4Signer.sign: the request already carries authorization, x-amz-date or x-amz-content-sha256")
        let timestamp = SigV4Timestamp(secondsSince1970: now)
        var added: [(name: String, value: String)] = []
        if !names.contains("host") {
            guard let host else { preconditionFailure("SigV4Signer.sign: the request has no Host and no host was given") }
            added.append(("host", host))
        }
        added.append(("x-amz-content-sha256", payloadHash))
        added.append(("x-amz-date", timestamp.amzDate))

        let headers = request.headers + added
        let signedHeaders = Self.signedHeaderNames(headers)
        let scope = credentialScope(timestamp)
        let signature = try canonicalSignature(
            request, headers: headers, canonicalQuery: SigV4Query(parsing: request.rawQuery).canonical(),
            signedHeaders: signedHeaders, payloadHash: payloadHash, timestamp: timestamp, scope: scope)
        added.append(
            (
                "authorization",
                "\(SigV4AuthorizationHeader.algorithm) Credential=\(accessKey)/\(scope), "
                    + "SignedHeaders=\(signedHeaders.joined(separator: ";")), Signature=\(signature)"
            ))
        return added
    }

    /// Signs `request` as a presigned URL and returns its complete raw query string: the
    /// request's own query followed by the `X-Amz-*` parameters, `X-Amz-Signature` last.
    ///
    /// The signature covers `host` and any other signable header of the request (usually none:
    /// whoever follows the URL must send those headers unchanged). The URL is valid from `now`
    /// through `now + expiresSeconds`.
    /// - Parameters:
    ///   - host: the `Host` value when the request has no `Host` header; one is required.
    ///   - expiresSeconds: 1 to 604,800 (seven days, AWS's limit; a precondition).
    ///   - payloadHash: pins the body's SHA-256 (`X-Amz-Content-Sha256`); nil signs
    ///     `UNSIGNED-PAYLOAD` and adds no parameter.
    /// - Throws: `S3Error` `InvalidURI` when the path or query has a malformed percent escape.
    package mutating func presign(
        _ request: SignableRequest, host: String? = nil, expiresSeconds: Int64, payloadHash: String? = nil, now: Int64
    ) throws -> String {
        precondition(
            (1...SigV4PresignedQuery.maxExpiresSeconds).contains(expiresSeconds),
            "SigV4Signer.presign: expiresSeconds must be 1...604800")
        let timestamp = SigV4Timestamp(secondsSince1970: now)
        var headers = request.headers
        if !headers.contains(where: { $0.name.lowercased() == "host" }) {
            guard let host else {
                preconditionFailure("SigV4Signer.presign: the request has no Host and no host was given")
            }
            headers.append(("host", host))
        }
        let signedHeaders = Self.signedHeaderNames(headers)
        let scope = credentialScope(timestamp)
        var query = request.rawQuery
        func append(_ name: String, _ value: String) {
            if !query.isEmpty { query += "&" }
            query += name + "=" + PercentEncoding.awsURIEncode(value, encodeSlash: true)
        }
        append("X-Amz-Algorithm", SigV4AuthorizationHeader.algorithm)
        append("X-Amz-Credential", "\(accessKey)/\(scope)")
        append("X-Amz-Date", timestamp.amzDate)
        append("X-Amz-Expires", String(expiresSeconds))
        append("X-Amz-SignedHeaders", signedHeaders.joined(separator: ";"))
        if let payloadHash { append("X-Amz-Content-Sha256", payloadHash) }

        let signature = try canonicalSignature(
            request, headers: headers, canonicalQuery: SigV4Query(parsing: query).canonical(),
            signedHeaders: signedHeaders, payloadHash: payloadHash ?? Self.unsignedPayload, timestamp: timestamp,
            scope: scope)
        append("X-Amz-Signature", signature)
        return query
    }

    /// `yyyyMMdd/region/service/aws4_request`.
    private func credentialScope(_ timestamp: SigV4Timestamp) -> String {
        "\(timestamp.scopeDate)/\(region)/\(service)/aws4_request"
    }

    /// The signature over the canonical request, with the signing key of the scope date.
    private mutating func canonicalSignature(
        _ request: SignableRequest, headers: [(name: String, value: String)], canonicalQuery: String,
        signedHeaders: [String], payloadHash: String, timestamp: SigV4Timestamp, scope: String
    ) throws -> String {
        let canonicalRequest = SigV4CanonicalRequest(
            method: request.method,
            canonicalURI: try SigV4CanonicalRequest.canonicalURI(rawPath: request.rawPath),
            canonicalQuery: canonicalQuery,
            signedHeaders: signedHeaders,
            headers: SigV4HeaderIndex(headers),
            payloadHash: payloadHash)
        let scopeDate = timestamp.scopeDate
        if scopeDate != cachedScopeDate {
            // The only expensive step (four HMACs); it changes at midnight UTC.
            cachedSigningKey = SigV4Crypto.signingKey(
                secretKey: secretKey, date: scopeDate, region: region, service: service)
            cachedScopeDate = scopeDate
        }
        return SigV4Crypto.signature(
            signingKey: cachedSigningKey,
            stringToSign: canonicalRequest.stringToSign(amzDate: timestamp.amzDate, scope: scope))
    }

    /// Lowercased, deduplicated, sorted names of the headers to sign.
    private static func signedHeaderNames(_ headers: [(name: String, value: String)]) -> [String] {
        var names = Set<String>()
        for header in headers {
            let name = header.name.lowercased()
            if !unsignedHeaderNames.contains(name) { names.insert(name) }
        }
        // Byte order, as SigV4 specifies (String's < on ASCII names is the same order).
        return names.sorted()
    }
}
