/// The parts of an HTTP request that AWS Signature Version 4 covers, exactly as received.
///
/// Nothing here is normalised: the verifier needs the bytes the client signed, so the path and
/// query stay percent-encoded and header names keep their case and repetitions.
package struct SignableRequest: Sendable {
    /// The method, e.g. `GET` or `PUT`.
    package var method: String
    /// The request-target path exactly as sent (percent-encoded), without the query.
    package var rawPath: String
    /// The raw query string after `?`; empty if there is none.
    package var rawQuery: String
    /// The header fields as received; names in any case, and a name may repeat.
    package var headers: [(name: String, value: String)]

    package init(method: String, rawPath: String, rawQuery: String, headers: [(name: String, value: String)]) {
        self.method = method
        self.rawPath = rawPath
        self.rawQuery = rawQuery
        self.headers = headers
    }
}
