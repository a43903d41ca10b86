/// Verifies AWS Signature Version 2 on S3 requests: `Authorization: AWS <key>:<signature>` and
/// presigned URLs (`?AWSAccessKeyId=…&Expires=…&Signature=…`), as botocore still produces by
/// default and older s3cmd configurations send.
///
/// It checks the access key, the request time or expiry, and the HMAC-SHA1 signature over
/// method, `Content-MD5`, `Content-Type`, date, `x-amz-*` headers and resource. SigV2 does not
/// cover the body (nor most headers, nor unsigned query parameters): callers verify
/// `Content-MD5` themselves. Pure and `Sendable`: no IO, no clock, no state between calls.
/// `SigV4Verifier` delegates here; use it directly only to accept SigV2 alone.
package struct SigV2Verifier: Sendable {
    package let maxClockSkewSeconds: Int64
    private let secretKey: @Sendable (String) -> String?

    /// - Parameters:
    ///   - maxClockSkewSeconds: how far a header-signed request's `Date`/`x-amz-date` may be from
    ///     `now`, either way (AWS: 15 minutes). Presigned URLs are bounded by `Expires` alone.
    ///   - secretKey: the secret of an access key, or nil when the key is unknown.
    package init(maxClockSkewSeconds: Int64 = 900, secretKey: @escaping @Sendable (String) -> String?) {
        self.maxClockSkewSeconds = maxClockSkewSeconds
        self.secretKey = secretKey
    }

    /// Verifies whichever SigV2 form the request carries.
    ///
    /// The result always has `payload: .unsigned` and no chunk signing.
    /// Throws `S3Error` only: `AccessDenied` when the request is not SigV2, lacks a usable date
    /// or presigned parameter, or has expired; `InvalidArgument` for a malformed `Authorization`;
    /// `InvalidAccessKeyId`; `RequestTimeTooSkewed`; `InvalidURI` for an undecodable query;
    /// `SignatureDoesNotMatch` (with the string to sign, as AWS reports it).
    /// - Parameters:
    ///   - virtualHostBucket: the bucket named by the `Host` header (virtual-hosted style,
    ///     including CNAME buckets), which SigV2 signs as a `/bucket` prefix of the path; nil for
    ///     path-style requests and requests without a bucket.
    ///   - now: seconds since 1970.
    package func verify(_ request: SignableRequest, virtualHostBucket: String? = nil, now: Int64) throws
        -> VerifiedRequest
    {
        let query = try SigV4Query(parsing: request.rawQuery)
        let authorizations = SigV4HeaderIndex(request.headers).values("authorization")
        if authorizations.count == 1, SigV2AuthorizationHeader.isSignatureVersion2(authorizations[0]) {
            return try verifyAuthorizationHeader(
                authorizations[0], request, query: query, virtualHostBucket: virtualHostBucket, now: now)
        }
        if authorizations.isEmpty, SigV2PresignedQuery.isSignatureVersion2(query) {
            return try verifyPresigned(request, query: query, virtualHostBucket: virtualHostBucket, now: now)
        }
        throw S3Error(.accessDenied, "The request is not signed with AWS Signature Version 2.")
    }

    func verifyAuthorizationHeader(
        _ value: String, _ request: SignableRequest, query: SigV4Query, virtualHostBucket: String?, now: Int64
    ) throws -> VerifiedRequest {
        let authorization = try SigV2AuthorizationHeader(parsing: value)
        guard let secret = secretKey(authorization.accessKey) else { throw S3Error(.invalidAccessKeyId) }

        // With x-amz-date present, AWS ignores Date and signs an empty Date line; x-amz-date
        // is then signed among the x-amz-* headers.
        let headers = SigV4HeaderIndex(request.headers)
        let amzDate = headers.value("x-amz-date")
        let dateText = amzDate ?? headers.value("date")
        // A date before 1970 is no valid request time either (S3: AccessDenied, not a skew).
        guard let dateText, let requestTime = SigV2Date.secondsSince1970(dateText), requestTime >= 0 else {
            throw S3Error(.accessDenied, "AWS authentication requires a valid Date or x-amz-date header")
        }
        guard abs(now - requestTime) <= maxClockSkewSeconds else {
            throw S3Error(
                .requestTimeTooSkewed,
                details: [
                    ("RequestTime", String(SigV4Whitespace.trim(dateText))),
                    ("ServerTime", HTTPDate.format(now)),
                    ("MaxAllowedSkewMilliseconds", String(maxClockSkewSeconds * 1000)),
                ])
        }

        let stringToSign = SigV2StringToSign(
            method: request.method,
            headers: request.headers,
            dateLine: amzDate == nil ? String(SigV4Whitespace.trim(dateText)) : "",
            resource: SigV2StringToSign.canonicalizedResource(
                rawPath: request.rawPath, virtualHostBucket: virtualHostBucket, query: query))
        try check(authorization.signature, accessKey: authorization.accessKey, secret: secret, stringToSign)
        return VerifiedRequest(accessKey: authorization.accessKey, payload: .unsigned, chunkSigning: nil)
    }

    func verifyPresigned(
        _ request: SignableRequest, query: SigV4Query, virtualHostBucket: String?, now: Int64
    ) throws -> VerifiedRequest {
        let presigned = try SigV2PresignedQuery(query)
        guard let secret = secretKey(presigned.accessKey) else { throw S3Error(.invalidAccessKeyId) }
        guard now <= presigned.expires else {
            throw S3Error(
                .accessDenied, "Request has expired",
                details: [
                    ("Expires", HTTPDate.iso8601(millisecondsSince1970: presigned.expires * 1000)),
                    ("ServerTime", HTTPDate.iso8601(millisecondsSince1970: now * 1000)),
                ])
        }

        let stringToSign = SigV2StringToSign(
            method: request.method,
            headers: try Self.presignedHeaders(request.headers, query: query),
            dateLine: presigned.expiresText,
            resource: SigV2StringToSign.canonicalizedResource(
                rawPath: request.rawPath, virtualHostBucket: virtualHostBucket, query: query))
        try check(presigned.signature, accessKey: presigned.accessKey, secret: secret, stringToSign)
        return VerifiedRequest(accessKey: presigned.accessKey, payload: .unsigned, chunkSigning: nil)
    }

    /// The headers a presigned URL's signature covers. botocore signs `Content-MD5`,
    /// `Content-Type` and `x-amz-*` headers and then moves them into the query (lowercased); the
    /// rest come from the request (a browser sends none of them, normally).
    ///
    /// A request `x-amz-*` header with the name of such a parameter must carry the signed value:
    /// the signature covers the query's value while the handlers read the header, so a
    /// different one is refused (AccessDenied, as for an unsigned header). `Content-Type` and
    /// `Content-MD5` are signed from the query in place of the header, as before.
    static func presignedHeaders(
        _ headers: [(name: String, value: String)], query: SigV4Query
    ) throws -> [(name: String, value: String)] {
        let fromQuery = query.parameters.filter { parameter in
            let name = parameter.name.lowercased()
            return name == "content-md5" || name == "content-type" || name.hasPrefix("x-amz-")
        }
        guard !fromQuery.isEmpty else { return headers }
        // A repeated parameter is signed as its values joined with `,`, as a repeated header is.
        var signedValues: [String: String] = [:]
        for parameter in fromQuery {
            let name = parameter.name.lowercased()
            signedValues[name] = signedValues[name].map { $0 + "," + parameter.value } ?? parameter.value
        }
        var conflicting: Set<String> = []
        var unhoisted: [(name: String, value: String)] = []
        for header in headers {
            let name = header.name.lowercased()
            guard let signed = signedValues[name] else {
                unhoisted.append(header)
                continue
            }
            if name.hasPrefix("x-amz-"), SigV4Whitespace.trim(header.value) != SigV4Whitespace.trim(signed) {
                conflicting.insert(name)
            }
        }
        guard conflicting.isEmpty else {
            throw SignedHeaderRule.refusal(conflicting.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        }
        return unhoisted + fromQuery
    }

    private func check(_ signature: String, accessKey: String, secret: String, _ stringToSign: SigV2StringToSign)
        throws
    {
        guard SigV2Crypto.matches(signature, secretKey: secret, stringToSign: stringToSign.text) else {
            throw S3Error(
                .signatureDoesNotMatch,
                details: [
                    ("AWSAccessKeyId", accessKey),
                    ("StringToSign", stringToSign.text),
                    ("SignatureProvided", signature),
                ])
        }
    }
}
