/// One row of the S3 error table: the code string, the HTTP status and the default message.
///
/// This is the single table of S3 error codes; every error document the server sends uses one.
package struct S3ErrorCode: Sendable, Hashable {
    package let code: String
    package let status: Int
    package let message: String

    package init(_ code: String, _ status: Int, _ message: String) {
        self.code = code
        self.status = status
        self.message = message
    }
}

extension S3ErrorCode {
    package static let accessDenied = S3ErrorCode("AccessDenied", 403, "Access Denied.")
    package static let authorizationHeaderMalformed = S3ErrorCode(
        "AuthorizationHeaderMalformed", 400, "The authorization header is malformed.")
    package static let authorizationQueryParametersError = S3ErrorCode(
        "AuthorizationQueryParametersError", 400, "Error parsing the X-Amz-Credential parameter.")
    package static let badDigest = S3ErrorCode(
        "BadDigest", 400, "The Content-MD5 or checksum you specified did not match what we received.")
    package static let bucketAlreadyExists = S3ErrorCode(
        "BucketAlreadyExists", 409, "The requested bucket name is not available.")
    package static let bucketAlreadyOwnedByYou = S3ErrorCode(
        "BucketAlreadyOwnedByYou", 409,
        "Your previous request to create the named bucket succeeded and you already own it.")
    package static let bucketNotEmpty = S3ErrorCode(
        "BucketNotEmpty", 409, "The bucket you tried to delete is not empty.")
    package static let entityTooLarge = S3ErrorCode(
        "EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed object size.")
    package static let entityTooSmall = S3ErrorCode(
        "EntityTooSmall", 400, "Your proposed upload is smaller than the minimum allowed object size.")
    package static let incompleteBody = S3ErrorCode(
        "IncompleteBody", 400, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
    package static let insufficientStorage = S3ErrorCode(
        "InsufficientStorage", 507, "The drive has reached its minimum free space; free space and retry.")
    package static let internalError = S3ErrorCode(
        "InternalError", 500, "We encountered an internal error. Please try again.")
    package static let invalidAccessKeyId = S3ErrorCode(
        "InvalidAccessKeyId", 403, "The AWS access key ID you provided does not exist in our records.")
    package static let invalidArgument = S3ErrorCode("InvalidArgument", 400, "Invalid argument.")
    package static let invalidBucketName = S3ErrorCode(
        "InvalidBucketName", 400, "The specified bucket is not valid.")
    package static let invalidDigest = S3ErrorCode(
        "InvalidDigest", 400, "The Content-MD5 you specified is not valid.")
    package static let invalidPart = S3ErrorCode(
        "InvalidPart", 400,
        "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag."
    )
    package static let invalidPartOrder = S3ErrorCode(
        "InvalidPartOrder", 400, "The list of parts was not in ascending order. Parts must be ordered by part number.")
    package static let invalidRange = S3ErrorCode("InvalidRange", 416, "The requested range is not satisfiable.")
    package static let invalidRequest = S3ErrorCode("InvalidRequest", 400, "Invalid request.")
    package static let invalidStorageClass = S3ErrorCode(
        "InvalidStorageClass", 400, "The storage class you specified is not valid.")
    package static let invalidURI = S3ErrorCode("InvalidURI", 400, "Couldn't parse the specified URI.")
    package static let keyTooLong = S3ErrorCode("KeyTooLongError", 400, "Your key is too long.")
    package static let malformedXML = S3ErrorCode(
        "MalformedXML", 400,
        "The XML you provided was not well-formed or did not validate against our published schema.")
    package static let metadataTooLarge = S3ErrorCode(
        "MetadataTooLarge", 400, "Your metadata headers exceed the maximum allowed metadata size.")
    package static let methodNotAllowed = S3ErrorCode(
        "MethodNotAllowed", 405, "The specified method is not allowed against this resource.")
    package static let missingContentLength = S3ErrorCode(
        "MissingContentLength", 411, "You must provide the Content-Length HTTP header.")
    package static let missingSecurityHeader = S3ErrorCode(
        "MissingSecurityHeader", 400, "Your request is missing a required header.")
    package static let noSuchBucket = S3ErrorCode("NoSuchBucket", 404, "The specified bucket does not exist.")
    package static let noSuchKey = S3ErrorCode("NoSuchKey", 404, "The specified key does not exist.")
    package static let illegalVersioningConfiguration = S3ErrorCode(
        "IllegalVersioningConfigurationException", 400, "The versioning configuration specified in the request is invalid.")
    package static let noSuchUpload = S3ErrorCode(
        "NoSuchUpload", 404,
        "The specified multipart upload does not exist. The upload ID might not be valid, or the multipart upload might have been aborted or completed."
    )
    package static let notImplemented = S3ErrorCode(
        "NotImplemented", 501, "A header or query you provided implies functionality that is not implemented.")
    package static let preconditionFailed = S3ErrorCode(
        "PreconditionFailed", 412, "At least one of the preconditions you specified did not hold.")
    package static let requestTimeout = S3ErrorCode(
        "RequestTimeout", 400,
        "Your socket connection to the server was not read from or written to within the timeout period.")
    package static let requestTimeTooSkewed = S3ErrorCode(
        "RequestTimeTooSkewed", 403, "The difference between the request time and the current time is too large.")
    package static let serviceUnavailable = S3ErrorCode(
        "ServiceUnavailable", 503, "Please reduce your request rate.")
    package static let signatureDoesNotMatch = S3ErrorCode(
        "SignatureDoesNotMatch", 403,
        "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    )
    package static let xAmzContentSHA256Mismatch = S3ErrorCode(
        "XAmzContentSHA256Mismatch", 400, "The provided 'x-amz-content-sha256' header does not match what was computed.")
    package static let requestHeaderSectionTooLarge = S3ErrorCode(
        "RequestHeaderSectionTooLarge", 400, "Your request header section exceeds the maximum allowed size.")
    package static let invalidChunkSizeError = S3ErrorCode(
        "InvalidChunkSizeError", 403, "Only the last chunk is allowed to have a size less than 8192 bytes")
    package static let notModified = S3ErrorCode("NotModified", 304, "Not Modified")
    /// A CORS preflight (OPTIONS) without what it must carry.
    package static let badRequest = S3ErrorCode("BadRequest", 400, "Insufficient information. Origin request header needed.")
    /// A CORS preflight to a bucket whose CORS configuration does not allow it (or that has none).
    package static let accessForbidden = S3ErrorCode("AccessForbidden", 403, "CORSResponse: CORS is not enabled for this bucket.")
}

extension S3ErrorCode {
    /// A `partNumber` read beyond the object's parts. AWS's table of error codes lists 416, but S3
    /// itself answers 400, as the third-party conformance suite of issue 14 recorded.
    package static let invalidPartNumber = S3ErrorCode(
        "InvalidPartNumber", 400, "The requested partnumber is not satisfiable")
}

extension S3ErrorCode {
    package static let noSuchVersion = S3ErrorCode(
        "NoSuchVersion", 404, "The specified version does not exist.")
}
