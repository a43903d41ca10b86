import S3Protocol

/// Signs hand-written canonical requests, so that tests state the canonical form they expect
/// and check that the verifier arrives at the same text.
///
/// It uses only `SigV4Crypto`, whose output the AWS documentation examples pin down.
enum SigV4TestSigner {
    static let accessKey = "AKIDEXAMPLE"
    static let secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    static let region = "us-east-1"
    /// 20130524T000000Z, the date of every AWS documentation example.
    static let exampleTime: Int64 = 1_369_353_600
    static let exampleAmzDate = "20130524T000000Z"

    static let verifier = SigV4Verifier(region: region) { key in
        switch key {
        case accessKey, "AKIAIOSFODNN7EXAMPLE": secretKey
        default: nil
        }
    }

    static func signature(
        canonicalRequest: String, amzDate: String = exampleAmzDate, region: String = region,
        secretKey: String = secretKey
    ) -> String {
        let date = String(amzDate.prefix(8))
        let scope = "\(date)/\(region)/s3/aws4_request"
        let stringToSign =
            "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(SigV4Crypto.sha256Hex(Array(canonicalRequest.utf8)))"
        let key = SigV4Crypto.signingKey(secretKey: secretKey, date: date, region: region)
        return SigV4Crypto.signature(signingKey: key, stringToSign: stringToSign)
    }

    /// A header-signed request whose signature covers exactly `canonicalURI` and
    /// `canonicalQuery` (the tests' expectation of what the raw forms canonicalise to).
    ///
    /// Signed headers: `host`, `x-amz-content-sha256`, `x-amz-date`, plus `extraSignedHeaders`
    /// given as (lowercase name, canonical value, value as sent).
    static func headerSignedRequest(
        method: String = "GET",
        rawPath: String,
        rawQuery: String = "",
        canonicalURI: String,
        canonicalQuery: String = "",
        extraSignedHeaders: [(name: String, canonical: String, sent: String)] = [],
        payload: String = "UNSIGNED-PAYLOAD",
        amzDate: String = exampleAmzDate
    ) -> SignableRequest {
        var signed: [(name: String, canonical: String, sent: String)] = [
            ("host", "examplebucket.s3.amazonaws.com", "examplebucket.s3.amazonaws.com"),
            ("x-amz-content-sha256", payload, payload),
            ("x-amz-date", amzDate, amzDate),
        ]
        signed += extraSignedHeaders
        signed.sort { $0.name < $1.name }
        let signedHeaders = signed.map(\.name).joined(separator: ";")
        let canonicalRequest =
            "\(method)\n\(canonicalURI)\n\(canonicalQuery)\n"
            + signed.map { "\($0.name):\($0.canonical)\n" }.joined()
            + "\n\(signedHeaders)\n\(payload)"
        let signature = signature(canonicalRequest: canonicalRequest, amzDate: amzDate)
        let credential = "\(accessKey)/\(amzDate.prefix(8))/\(region)/s3/aws4_request"
        var headers = signed.map { (name: $0.name, value: $0.sent) }
        headers.append(
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(credential), SignedHeaders=\(signedHeaders), Signature=\(signature)"
            ))
        return SignableRequest(method: method, rawPath: rawPath, rawQuery: rawQuery, headers: headers)
    }

    /// A presigned GET of `/test.txt` with `X-Amz-SignedHeaders=host`, signed over the
    /// given parameters (already encoded, so the same in the URL and canonically; ASCII only).
    static func presignedRequest(
        date: String = exampleAmzDate, expires: String = "86400", extraParameters: String = "",
        payloadHash: String = "UNSIGNED-PAYLOAD"
    ) -> SignableRequest {
        let credential = "\(accessKey)%2F\(date.prefix(8))%2F\(region)%2Fs3%2Faws4_request"
        var query =
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=\(credential)&X-Amz-Date=\(date)"
            + "&X-Amz-Expires=\(expires)&X-Amz-SignedHeaders=host"
        if !extraParameters.isEmpty { query += "&" + extraParameters }
        var pairs: [(name: String, value: String)] = []
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            pairs.append((String(parts[0]), parts.count > 1 ? String(parts[1]) : ""))
        }
        pairs.sort { $0.name == $1.name ? $0.value < $1.value : $0.name < $1.name }
        let canonicalQuery = pairs.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        let canonicalRequest =
            "GET\n/test.txt\n\(canonicalQuery)\nhost:examplebucket.s3.amazonaws.com\n\nhost\n\(payloadHash)"
        let signature = signature(canonicalRequest: canonicalRequest, amzDate: date)
        return SignableRequest(
            method: "GET", rawPath: "/test.txt", rawQuery: query + "&X-Amz-Signature=\(signature)",
            headers: [("Host", "examplebucket.s3.amazonaws.com")])
    }
}
