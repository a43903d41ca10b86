/// The Signature Version 2 string to sign:
///
///     HTTP-Verb \n Content-MD5 \n Content-Type \n Date \n CanonicalizedAmzHeaders CanonicalizedResource
///
/// Built from the request exactly as received; the verifier chooses the Date line (the `Date`
/// header, empty when `x-amz-date` is present, or `Expires` for a presigned URL).
struct SigV2StringToSign: Sendable {
    /// The query parameters that are part of the CanonicalizedResource: every sub-resource and
    /// response override botocore signs (a superset of the AWS documentation's list; leaving one
    /// out would fail those clients' signatures), plus the operation-selecting sub-resources
    /// that Stowage routes and that postdate SigV2 (`retention`, `legal-hold`, …).
    ///
    /// The latter are signed so that they fail closed: a presigned `PUT /b/k` must not be
    /// replayable as `PUT /b/k?retention` by appending an unsigned parameter. `list-type` is
    /// left out (botocore does not sign it, and it only chooses between two listings).
    static let signedSubResources: Set<String> = [
        // botocore HmacV1Auth.QSAOfInterest
        "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory", "lifecycle",
        "location", "logging", "metrics", "notification", "object-lock", "partNumber", "policy", "replication",
        "requestPayment", "response-cache-control", "response-content-disposition", "response-content-encoding",
        "response-content-language", "response-content-type", "response-expires", "restore", "select",
        "select-type", "storageClass", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning",
        "versions", "website",
        // routed by S3Router, unknown to SigV2 clients
        "attributes", "encryption", "intelligent-tiering", "legal-hold", "ownershipControls", "policyStatus",
        "publicAccessBlock", "retention",
    ]

    let text: String

    /// - Parameters:
    ///   - headers: the header fields that the signature covers (for a presigned URL, with the
    ///     `Content-*` and `x-amz-*` values it carries in its query already merged in).
    ///   - dateLine: the fourth line, without its newline.
    ///   - resource: the CanonicalizedResource, see `canonicalizedResource`.
    init(method: String, headers: [(name: String, value: String)], dateLine: String, resource: String) {
        let index = SigV4HeaderIndex(headers)
        var text = method + "\n"
        text += Self.positional(index.values("content-md5")) + "\n"
        text += Self.positional(index.values("content-type")) + "\n"
        text += dateLine + "\n"
        text += Self.canonicalizedAmzHeaders(headers)
        text += resource
        self.text = text
    }

    /// Every `x-amz-*` header (name compared without case), lowercased, sorted by name, the values
    /// of a repeated name joined with `,` in the order received, each value unfolded and trimmed,
    /// one `name:value\n` per name. Whitespace inside a value is kept as sent (botocore does).
    static func canonicalizedAmzHeaders(_ headers: [(name: String, value: String)]) -> String {
        var values: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            guard name.hasPrefix("x-amz-") else { continue }
            values[name, default: []].append(unfolded(header.value))
        }
        let names = values.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var out = ""
        for name in names {
            out += name + ":" + values[name]!.joined(separator: ",") + "\n"
        }
        return out
    }

    /// `[/virtualHostBucket]` + the path as sent (still percent-encoded; "/" when empty), then
    /// the signed sub-resources present in the query, sorted by name (stable for repeats),
    /// with their decoded values: `?acl`, `?partNumber=1&uploadId=x`. An empty value is written
    /// as the bare name, as AWS shows `?acl`.
    static func canonicalizedResource(rawPath: String, virtualHostBucket: String?, query: SigV4Query) -> String {
        var resource = ""
        if let virtualHostBucket { resource += "/" + virtualHostBucket }
        resource += rawPath.isEmpty ? "/" : rawPath
        let subResources = query.parameters.filter { signedSubResources.contains($0.name) }
        let sorted = subResources.enumerated().sorted { a, b in
            a.element.name == b.element.name
                ? a.offset < b.offset
                : Array(a.element.name.utf8).lexicographicallyPrecedes(Array(b.element.name.utf8))
        }
        for (position, entry) in sorted.enumerated() {
            resource += position == 0 ? "?" : "&"
            resource += entry.element.name
            if !entry.element.value.isEmpty { resource += "=" + entry.element.value }
        }
        return resource
    }

    /// A positional header's line: trimmed, repeats joined with `,`, empty when absent.
    private static func positional(_ values: [String]) -> String {
        values.map { String(SigV4Whitespace.trim($0)) }.joined(separator: ",")
    }

    /// RFC 2616 unfolding: each line break, with the blanks around it, becomes one space;
    /// then the value is trimmed.
    private static func unfolded(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }) else {
            return String(SigV4Whitespace.trim(value))
        }
        var out = [UInt8]()
        var inBreak = false
        for byte in value.utf8 {
            let isBlank = byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
            if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                while let last = out.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { out.removeLast() }
                inBreak = true
            } else if inBreak && isBlank {
                continue
            } else {
                if inBreak { out.append(UInt8(ascii: " ")) }
                inBreak = false
                out.append(byte)
            }
        }
        return String(SigV4Whitespace.trim(String(decoding: out, as: UTF8.self)))
    }
}
