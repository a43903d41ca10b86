import S3Protocol
import Testing

/// Requests signed by botocore 1.43.11 (boto3's signer) with Signature Version 2, against the
/// path-style endpoint `http://127.0.0.1:9000` with access key `AK` and secret `SK`, the clock
/// pinned to 1795654962 (Thu, 26 Nov 2026 01:02:42 GMT). botocore presigns S3 URLs with SigV2
/// unless told `signature_version='s3v4'`; header signing needs `signature_version='s3'`.
@Suite("SigV2 verification of requests signed by botocore")
struct SigV2BotocoreTests {
    static let signedAt: Int64 = 1_795_654_962
    let verifier = SigV4Verifier(region: "us-east-1") { $0 == "AK" ? "SK" : nil }

    /// `generate_presigned_url('get_object', Params={'Bucket': 'b', 'Key': 'a b/ü.txt',
    /// 'ResponseContentType': 'text/plain'}, ExpiresIn=3600)` with the default configuration.
    static let presignedGet = SignableRequest(
        method: "GET", rawPath: "/b/a%20b/%C3%BC.txt",
        rawQuery: "response-content-type=text%2Fplain&AWSAccessKeyId=AK&Signature=h4hYvHBBzQWomAMAKyyacJdjEtQ%3D"
            + "&Expires=1795658562",
        headers: [("Host", "127.0.0.1:9000"), ("User-Agent", "curl/8.5.0"), ("Accept", "*/*")])

    @Test("a presigned GetObject of an encoded key with a response override verifies through its expiry")
    func presignedGetObject() throws {
        for now in [Self.signedAt, Self.signedAt + 3600] {
            let verified = try verifier.verify(Self.presignedGet, now: now)
            #expect(verified.accessKey == "AK")
            #expect(verified.payload == .unsigned)
        }
    }

    @Test("the presigned GetObject signs the encoded path and the decoded response-content-type")
    func presignedGetObjectStringToSign() {
        var tampered = Self.presignedGet
        tampered.rawQuery = tampered.rawQuery.replacingAll("text%2Fplain", with: "text%2Fhtml")
        let error = #expect(throws: S3Error.self) { try verifier.verify(tampered, now: Self.signedAt) }
        #expect(error?.code == .signatureDoesNotMatch)
        #expect(
            error?.details.first { $0.0 == "StringToSign" }?.1
                == "GET\n\n\n1795658562\n/b/a%20b/%C3%BC.txt?response-content-type=text/html")
    }

    @Test("the presigned GetObject an hour and a second after signing is AccessDenied: Request has expired")
    func presignedGetObjectExpired() {
        let error = #expect(throws: S3Error.self) { try verifier.verify(Self.presignedGet, now: Self.signedAt + 3601) }
        #expect(error?.code == .accessDenied)
        #expect(error?.message == "Request has expired")
    }

    @Test("a presigned PutObject signs the Content-Type and x-amz headers botocore moved into the query")
    func presignedPutObjectWithHeadersInQuery() throws {
        // generate_presigned_url('put_object', Params={'Bucket': 'b', 'Key': 'k', 'ContentType':
        // 'text/plain', 'Metadata': {'Owner': 'Zoe Smith'}, 'ACL': 'private'}, ExpiresIn=600)
        let request = SignableRequest(
            method: "PUT", rawPath: "/b/k",
            rawQuery: "AWSAccessKeyId=AK&Signature=U4F8As51xGY9vgZ7vyegVwZ4UI8%3D&content-type=text%2Fplain"
                + "&x-amz-meta-owner=Zoe%20Smith&x-amz-acl=private&Expires=1795655562",
            headers: [
                ("Host", "127.0.0.1:9000"), ("Content-Type", "application/octet-stream"), ("Content-Length", "5"),
            ])
        let verified = try verifier.verify(request, now: Self.signedAt)
        #expect(verified.accessKey == "AK")
    }

    @Test("a presigned UploadPart signs partNumber and the decoded uploadId, sorted by name")
    func presignedUploadPart() throws {
        // generate_presigned_url('upload_part', Params={'Bucket': 'b', 'Key': 'k',
        // 'UploadId': 'x/y+z', 'PartNumber': 2}, ExpiresIn=600)
        let request = SignableRequest(
            method: "PUT", rawPath: "/b/k",
            rawQuery: "uploadId=x%2Fy%2Bz&partNumber=2&AWSAccessKeyId=AK&Signature=pqux5WvoU5B5eCISA%2BU%2FYK9yAt8%3D"
                + "&Expires=1795655562",
            headers: [("Host", "127.0.0.1:9000"), ("Content-Length", "5")])
        _ = try verifier.verify(request, now: Self.signedAt)
        var otherPart = request
        otherPart.rawQuery = otherPart.rawQuery.replacingAll("partNumber=2", with: "partNumber=3")
        let error = #expect(throws: S3Error.self) { try verifier.verify(otherPart, now: Self.signedAt) }
        #expect(
            error?.details.first { $0.0 == "StringToSign" }?.1
                == "PUT\n\n\n1795655562\n/b/k?partNumber=3&uploadId=x/y+z")
    }

    @Test("a header-signed PutObject (signature_version='s3') verifies, inner whitespace of x-amz values kept")
    func headerSignedPutObject() throws {
        // put_object(Bucket='b', Key='dir/a+b c.txt', Body=b'hello', ContentType='text/plain',
        // Metadata={'color': 'blue  green'}, Tagging='k=v')
        let request = SignableRequest(
            method: "PUT", rawPath: "/b/dir/a%2Bb%20c.txt", rawQuery: "",
            headers: [
                ("Content-Type", "text/plain"),
                ("x-amz-meta-color", "blue  green"),
                ("x-amz-tagging", "k=v"),
                ("User-Agent", "Boto3/1.43.11 md/Botocore#1.43.11 ua/2.1 lang/python#3.11.7 Botocore/1.43.11"),
                ("Expect", "100-continue"),
                ("x-amz-checksum-crc32", "NhCmhg=="),
                ("x-amz-sdk-checksum-algorithm", "CRC32"),
                ("Date", "Thu, 26 Nov 2026 01:02:42 GMT"),
                ("Authorization", "AWS AK:lH8xXcMC1ttu0fHRWi8WWp1TwXQ="),
                ("amz-sdk-invocation-id", "e6bc888d-a24f-4394-9389-106e299d84de"),
                ("amz-sdk-request", "attempt=1"),
                ("Content-Length", "5"),
                ("host", "127.0.0.1:9000"),
            ])
        let verified = try verifier.verify(request, now: Self.signedAt)
        #expect(verified.accessKey == "AK")
        #expect(verified.payload == .unsigned)
    }
}
