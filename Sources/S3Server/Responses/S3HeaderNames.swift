public import HTTPTypes

/// Header names the server sends on hot paths, parsed once instead of per response.
extension HTTPField.Name {
    static let amzRequestID = HTTPField.Name("x-amz-request-id")!
    static let amzID2 = HTTPField.Name("x-amz-id-2")!
    static let amzVersionID = HTTPField.Name("x-amz-version-id")!
    static let amzDeleteMarker = HTTPField.Name("x-amz-delete-marker")!
    static let amzCopySourceVersionID = HTTPField.Name("x-amz-copy-source-version-id")!
    static let amzStorageClass = HTTPField.Name("x-amz-storage-class")!
    static let amzChecksumType = HTTPField.Name("x-amz-checksum-type")!
    static let amzMPPartsCount = HTTPField.Name("x-amz-mp-parts-count")!
    static let amzBucketRegion = HTTPField.Name("x-amz-bucket-region")!
    static let amzChecksumAlgorithm = HTTPField.Name("x-amz-checksum-algorithm")!
}
