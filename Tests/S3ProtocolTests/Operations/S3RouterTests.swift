import S3Protocol
import Testing

@Suite("S3Router")
struct S3RouterTests {
    private let router = S3Router(virtualHostDomains: ["s3.example.com", "localhost"])

    private func route(
        _ method: String, _ target: String, host: String? = "s3.example.com",
        headers: [(name: String, value: String)] = []
    ) throws -> S3Request {
        let (path, query) = split(target)
        return try router.route(method: method, rawPath: path, rawQuery: query, host: host, headers: headers)
    }

    private func expectError(
        _ code: S3ErrorCode, _ method: String, _ target: String, host: String? = "s3.example.com",
        headers: [(name: String, value: String)] = [], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = #expect(throws: S3Error.self, sourceLocation: sourceLocation) {
            try route(method, target, host: host, headers: headers)
        }
        #expect(error?.code == code, sourceLocation: sourceLocation)
    }

    /// Splits a request target at the first `?`, as an HTTP server hands them over.
    private func split(_ target: String) -> (path: String, query: String) {
        guard let question = target.firstIndex(of: "?") else { return (target, "") }
        return (String(target[..<question]), String(target[target.index(after: question)...]))
    }

    // MARK: Operations, path style

    @Test(
        "path-style request lines map to their AWS action",
        arguments: [
            ("GET", "/", S3Operation.listBuckets, nil, nil),
            ("GET", "/?max-buckets=10&prefix=a", .listBuckets, nil, nil),
            ("PUT", "/examplebucket", .createBucket, "examplebucket", nil),
            ("HEAD", "/examplebucket", .headBucket, "examplebucket", nil),
            ("DELETE", "/examplebucket", .deleteBucket, "examplebucket", nil),
            ("GET", "/examplebucket?location", .getBucketLocation, "examplebucket", nil),
            ("GET", "/examplebucket?versioning", .getBucketVersioning, "examplebucket", nil),
            ("PUT", "/examplebucket?versioning", .putBucketVersioning, "examplebucket", nil),
            ("GET", "/examplebucket?versions&prefix=a&key-marker=b", .listObjectVersions, "examplebucket", nil),
            ("GET", "/examplebucket?uploads", .listMultipartUploads, "examplebucket", nil),
            ("GET", "/examplebucket?uploads&max-uploads=3", .listMultipartUploads, "examplebucket", nil),
            ("GET", "/examplebucket?list-type=2", .listObjectsV2, "examplebucket", nil),
            (
                "GET", "/examplebucket?list-type=2&max-keys=2&start-after=ExampleGuide.pdf", .listObjectsV2,
                "examplebucket", nil
            ),
            ("GET", "/examplebucket", .listObjects, "examplebucket", nil),
            ("GET", "/examplebucket/", .listObjects, "examplebucket", nil),
            ("GET", "/examplebucket?prefix=N&marker=Ned&max-keys=40", .listObjects, "examplebucket", nil),
            ("POST", "/examplebucket?delete", .deleteObjects, "examplebucket", nil),
            ("POST", "/examplebucket/?delete=", .deleteObjects, "examplebucket", nil),
            ("PUT", "/examplebucket/my-image.jpg", .putObject, "examplebucket", "my-image.jpg"),
            (
                "PUT",
                "/examplebucket/my-movie.m2ts?partNumber=1&uploadId=VCVsb2FkIElEIGZvciBlbZZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZR",
                .uploadPart, "examplebucket", "my-movie.m2ts"
            ),
            ("GET", "/examplebucket/my-image.jpg", .getObject, "examplebucket", "my-image.jpg"),
            (
                "GET",
                "/examplebucket/my-image.jpg?versionId=3HL4kqtJlcpXroDTDmJ%2BrmSpXd3dIbrHY%2BMTRCxf3vjVBH40Nr8X8gdRQBpUMLUo",
                .getObject, "examplebucket", "my-image.jpg"
            ),
            ("GET", "/examplebucket/my-image.jpg?partNumber=3", .getObject, "examplebucket", "my-image.jpg"),
            (
                "GET",
                "/examplebucket/example-object?uploadId=XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA&max-parts=2&part-number-marker=1",
                .listParts, "examplebucket", "example-object"
            ),
            ("HEAD", "/examplebucket/my-image.jpg", .headObject, "examplebucket", "my-image.jpg"),
            ("HEAD", "/examplebucket/my-image.jpg?partNumber=10000", .headObject, "examplebucket", "my-image.jpg"),
            ("DELETE", "/examplebucket/my-second-image.jpg", .deleteObject, "examplebucket", "my-second-image.jpg"),
            (
                "DELETE",
                "/examplebucket/example-object?uploadId=VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZ",
                .abortMultipartUpload, "examplebucket", "example-object"
            ),
            (
                "POST", "/examplebucket/example-object?uploads", .createMultipartUpload, "examplebucket",
                "example-object"
            ),
            (
                "POST",
                "/examplebucket/example-object?uploadId=AAAsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA",
                .completeMultipartUpload, "examplebucket", "example-object"
            ),
            (
                "GET", "/examplebucket/my-image.jpg?x-id=GetObject&unknown=1", .getObject, "examplebucket",
                "my-image.jpg"
            ),
            ("PUT", "/examplebucket/k?x-id=PutObject", .putObject, "examplebucket", "k"),
        ] as [(String, String, S3Operation, String?, String?)])
    func pathStyle(method: String, target: String, operation: S3Operation, bucket: String?, key: String?) throws {
        let request = try route(method, target)
        #expect(request.operation == operation)
        #expect(request.bucket == bucket)
        #expect(request.key == key)
    }

    @Test("x-amz-copy-source selects CopyObject, or UploadPartCopy within an upload, whatever its case")
    func copies() throws {
        let copySource = [(name: "x-amz-copy-source", value: "/bucket/source%20key")]
        #expect(try route("PUT", "/examplebucket/target", headers: copySource).operation == .copyObject)
        #expect(
            try route("PUT", "/examplebucket/target", headers: [(name: "X-Amz-Copy-Source", value: "/b/k")]).operation
                == .copyObject)
        #expect(
            try route("PUT", "/examplebucket/target?partNumber=2&uploadId=abc", headers: copySource).operation
                == .uploadPartCopy)
        #expect(
            try route("PUT", "/examplebucket/target", headers: [(name: "x-amz-copy-source-range", value: "bytes=0-1")])
                .operation == .putObject)
    }

    @Test("query parameters are decoded, + as space, the first value winning, names case-sensitive")
    func queryDecoding() throws {
        let request = try route(
            "GET",
            "/examplebucket?list-type=2&prefix=photos%2F2024+summer%20&delimiter=%2F&prefix=second&Prefix=upper&flag&&encoding-type=url&%E2%9C%93=%F0%9F%9A%80"
        )
        #expect(request.operation == .listObjectsV2)
        #expect(
            request.query == [
                "list-type": "2", "prefix": "photos/2024 summer ", "delimiter": "/", "Prefix": "upper", "flag": "",
                "encoding-type": "url", "✓": "🚀",
            ])
    }

    @Test("a key may hold a continuation token with = and + decoded once")
    func queryValueWithEquals() throws {
        let request = try route(
            "GET", "/examplebucket?list-type=2&continuation-token=1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        #expect(request.query["continuation-token"] == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
    }

    // MARK: Keys

    @Test(
        "keys are percent-decoded and never normalised",
        arguments: [
            ("/b1k/my%20photo.jpg", "my photo.jpg"),
            ("/b1k/a+b", "a+b"),
            ("/b1k/a%2Bb", "a+b"),
            ("/b1k/dir%2Ffile", "dir/file"),
            ("/b1k/dir/file", "dir/file"),
            ("/b1k/dir/", "dir/"),
            ("/b1k//leading", "/leading"),
            ("/b1k/a//b", "a//b"),
            ("/b1k/..", ".."),
            ("/b1k/../x/./y", "../x/./y"),
            ("/b1k/%2E%2E/", "../"),
            ("/b1k/%F0%9F%9A%80", "🚀"),
            ("/b1k/🚀/日本語", "🚀/日本語"),
            ("/b1k/caf%C3%A9", "café"),
            ("/b1k/100%25", "100%"),
            ("/b1k/a?b", "a?b"),
            ("/b1k/soap", "soap"),
            ("/b1k/%00", "\u{0}"),
        ])
    func keys(path: String, key: String) throws {
        let request = try router.route(method: "GET", rawPath: path, rawQuery: "", host: "s3.example.com", headers: [])
        #expect(request.bucket == "b1k")
        #expect(request.key == key)
        #expect(request.operation == .getObject)
    }

    @Test("a key of 1024 UTF-8 bytes is accepted and 1025 is KeyTooLongError")
    func keyLength() throws {
        let longest = String(repeating: "k", count: 1024)
        #expect(try route("PUT", "/examplebucket/\(longest)").key == longest)
        expectError(.keyTooLong, "PUT", "/examplebucket/\(longest)k")
        // Bytes, not characters: 256 four-byte scalars fill the limit exactly.
        let emoji = String(repeating: "🚀", count: 256)
        #expect(try route("PUT", "/examplebucket/\(emoji)").key == emoji)
        expectError(.keyTooLong, "PUT", "/examplebucket/\(emoji)a")
        // The limit applies after decoding: 1024 "%41" escapes are 1024 bytes.
        #expect(try route("PUT", "/examplebucket/" + String(repeating: "%41", count: 1024)).key?.utf8.count == 1024)
    }

    @Test("bad escapes or escapes that are not UTF-8 are InvalidURI, in the path and the query")
    func invalidEscapes() {
        expectError(.invalidURI, "GET", "/examplebucket/a%2")
        expectError(.invalidURI, "GET", "/examplebucket/a%zz")
        expectError(.invalidURI, "GET", "/examplebucket/%FF")
        expectError(.invalidURI, "GET", "/examplebucket/%C3")
        expectError(.invalidURI, "GET", "/examplebucket?prefix=%E2%82")
        expectError(.invalidURI, "GET", "/examplebucket?pre%fix=1")
        expectError(.invalidURI, "GET", "/exam%ZZplebucket")
    }

    @Test("a path not starting with / is InvalidURI")
    func relativePath() {
        for path in ["", "examplebucket/key", "*", "http://s3.example.com/examplebucket"] {
            let error = #expect(throws: S3Error.self) {
                try router.route(method: "GET", rawPath: path, rawQuery: "", host: nil, headers: [])
            }
            #expect(error?.code == .invalidURI)
        }
    }

    // MARK: Buckets

    @Test("invalid bucket names are InvalidBucketName")
    func invalidBuckets() {
        expectError(.invalidBucketName, "PUT", "/Example_Bucket")
        expectError(.invalidBucketName, "GET", "/ab/key")
        expectError(.invalidBucketName, "GET", "/192.168.5.4/key")
        expectError(.invalidBucketName, "GET", "//key")
        expectError(.invalidBucketName, "GET", "/bucket%2Fkey")
        expectError(.invalidBucketName, "GET", "/key", host: "Bad_Bucket.s3.example.com")
        // An empty label makes the Host itself invalid (RequestHostTests).
        expectError(.invalidArgument, "GET", "/key", host: "a..b.s3.example.com")
    }

    @Test("a percent-encoded bucket name is decoded before validation")
    func encodedBucket() throws {
        #expect(try route("GET", "/ex%61mple").bucket == "example")
    }

    // MARK: Virtual-hosted style

    @Test(
        "a host under a virtual-host domain names the bucket, any case, with or without port",
        arguments: [
            "examplebucket.s3.example.com", "examplebucket.s3.example.com:9000", "ExampleBucket.S3.Example.COM",
            "EXAMPLEBUCKET.s3.example.com:443", "examplebucket.s3.example.com.", "examplebucket.localhost:9000",
        ])
    func virtualHosted(host: String) throws {
        let object = try route("GET", "/photos/2006/February/sample.jpg", host: host)
        #expect(object.operation == .getObject)
        #expect(object.bucket == "examplebucket")
        #expect(object.key == "photos/2006/February/sample.jpg")

        let bucket = try route("GET", "/?list-type=2", host: host)
        #expect(bucket.operation == .listObjectsV2)
        #expect(bucket.bucket == "examplebucket")
        #expect(bucket.key == nil)

        #expect(try route("PUT", "/", host: host).operation == .createBucket)
        #expect(try route("POST", "/?delete", host: host).operation == .deleteObjects)
    }

    @Test("in virtual-hosted style the whole path is the key, including what looks like a bucket")
    func virtualHostedKeys() throws {
        let host = "my.dotted.bucket.s3.example.com"
        #expect(try route("GET", "/other-bucket/key", host: host).key == "other-bucket/key")
        #expect(try route("GET", "/other-bucket/key", host: host).bucket == "my.dotted.bucket")
        #expect(try route("GET", "//a//b/", host: host).key == "/a//b/")
        #expect(try route("GET", "/%2E%2E", host: host).key == "..")
    }

    @Test(
        "a host equal to a domain, outside the domains, or an address means path style",
        arguments: [
            "s3.example.com", "S3.EXAMPLE.COM:9000", "localhost", "localhost:9000", "127.0.0.1:9000", "[::1]:9000",
            "other.example.org", "bucket.s3.example.com.evil.org", "xs3.example.com",
        ] as [String?] + [nil])
    func pathStyleHosts(host: String?) throws {
        let request = try route("GET", "/examplebucket/key", host: host)
        #expect(request.bucket == "examplebucket")
        #expect(request.key == "key")
    }

    @Test("the most specific virtual-host domain wins")
    func longestDomain() throws {
        let router = S3Router(virtualHostDomains: ["example.com", "s3.example.com"])
        let pathStyle = try router.route(
            method: "GET", rawPath: "/b1k/k", rawQuery: "", host: "s3.example.com", headers: [])
        #expect(pathStyle.bucket == "b1k")
        let virtual = try router.route(
            method: "GET", rawPath: "/k", rawQuery: "", host: "b2k.s3.example.com", headers: [])
        #expect(virtual.bucket == "b2k")
        #expect(virtual.key == "k")
    }

    @Test("without virtual-host domains every request is path style")
    func noDomains() throws {
        let router = S3Router(virtualHostDomains: [])
        let request = try router.route(
            method: "GET", rawPath: "/b1k/k", rawQuery: "", host: "b1k.s3.amazonaws.com", headers: [])
        #expect(request.bucket == "b1k")
        #expect(request.key == "k")
    }

    // MARK: Errors

    @Test(
        "known subresources Stowage does not serve are NotImplemented",
        arguments: [
            "policy", "cors", "lifecycle", "tagging", "website", "logging", "notification", "replication",
            "encryption", "object-lock", "retention", "legal-hold", "torrent", "restore", "select",
            "accelerate", "requestPayment", "analytics", "metrics", "inventory", "intelligent-tiering",
            "policyStatus",
        ])
    func unsupportedSubresources(subresource: String) {
        expectError(.notImplemented, "GET", "/examplebucket?\(subresource)")
        expectError(.notImplemented, "PUT", "/examplebucket?\(subresource)=")
        expectError(.notImplemented, "GET", "/examplebucket/key?\(subresource)")
        expectError(.notImplemented, "POST", "/examplebucket/key?\(subresource)&versionId=1")
        expectError(.notImplemented, "DELETE", "/examplebucket/key?\(subresource)")
    }

    @Test("?acl and ?ownershipControls route to the ACL and ownership-controls operations")
    func aclRoutes() throws {
        let cases: [(String, String, S3Operation)] = [
            ("GET", "/bk1/k", .getObjectAcl), ("PUT", "/bk1/k", .putObjectAcl), ("GET", "/bk1", .getBucketAcl),
            ("PUT", "/bk1", .putBucketAcl),
        ]
        for (method, path, operation) in cases {
            #expect(try router.route(method: method, rawPath: path, rawQuery: "acl", host: nil, headers: []).operation == operation)
        }
        for (method, operation) in [
            ("GET", S3Operation.getBucketOwnershipControls), ("PUT", .putBucketOwnershipControls),
            ("DELETE", .deleteBucketOwnershipControls),
        ] {
            #expect(
                try router.route(method: method, rawPath: "/bk1", rawQuery: "ownershipControls", host: nil, headers: []).operation
                    == operation)
        }
        expectError(.methodNotAllowed, "DELETE", "/bk1/k?acl")
    }

    @Test("GET of an object with ?attributes is GetObjectAttributes")
    func objectAttributes() throws {
        let request = try router.route(
            method: "GET", rawPath: "/examplebucket/photos/a.jpg", rawQuery: "attributes", host: "s3.amazonaws.com",
            headers: [])
        #expect(request.operation == .getObjectAttributes)
        #expect(request.key == "photos/a.jpg")
    }

    @Test("browser POST uploads and CORS preflight are NotImplemented")
    func otherUnsupported() {
        expectError(.notImplemented, "POST", "/examplebucket")
        expectError(.notImplemented, "OPTIONS", "/examplebucket/key")
    }

    @Test("methods an S3 resource does not accept are MethodNotAllowed")
    func methodNotAllowed() {
        expectError(.methodNotAllowed, "PUT", "/")
        expectError(.methodNotAllowed, "DELETE", "/")
        expectError(.methodNotAllowed, "HEAD", "/")
        expectError(.methodNotAllowed, "POST", "/")
        expectError(.methodNotAllowed, "POST", "/examplebucket/key")
        expectError(.methodNotAllowed, "PATCH", "/examplebucket/key")
        expectError(.methodNotAllowed, "get", "/examplebucket/key")
        expectError(.methodNotAllowed, "TRACE", "/")
    }

    @Test(
        "a part number outside 1...10000 is InvalidArgument",
        arguments: ["0", "10001", "-1", "abc", "", "1.5", "+1", " 1", "99999999999999999999"])
    func invalidPartNumbers(partNumber: String) {
        expectError(.invalidArgument, "PUT", "/examplebucket/key?partNumber=\(partNumber)&uploadId=abc")
        expectError(
            .invalidArgument, "PUT", "/examplebucket/key?partNumber=\(partNumber)&uploadId=abc",
            headers: [(name: "x-amz-copy-source", value: "/b/k")])
        expectError(.invalidArgument, "GET", "/examplebucket/key?partNumber=\(partNumber)")
        expectError(.invalidArgument, "HEAD", "/examplebucket/key?partNumber=\(partNumber)")
    }

    @Test("UploadPart without a part number is InvalidArgument; part numbers 1 and 10000 are fine")
    func partNumberBounds() throws {
        expectError(.invalidArgument, "PUT", "/examplebucket/key?uploadId=abc")
        #expect(try route("PUT", "/examplebucket/key?partNumber=1&uploadId=abc").operation == .uploadPart)
        #expect(try route("PUT", "/examplebucket/key?uploadId=abc&partNumber=10000").operation == .uploadPart)
        #expect(try route("PUT", "/examplebucket/key?partNumber=0010&uploadId=abc").query["partNumber"] == "0010")
    }

    @Test("a list-type other than 2 is InvalidArgument")
    func listType() {
        expectError(.invalidArgument, "GET", "/examplebucket?list-type=1")
        expectError(.invalidArgument, "GET", "/examplebucket?list-type=")
    }
}
