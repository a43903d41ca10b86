/// What the S3 front needs to know about the deployment.
package struct S3ServerConfiguration: Sendable {
    package var region: String
    /// Domains for virtual-hosted-style requests (`bucket.<domain>`).
    package var virtualHostDomains: [String]
    /// Access key → secret key.
    package var credentials: [String: String]
    /// Largest body of an XML request (DeleteObjects, CompleteMultipartUpload, CreateBucket).
    package var maxXMLBodyBytes: Int = 2 << 20
    /// Largest PutObject/UploadPart body: 5 GiB, as in S3.
    package var maxSinglePutBytes: Int64 = 5 << 30
    /// Who may read `/_stowage/metrics` without a signature.
    package var metricsAccess = MetricsAccess()

    package init(region: String, virtualHostDomains: [String], credentials: [String: String]) {
        self.region = region
        self.virtualHostDomains = virtualHostDomains
        self.credentials = credentials
    }
}
