/// The four HTTP conditional headers of a read, or the four `x-amz-copy-source-if-*` headers
/// of a copy, as raw header values (nil when absent).
///
/// Evaluation follows RFC 9110 §13.2.2, which is also what S3 documents: If-Match, then
/// If-Unmodified-Since only when If-Match is absent, then If-None-Match, then If-Modified-Since
/// only when If-None-Match is absent. So If-Match true with If-Unmodified-Since false serves
/// the object, and If-None-Match false with If-Modified-Since true is 304.
///
/// An empty entity-tag header counts as absent. A date header that does not parse as an
/// HTTP-date is ignored (RFC 9110 requires that). Times are compared at second granularity:
/// an object modified exactly at the given date counts as not modified since it.
/// The evaluation does not look at the clock, so a date in the future is taken at face value.
package struct ConditionalHeaders: Sendable {
    package var ifMatch: String?
    package var ifNoneMatch: String?
    package var ifModifiedSince: String?
    package var ifUnmodifiedSince: String?

    package init(ifMatch: String?, ifNoneMatch: String?, ifModifiedSince: String?, ifUnmodifiedSince: String?) {
        self.ifMatch = ifMatch
        self.ifNoneMatch = ifNoneMatch
        self.ifModifiedSince = ifModifiedSince
        self.ifUnmodifiedSince = ifUnmodifiedSince
    }

    /// GET/HEAD evaluation with S3's precedence (RFC 7232 order: If-Match, then If-Unmodified-Since
    /// only when If-Match absent, then If-None-Match, then If-Modified-Since only when If-None-Match
    /// absent). `etag` is without quotes; `lastModified` is seconds since 1970. ETag lists,
    /// quoted/unquoted, `*`, weak `W/` prefixes handled.
    package func evaluate(etag: String, lastModified: Int64) -> ConditionalOutcome {
        if let ifMatch = Self.present(ifMatch) {
            if !EntityTagList.matches(ifMatch, etag: etag) { return .preconditionFailed }
        } else if let limit = ifUnmodifiedSince.flatMap(HTTPDate.parse) {
            if lastModified > limit { return .preconditionFailed }
        }
        if let ifNoneMatch = Self.present(ifNoneMatch) {
            if EntityTagList.matches(ifNoneMatch, etag: etag) { return .notModified }
        } else if let since = ifModifiedSince.flatMap(HTTPDate.parse) {
            if lastModified <= since { return .notModified }
        }
        return .proceed
    }

    /// x-amz-copy-source-if-* evaluation for CopyObject/UploadPartCopy: the same order as
    /// `evaluate`, but every failure, including the ones a GET answers with 304, is
    /// `.preconditionFailed` (412), as S3 documents for copies.
    package func evaluateCopySource(etag: String, lastModified: Int64) -> ConditionalOutcome {
        switch evaluate(etag: etag, lastModified: lastModified) {
        case .proceed: .proceed
        case .notModified, .preconditionFailed: .preconditionFailed
        }
    }

    private static func present(_ header: String?) -> String? {
        guard let header, !EntityTagList.isEmpty(header) else { return nil }
        return header
    }
}
