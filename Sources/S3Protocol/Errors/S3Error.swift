/// An error to send to the client as an S3 error document.
///
/// Everything thrown toward the client is, or is mapped to, one of these; see the server's
/// error mapping for the one place where internal errors become S3 errors.
package struct S3Error: Error, Sendable, CustomStringConvertible {
    package var code: S3ErrorCode
    /// Overrides the code's default message when set.
    package var message: String?
    /// Additional elements of the error document (e.g. `Key`, `BucketName`, `ArgumentName`).
    package var details: [(String, String)]
    /// Response headers the error carries (e.g. `x-amz-delete-marker` on a GET of a deleted key).
    package var headers: [(String, String)]

    package init(
        _ code: S3ErrorCode, _ message: String? = nil, details: [(String, String)] = [], headers: [(String, String)] = []
    ) {
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    package var description: String { "\(code.code): \(message ?? code.message)" }
}
