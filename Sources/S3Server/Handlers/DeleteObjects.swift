public import Hummingbird
internal import ObjectLayer
internal import S3Protocol
internal import StowageCore

extension S3Handlers {
    func deleteObject(_ call: S3Call) async throws -> Response {
        try await store.deleteObject(bucket: call.bucket, key: call.key)
        return emptyResponse(.noContent)
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
            do {
                guard !key.isEmpty, key.utf8.count <= 1024 else { throw S3Error(key.isEmpty ? .invalidArgument : .keyTooLong) }
                if let version = object.child("VersionId")?.text, version != "null" { throw S3Error(.noSuchVersion) }
                try await store.deleteObject(bucket: call.bucket, key: key)
                if !quiet {
                    xml.open("Deleted")
                    xml.element("Key", key)
                    xml.close("Deleted")
                }
            } catch {
                let s3 = S3ErrorMapping.s3Error(for: error, logger: call.logger)
                xml.open("Error")
                xml.element("Key", key)
                xml.element("Code", s3.code.code)
                xml.element("Message", s3.message ?? s3.code.message)
                xml.close("Error")
            }
        }
        xml.close("DeleteResult")
        return xmlResponse(xml)
    }
}
