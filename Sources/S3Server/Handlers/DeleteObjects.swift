internal import HTTPTypes
public import Hummingbird
internal import ObjectLayer
internal import S3Protocol
internal import StowageCore

extension S3Handlers {
    func deleteObject(_ call: S3Call) async throws -> Response {
        let outcome = try await store.deleteObject(bucket: call.bucket, key: call.key, versionID: try versionIDParameter(call))
        var headers = HTTPFields()
        if let versionID = outcome.versionID { headers[.amzVersionID] = versionID }
        if outcome.deleteMarker { headers[.amzDeleteMarker] = "true" }
        return emptyResponse(.noContent, headers: headers)
    }

    /// DeleteObjects: up to 1,000 keys; per-key errors are reported in the result, not as a failure.
    func deleteObjects(_ call: S3Call) async throws -> Response {
        let body = try await smallBody(call)
        let document = try XMLDocumentParser.parse(body)
        guard document.name == "Delete" else { throw S3Error(.malformedXML) }
        let quiet = document.child("Quiet")?.text.trimmingSpaces.lowercased() == "true"
        let objects = document.children("Object")
        guard !objects.isEmpty, objects.count <= 1000 else { throw S3Error(.malformedXML) }
        _ = try await store.bucket(call.bucket)
        var xml = XMLWriter()
        xml.open("DeleteResult", attributes: [("xmlns", Self.xmlNamespace)])
        for object in objects {
            guard let key = object.child("Key")?.text else { throw S3Error(.malformedXML) }
            let requested = object.child("VersionId")?.text
            do {
                guard !key.isEmpty, key.utf8.count <= 1024 else { throw S3Error(key.isEmpty ? .invalidArgument : .keyTooLong) }
                if let requested, !VersionClock.isWellFormed(requested) {
                    throw S3Error(.noSuchVersion, "Invalid version id specified")
                }
                let outcome = try await store.deleteObject(bucket: call.bucket, key: key, versionID: requested)
                if !quiet {
                    xml.open("Deleted")
                    xml.element("Key", key)
                    if let requested { xml.element("VersionId", requested) }
                    // The marker removed (by its id) or the one just made.
                    if outcome.deleteMarker, let marker = outcome.versionID {
                        xml.element("DeleteMarker", "true")
                        xml.element("DeleteMarkerVersionId", marker)
                    }
                    xml.close("Deleted")
                }
            } catch {
                let s3 = S3ErrorMapping.s3Error(for: error, logger: call.logger)
                xml.open("Error")
                xml.element("Key", key)
                if let requested { xml.element("VersionId", requested) }
                xml.element("Code", s3.code.code)
                xml.element("Message", s3.message ?? s3.code.message)
                xml.close("Error")
            }
        }
        xml.close("DeleteResult")
        return xmlResponse(xml)
    }
}
