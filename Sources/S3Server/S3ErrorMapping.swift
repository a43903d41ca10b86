internal import HTTPTypes
public import Hummingbird
package import Logging
internal import ObjectLayer
package import S3Protocol
internal import StowageCore

/// The one place where errors from any layer become S3 error responses.
///
/// Object-layer errors with S3 meaning map to their S3 code; every other error is an
/// `InternalError` (500) and is logged, so a disk failure never reaches a client as, say,
/// `NoSuchKey`.
package enum S3ErrorMapping {
    package static func s3Error(for error: any Error, logger: Logger?) -> S3Error {
        switch error {
        case let error as S3Error:
            return error
        case let error as ObjectLayerError:
            var mapped = s3Code(error, logger: logger)
            if let marker = error.deleteMarker {
                mapped.headers += [("x-amz-delete-marker", "true"), ("x-amz-version-id", marker.versionID)]
                if error.code == .deleteMarkerVersion {
                    mapped.headers.append(("Last-Modified", HTTPDate.format(marker.lastModified / 1000)))
                    mapped.headers.append(("Allow", "DELETE"))
                }
            }
            return mapped
        case let error as DriveError where error.code == .full:
            return S3Error(.insufficientStorage)
        case let error as DriveError where error.code == .resourcesExhausted:
            logger?.warning("out of resources", metadata: ["error": "\(error)"])
            return S3Error(.serviceUnavailable, "The server is short of file descriptors or memory; try again later.")
        default:
            logger?.error("internal error", metadata: ["error": "\(error)"])
            return S3Error(.internalError)
        }
    }

    private static func s3Code(_ error: ObjectLayerError, logger: Logger?) -> S3Error {
        switch error.code {
        case .noSuchBucket: return S3Error(.noSuchBucket)
        case .noSuchKey: return S3Error(.noSuchKey)
        case .noSuchVersion: return S3Error(.noSuchVersion)
        case .deleteMarkerVersion: return S3Error(.methodNotAllowed)
        case .noSuchUpload: return S3Error(.noSuchUpload)
        case .bucketAlreadyOwnedByYou: return S3Error(.bucketAlreadyOwnedByYou)
        case .bucketNotEmpty: return S3Error(.bucketNotEmpty)
        case .invalidPart: return S3Error(.invalidPart)
        case .invalidPartOrder: return S3Error(.invalidPartOrder)
        case .entityTooSmall: return S3Error(.entityTooSmall)
        case .entityTooLarge: return S3Error(.entityTooLarge)
        case .badDigest: return S3Error(.badDigest)
        case .incompleteBody: return S3Error(.incompleteBody)
        case .preconditionFailed: return S3Error(.preconditionFailed)
        case .storageFull: return S3Error(.insufficientStorage)
        case .insufficientDrives:
            logger?.warning("quorum not met", metadata: ["error": "\(error)"])
            return S3Error(.serviceUnavailable, "Not enough drives are available to serve this request; try again later.")
        case .coordinationUnavailable:
            logger?.warning("cluster coordination unavailable", metadata: ["error": "\(error)"])
            return S3Error(
                .serviceUnavailable,
                "The cluster cannot coordinate this change now (\(error.detail)); reads of stored data go on. Try again later.")
        case .invalidRequest: return S3Error(.invalidRequest, error.detail.isEmpty ? nil : error.detail)
        case .invalidArgument: return S3Error(.invalidArgument, error.detail.isEmpty ? nil : error.detail)
        case .corrupt:
            logger?.error("stored data failed verification", metadata: ["error": "\(error)"])
            return S3Error(.internalError, "The stored data failed verification and was not served.")
        }
    }

    /// The S3 error document for `error`, with status and request id.
    package static func response(for error: S3Error, resource: String, requestID: String, isHead: Bool) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/xml"
        for (name, value) in error.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        let status = HTTPResponse.Status(code: error.code.status)
        // HEAD responses and 304 carry no body.
        if isHead || error.code.status == 304 {
            return Response(status: status, headers: headers, body: .init())
        }
        return Response(
            status: status, headers: headers,
            body: .init(byteBuffer: document(for: error, resource: resource, requestID: requestID)))
    }

    /// The XML error document (`<Error><Code>…`) of `error`.
    static func document(for error: S3Error, resource: String, requestID: String) -> ByteBuffer {
        var xml = XMLWriter()
        xml.open("Error")
        xml.element("Code", error.code.code)
        xml.element("Message", error.message ?? error.code.message)
        for (name, value) in error.details { xml.element(name, value) }
        xml.element("Resource", resource)
        xml.element("RequestId", requestID)
        xml.close("Error")
        return ByteBuffer(bytes: xml.bytes)
    }
}
