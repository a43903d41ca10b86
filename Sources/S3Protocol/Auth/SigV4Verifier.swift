/// Verifies AWS Signature Version 4 on S3 requests: the `Authorization` header form and the
/// presigned-URL (query) form, for one region and the `s3` service. Requests signed with
/// Signature Version 2 (`Authorization: AWS …`, `?AWSAccessKeyId=…&Signature=…`) are handed to
/// `SigV2Verifier`, with the same keys and skew.
///
/// It checks everything but the body: scope, access key, request time, the canonical request
/// and the signature. Verifying the body is the caller's job, guided by `VerifiedRequest.payload`.
/// Pure and `Sendable`: no IO, no clock (the caller passes `now`), no state between calls.
package struct SigV4Verifier: Sendable {
    package let region: String
    package let maxClockSkewSeconds: Int64
    let secretKey: @Sendable (String) -> String?
    let signingKeys: SigV4SigningKeyCache
    private let signatureVersion2: SigV2Verifier

    /// - Parameters:
    ///   - region: the only region accepted in credential scopes.
    ///   - maxClockSkewSeconds: how far a header-signed request's time may be from `now`, either
    ///     way, and how far in the future a presigned URL may start.
    ///   - secretKey: the secret of an access key, or nil when the key is unknown.
    package init(region: String, maxClockSkewSeconds: Int64 = 900, secretKey: @escaping @Sendable (String) -> String?) {
        self.region = region
        self.maxClockSkewSeconds = maxClockSkewSeconds
        self.secretKey = secretKey
        self.signatureVersion2 = SigV2Verifier(maxClockSkewSeconds: maxClockSkewSeconds, secretKey: secretKey)
        self.signingKeys = SigV4SigningKeyCache()
    }

    /// Verifies a path-style request, or one without a bucket; see
    /// `verify(_:virtualHostBucket:now:)`.
    package func verify(_ request: SignableRequest, now: Int64) throws -> VerifiedRequest {
        try verify(request, virtualHostBucket: nil, now: now)
    }

    /// Verifies the `Authorization` header (AWS4-HMAC-SHA256) or the presigned query
    /// (`X-Amz-Algorithm`…), whichever the request carries, or their Signature Version 2 forms.
    ///
    /// Throws `S3Error` only: `AccessDenied` for an anonymous, expired or not-yet-valid request,
    /// `InvalidAccessKeyId`, `AuthorizationHeaderMalformed`, `AuthorizationQueryParametersError`,
    /// `RequestTimeTooSkewed`, `InvalidRequest`/`InvalidArgument` for bad `x-amz-content-sha256`,
    /// `InvalidArgument` for a malformed SigV2 header or more than one mechanism,
    /// `InvalidURI` for undecodable paths or queries, and `SignatureDoesNotMatch`.
    /// A SigV2 request verifies with `payload: .unsigned` (SigV2 signs no body).
    /// - Parameters:
    ///   - virtualHostBucket: the bucket the `Host` header names (virtual-hosted style), or nil.
    ///     Only SigV2 needs it (it signs `/bucket` + path); SigV4 signs the path as sent.
    ///   - now: seconds since 1970.
    ///   - signatureVersion2Allowed: false refuses SigV2 (AccessDenied), for requests whose
    ///     parameters SigV2 would leave unsigned (the admin API).
    package func verify(
        _ request: SignableRequest, virtualHostBucket: String?, now: Int64, signatureVersion2Allowed: Bool = true
    ) throws -> VerifiedRequest {
        let headers = SigV4HeaderIndex(request.headers)
        let query = try SigV4Query(parsing: request.rawQuery)
        let authorizations = headers.values("authorization")
        let isPresignedV2 = SigV2PresignedQuery.isSignatureVersion2(query)
        let isPresigned =
            query.contains("X-Amz-Algorithm") || query.contains("X-Amz-Signature") || query.contains("X-Amz-Credential")
        if !signatureVersion2Allowed,
            isPresignedV2 || authorizations.contains(where: SigV2AuthorizationHeader.isSignatureVersion2)
        {
            throw S3Error(.accessDenied, "This endpoint accepts AWS Signature Version 4 only.")
        }
        switch (authorizations.count, isPresigned || isPresignedV2) {
        case (0, false):
            throw S3Error(
                .accessDenied, "Anonymous access is not allowed; sign the request with AWS Signature Version 4.")
        case (0, true) where isPresigned:
            return try verifyPresigned(request, headers: headers, query: query, now: now)
        case (0, true):
            return try signatureVersion2.verifyPresigned(
                request, query: query, virtualHostBucket: virtualHostBucket, now: now)
        case (1, false) where SigV2AuthorizationHeader.isSignatureVersion2(authorizations[0]):
            return try signatureVersion2.verifyAuthorizationHeader(
                authorizations[0], request, query: query, virtualHostBucket: virtualHostBucket, now: now)
        case (1, false):
            return try verifyAuthorizationHeader(authorizations[0], request, headers: headers, query: query, now: now)
        case (_, true):
            throw S3Error(
                .invalidArgument,
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string "
                    + "parameter or the Authorization header should be specified",
                details: [("ArgumentName", "Authorization")])
        default:
            throw SigV4AuthorizationHeader.malformed("more than one Authorization header")
        }
    }

    // MARK: - Authorization header

    private func verifyAuthorizationHeader(
        _ value: String, _ request: SignableRequest, headers: SigV4HeaderIndex, query: SigV4Query, now: Int64
    ) throws -> VerifiedRequest {
        let authorization = try SigV4AuthorizationHeader(parsing: value)
        let credential = authorization.credential
        try checkScope(credential, error: SigV4AuthorizationHeader.malformed)
        guard let secret = secretKey(credential.accessKey) else { throw S3Error(.invalidAccessKeyId) }

        let timestamp = try requestTimestamp(headers)
        guard credential.date == timestamp.scopeDate else {
            throw SigV4AuthorizationHeader.malformed("Invalid credential date. Date is not the same as X-Amz-Date")
        }
        guard abs(now - timestamp.secondsSince1970) <= maxClockSkewSeconds else {
            throw S3Error(
                .requestTimeTooSkewed,
                details: [
                    ("RequestTime", timestamp.amzDate),
                    ("ServerTime", SigV4Timestamp(secondsSince1970: now).amzDate),
                    ("MaxAllowedSkewMilliseconds", String(maxClockSkewSeconds * 1000)),
                ])
        }

        guard let contentSHA256 = headers.value("x-amz-content-sha256") else {
            throw S3Error(.invalidRequest, "Missing required header for this request: x-amz-content-sha256")
        }
        guard let payload = PayloadMode(contentSHA256: contentSHA256) else {
            throw S3Error(
                .invalidArgument,
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                    + "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-UNSIGNED-PAYLOAD-TRAILER "
                    + "or a valid sha256 value.",
                details: [("ArgumentName", "x-amz-content-sha256"), ("ArgumentValue", contentSHA256)])
        }
        guard authorization.signedHeaders.contains("host") else {
            throw SigV4AuthorizationHeader.malformed("the host header must be signed")
        }
        try SignedHeaderRule.check(request.headers, signedHeaders: authorization.signedHeaders, presigned: false)

        let signingKey = try checkSignature(
            request,
            headers: headers,
            query: query,
            excludingParameter: nil,
            signedHeaders: authorization.signedHeaders,
            payloadHash: contentSHA256,
            credential: credential,
            secret: secret,
            amzDate: timestamp.amzDate,
            signature: authorization.signature)

        let chunkSigning: ChunkSigningContext?
        switch payload {
        case .streamingSigned, .streamingSignedTrailer:
            chunkSigning = ChunkSigningContext(
                signingKey: signingKey, seedSignature: authorization.signature, amzDate: timestamp.amzDate,
                scope: credential.scope)
        case .unsigned, .sha256, .streamingUnsignedTrailer:
            chunkSigning = nil
        }
        return VerifiedRequest(accessKey: credential.accessKey, payload: payload, chunkSigning: chunkSigning)
    }

    /// `x-amz-date`, else the `Date` header; AWS answers AccessDenied when neither is usable.
    private func requestTimestamp(_ headers: SigV4HeaderIndex) throws -> SigV4Timestamp {
        let timestamp: SigV4Timestamp?
        if let amzDate = headers.value("x-amz-date") {
            timestamp = SigV4Timestamp(amzDate: Self.trimmed(amzDate))
        } else if let date = headers.value("date") {
            timestamp = SigV4Timestamp(httpDate: Self.trimmed(date))
        } else {
            timestamp = nil
        }
        guard let timestamp else {
            throw S3Error(.accessDenied, "AWS authentication requires a valid Date or x-amz-date header")
        }
        return timestamp
    }

    /// `value` without surrounding spaces and tabs; itself, uncopied, when there are none.
    private static func trimmed(_ value: String) -> String {
        // A Character that is a space or tab is that one byte, so the end bytes decide.
        guard let first = value.utf8.first, let last = value.utf8.last,
            first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") || last == UInt8(ascii: " ")
                || last == UInt8(ascii: "\t")
        else { return value }
        return String(SigV4Whitespace.trim(value))
    }

    // MARK: - Presigned URL

    private func verifyPresigned(
        _ request: SignableRequest, headers: SigV4HeaderIndex, query: SigV4Query, now: Int64
    ) throws -> VerifiedRequest {
        let presigned = try SigV4PresignedQuery(query)
        let credential = presigned.credential
        try checkScope(credential) { SigV4PresignedQuery.error("Error parsing the X-Amz-Credential parameter; \($0).") }
        guard let secret = secretKey(credential.accessKey) else { throw S3Error(.invalidAccessKeyId) }
        guard credential.date == presigned.timestamp.scopeDate else {
            throw SigV4PresignedQuery.error("Invalid credential date. Date is not the same as X-Amz-Date.")
        }
        let start = presigned.timestamp.secondsSince1970
        guard now >= start - maxClockSkewSeconds else { throw S3Error(.accessDenied, "Request is not valid yet") }
        guard now <= start + presigned.expiresSeconds else {
            throw S3Error(
                .accessDenied, "Request has expired",
                details: [
                    ("X-Amz-Expires", String(presigned.expiresSeconds)),
                    ("Expires", SigV4Timestamp(secondsSince1970: start + presigned.expiresSeconds).amzDate),
                    ("ServerTime", SigV4Timestamp(secondsSince1970: now).amzDate),
                ])
        }

        let payloadHash = presigned.contentSHA256 ?? "UNSIGNED-PAYLOAD"
        guard let payload = PayloadMode(contentSHA256: payloadHash),
            payload != .streamingSigned, payload != .streamingSignedTrailer
        else {
            throw S3Error(
                .invalidArgument, "X-Amz-Content-Sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.",
                details: [("ArgumentName", "X-Amz-Content-Sha256"), ("ArgumentValue", payloadHash)])
        }
        guard presigned.signedHeaders.contains("host") else {
            throw SigV4PresignedQuery.error("X-Amz-SignedHeaders must include the host header.")
        }
        try SignedHeaderRule.check(request.headers, signedHeaders: presigned.signedHeaders, presigned: true)

        _ = try checkSignature(
            request,
            headers: headers,
            query: query,
            excludingParameter: "X-Amz-Signature",
            signedHeaders: presigned.signedHeaders,
            payloadHash: payloadHash,
            credential: credential,
            secret: secret,
            amzDate: presigned.timestamp.amzDate,
            signature: presigned.signature)
        return VerifiedRequest(accessKey: credential.accessKey, payload: payload, chunkSigning: nil)
    }

    // MARK: - Shared steps

    /// Region, service and terminator of the credential scope; AWS names the expected region.
    private func checkScope(_ credential: SigV4Credential, error: (String) -> S3Error) throws {
        guard credential.region == region else {
            var failure = error("the region '\(credential.region)' is wrong; expecting '\(region)'")
            failure.details.append(("Region", region))
            throw failure
        }
        guard credential.service == "s3" else {
            throw error("incorrect service '\(credential.service)'. This endpoint belongs to 's3'")
        }
        guard credential.terminator == "aws4_request" else {
            throw error("incorrect terminal '\(credential.terminator)'. This endpoint uses 'aws4_request'")
        }
    }

    /// Rebuilds the canonical request, signs it and compares in constant time.
    /// Returns the signing key (the streaming modes chain chunk signatures from it).
    private func checkSignature(
        _ request: SignableRequest,
        headers: SigV4HeaderIndex,
        query: SigV4Query,
        excludingParameter excludedParameter: String?,
        signedHeaders: [String],
        payloadHash: String,
        credential: SigV4Credential,
        secret: String,
        amzDate: String,
        signature: String
    ) throws -> [UInt8] {
        let canonicalRequest = try SigV4CanonicalRequest(
            method: request.method,
            rawPath: request.rawPath,
            query: query,
            excludingParameter: excludedParameter,
            signedHeaders: signedHeaders,
            headers: headers,
            payloadHash: payloadHash)
        let stringToSign = canonicalRequest.stringToSignBytes(amzDate: amzDate, credential: credential)
        let signingKey = signingKeys.preparedSigningKey(
            secretKey: secret, date: credential.date, region: credential.region)
        let expected = SigV4Crypto.signatureHex(signingKey: signingKey.hmac, stringToSign: stringToSign)
        guard SigV4Crypto.constantTimeEquals(expected, signature) else {
            throw S3Error(
                .signatureDoesNotMatch,
                details: [
                    ("AWSAccessKeyId", credential.accessKey),
                    ("StringToSign", String(decoding: stringToSign, as: UTF8.self)),
                    ("CanonicalRequest", canonicalRequest.text),
                ])
        }
        return signingKey.bytes
    }
}
