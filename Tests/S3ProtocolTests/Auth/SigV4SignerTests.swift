import S3Protocol
import Testing

/// The client-side signer: its output verifies with `SigV4Verifier` and reproduces the
/// signatures of the AWS documentation examples.
@Suite("SigV4 signer")
struct SigV4SignerTests {
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    let verifier = SigV4TestSigner.verifier
    let now = SigV4TestSigner.exampleTime

    func exampleSigner() -> SigV4Signer {
        SigV4Signer(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: SigV4TestSigner.secretKey, region: "us-east-1")
    }

    func signed(
        _ request: SignableRequest, signer: inout SigV4Signer, host: String? = nil,
        payloadHash: String = SigV4Signer.unsignedPayload, now: Int64
    ) throws -> SignableRequest {
        var request = request
        request.headers += try signer.sign(request, host: host, payloadHash: payloadHash, now: now)
        return request
    }

    func authorization(_ request: SignableRequest) -> String? {
        request.headers.first(where: { $0.name == "authorization" })?.value
    }

    @Test("AWS example GET Object with a Range header: signature f0e8bdb8…")
    func awsExampleGetObject() throws {
        var signer = exampleSigner()
        let request = SignableRequest(
            method: "GET", rawPath: "/test.txt", rawQuery: "",
            headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")])
        let result = try signed(request, signer: &signer, payloadHash: Self.emptyHash, now: now)
        #expect(
            authorization(result)
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        _ = try verifier.verify(result, now: now)
    }

    @Test("AWS example PUT Object with Date, storage class and a $ in the key: signature 98ad7217…")
    func awsExamplePutObject() throws {
        var signer = exampleSigner()
        let request = SignableRequest(
            method: "PUT", rawPath: "/test%24file.text", rawQuery: "",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ])
        let payloadHash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        let result = try signed(request, signer: &signer, payloadHash: payloadHash, now: now)
        #expect(
            authorization(result)?.hasSuffix(
                "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
                    + "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd") == true)
        #expect(try verifier.verify(result, now: now).payload == .sha256(payloadHash))
    }

    @Test("AWS example List Objects with max-keys and prefix: signature 34b48302…")
    func awsExampleListObjects() throws {
        var signer = exampleSigner()
        let request = SignableRequest(
            method: "GET", rawPath: "/", rawQuery: "max-keys=2&prefix=J",
            headers: [("Host", "examplebucket.s3.amazonaws.com")])
        let result = try signed(request, signer: &signer, payloadHash: Self.emptyHash, now: now)
        #expect(
            authorization(result)?.hasSuffix(
                "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7") == true)
        _ = try verifier.verify(result, now: now)
    }

    @Test("AWS example presigned GET of /test.txt: the exact query string, signature aeeed9bb…")
    func awsExamplePresignedGet() throws {
        var signer = exampleSigner()
        let request = SignableRequest(
            method: "GET", rawPath: "/test.txt", rawQuery: "", headers: [("Host", "examplebucket.s3.amazonaws.com")])
        let query = try signer.presign(request, expiresSeconds: 86400, now: now)
        #expect(
            query
                == "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        )
        var presigned = request
        presigned.rawQuery = query
        #expect(try verifier.verify(presigned, now: now + 3600).payload == .unsigned)
    }

    @Test("only the host is added when missing, and the added headers come in a fixed order")
    func addedHeaders() throws {
        var signer = exampleSigner()
        let request = SignableRequest(method: "GET", rawPath: "/bucket/key", rawQuery: "", headers: [])
        let added = try signer.sign(request, host: "127.0.0.1:9000", now: now)
        #expect(added.map(\.name) == ["host", "x-amz-content-sha256", "x-amz-date", "authorization"])
        #expect(added[0].value == "127.0.0.1:9000")
        #expect(added[1].value == "UNSIGNED-PAYLOAD")
        #expect(added[2].value == "20130524T000000Z")

        let withHost = SignableRequest(
            method: "GET", rawPath: "/bucket/key", rawQuery: "", headers: [("Host", "127.0.0.1:9000")])
        #expect(try signer.sign(withHost, now: now).map(\.name) == ["x-amz-content-sha256", "x-amz-date", "authorization"])
    }

    @Test(
        "a signed request verifies: encoded keys, queries, repeated and unsigned headers, declared hashes",
        arguments: [
            ("PUT", "/bucket/photos/2024/%E2%9C%93%20a%2Bb.jpg", "", SigV4Signer.unsignedPayload),
            ("GET", "/bucket", "list-type=2&max-keys=1000&prefix=list%2F&continuation-token=a%2Bb%3D", SigV4SignerTests.emptyHash),
            ("POST", "/bucket", "delete", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"),
            ("GET", "/", "", SigV4SignerTests.emptyHash),
        ])
    func signedRequestVerifies(method: String, rawPath: String, rawQuery: String, payloadHash: String) throws {
        var signer = SigV4Signer(
            accessKey: SigV4TestSigner.accessKey, secretKey: SigV4TestSigner.secretKey, region: "us-east-1")
        let request = SignableRequest(
            method: method, rawPath: rawPath, rawQuery: rawQuery,
            headers: [
                ("Content-Length", "4096"), ("User-Agent", "stowage-bench"), ("x-amz-meta-Note", "  two   spaces "),
                ("X-Amz-Meta-Note", "again"), ("Connection", "keep-alive"),
            ])
        let result = try signed(request, signer: &signer, host: "localhost:9000", payloadHash: payloadHash, now: now)
        let verified = try verifier.verify(result, now: now + 60)
        #expect(verified.accessKey == SigV4TestSigner.accessKey)
        let header = try #require(authorization(result))
        #expect(header.contains("SignedHeaders=content-length;host;x-amz-content-sha256;x-amz-date;x-amz-meta-note,"))
    }

    @Test("a tampered signed request does not verify")
    func tamperedRequestFails() throws {
        var signer = exampleSigner()
        let request = SignableRequest(
            method: "GET", rawPath: "/bucket/a", rawQuery: "", headers: [("Host", "examplebucket.s3.amazonaws.com")])
        var result = try signed(request, signer: &signer, now: now)
        result.rawPath = "/bucket/b"
        #expect(throws: S3Error.self) { try verifier.verify(result, now: now) }
    }

    @Test("a presigned URL with its own query, a pinned payload and extra signed headers verifies")
    func presignedWithQueryVerifies() throws {
        var signer = exampleSigner()
        let request = SignableRequest(
            method: "PUT", rawPath: "/bucket/some%20key", rawQuery: "x-id=PutObject",
            headers: [("x-amz-meta-owner", "bench")])
        let payloadHash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        let query = try signer.presign(
            request, host: "127.0.0.1:9000", expiresSeconds: 900, payloadHash: payloadHash, now: now)
        #expect(query.hasPrefix("x-id=PutObject&X-Amz-Algorithm=AWS4-HMAC-SHA256&"))
        #expect(query.contains("&X-Amz-SignedHeaders=host%3Bx-amz-meta-owner&"))
        var presigned = request
        presigned.rawQuery = query
        presigned.headers.append(("Host", "127.0.0.1:9000"))
        #expect(try verifier.verify(presigned, now: now + 900).payload == .sha256(payloadHash))
        #expect(throws: S3Error.self) { try verifier.verify(presigned, now: now + 901) }
    }

    @Test("one signer keeps signing correctly across midnight UTC (the cached key is renewed)")
    func signingKeyRenewedAcrossDays() throws {
        var signer = exampleSigner()
        let request = SignableRequest(
            method: "GET", rawPath: "/bucket/key", rawQuery: "", headers: [("Host", "examplebucket.s3.amazonaws.com")])
        for time in [now, now + 86_399, now + 86_400, now + 3 * 86_400, now] {
            let result = try signed(request, signer: &signer, now: time)
            _ = try verifier.verify(result, now: time)
        }
    }

    @Test("a malformed percent escape in the path is InvalidURI")
    func malformedPathThrows() {
        var signer = exampleSigner()
        let request = SignableRequest(method: "GET", rawPath: "/bucket/%zz", rawQuery: "", headers: [])
        #expect(throws: S3Error.self) { _ = try signer.sign(request, host: "h", now: now) }
    }
}
