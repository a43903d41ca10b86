/// Which request headers a SigV4 signature must cover: the one rule for header-signed and
/// presigned requests, on the full path and on the GET fast path.
///
/// Every `x-amz-*` header present must be signed. Those headers choose the operation
/// (`x-amz-copy-source` turns a PUT into a copy), its source and conditions, and what is stored
/// (`x-amz-meta-*`, `x-amz-storage-class`, checksums); one added to a signed request would
/// change what the signer allowed. S3 refuses such a request with 403 AccessDenied, "There were
/// headers present in the request which were not signed", naming them in `HeadersNotSigned`.
/// One exception, on presigned URLs only: `x-amz-content-sha256`, which AWS lets through there
/// (the URL's `X-Amz-Content-Sha256` parameter, or UNSIGNED-PAYLOAD, decides how the body is
/// checked, never the header). The SDKs need no other: botocore, aws-sdk-go v1/v2, minio-go
/// and s3cmd sign every `x-amz-*` header they send, and presigners move the ones a URL fixes
/// into its query. Beside this rule, `host` must always be signed (checked by the verifier).
package enum SignedHeaderRule {
    private static let prefix = Array("x-amz-".utf8)

    private static let presignedExemption = Array("x-amz-content-sha256".utf8)

    /// Whether a header of this name (any ASCII case) must be signed when present.
    package static func requiresSignature(_ name: some Collection<UInt8>, presigned: Bool) -> Bool {
        name.count > prefix.count && ASCII.equalsLowercased(name.prefix(prefix.count), prefix)
            && !(presigned && ASCII.equalsLowercased(name, presignedExemption))
    }

    /// The lowercased names, sorted and each once, of the headers present that must be signed
    /// but are not among `signedHeaders` (lowercased names); empty when there are none.
    static func unsignedHeaders(
        _ headers: [(name: String, value: String)], signedHeaders: [String], presigned: Bool
    ) -> [String] {
        var unsigned: [String] = []
        for header in headers where requiresSignature(header.name.utf8, presigned: presigned) {
            let name = header.name.lowercased()
            if !signedHeaders.contains(name) && !unsigned.contains(name) { unsigned.append(name) }
        }
        return unsigned.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Throws S3's refusal when a header that must be signed is not.
    static func check(_ headers: [(name: String, value: String)], signedHeaders: [String], presigned: Bool) throws {
        let unsigned = unsignedHeaders(headers, signedHeaders: signedHeaders, presigned: presigned)
        guard unsigned.isEmpty else { throw refusal(unsigned) }
    }

    /// 403 AccessDenied naming the unsigned headers, as S3 answers.
    package static func refusal(_ unsigned: [String]) -> S3Error {
        S3Error(
            .accessDenied, "There were headers present in the request which were not signed",
            details: [("HeadersNotSigned", unsigned.joined(separator: ", "))])
    }
}
