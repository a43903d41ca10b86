/// One S3 request of a bench run, before signing: path and query exactly as sent
/// (percent-encoded), the headers that are not added by the connection, and the body.
///
/// The connection adds `Host`, `Content-Length` and the SigV4 headers.
package struct BenchRequest: Sendable {
    package var method: String
    /// `/bucket` or `/bucket/key`, percent-encoded.
    package var rawPath: String
    /// Without `?`; empty for none.
    package var rawQuery: String
    package var headers: [(name: String, value: String)]
    package var body: BenchRequestBody
    /// `UNSIGNED-PAYLOAD` or the hex SHA-256 of the body.
    package var payloadHash: String
    /// Keep the response body (for listings and DeleteObjects results); otherwise it is only counted.
    package var collectsResponseBody: Bool

    package init(
        method: String, rawPath: String, rawQuery: String = "", headers: [(name: String, value: String)] = [],
        body: BenchRequestBody = .none, payloadHash: String, collectsResponseBody: Bool = false
    ) {
        self.method = method
        self.rawPath = rawPath
        self.rawQuery = rawQuery
        self.headers = headers
        self.body = body
        self.payloadHash = payloadHash
        self.collectsResponseBody = collectsResponseBody
    }
}
