import S3Protocol
import Testing

/// Requests captured from botocore 1.43 (boto3's signer) against a path-style endpoint: the
/// raw path, query and headers exactly as it would send them, with its signatures.
@Suite("SigV4 verification of requests signed by botocore")
struct SigV4BotocoreTests {
    /// 20261126T010242Z, when the requests were signed.
    static let signedAt: Int64 = 1_795_654_962
    static let userAgent = "Boto3/1.43.11 md/Botocore#1.43.11 ua/2.1 lang/python#3.11.7 Botocore/1.43.11"
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    let verifier = SigV4TestSigner.verifier

    static func authorization(_ signedHeaders: String, _ signature: String) -> (name: String, value: String) {
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/us-east-1/s3/aws4_request, "
                + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        )
    }

    @Test("PutObject of a key with space, +, =, é and sub-delims verifies with its SHA-256 payload")
    func putObjectWithEncodedKey() throws {
        let request = SignableRequest(
            method: "PUT",
            rawPath: "/bucket/photos/my%20file%2Bplus%3D%C3%A9~%21%24%26%27%28%29%2A%2C%3B%3A%40.txt",
            rawQuery: "",
            headers: [
                ("User-Agent", Self.userAgent),
                ("Expect", "100-continue"),
                ("x-amz-checksum-crc32", "NhCmhg=="),
                ("x-amz-sdk-checksum-algorithm", "CRC32"),
                ("host", "127.0.0.1:9000"),
                ("X-Amz-Date", "20261126T010242Z"),
                ("x-amz-content-sha256", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
                Self.authorization(
                    "host;x-amz-checksum-crc32;x-amz-content-sha256;x-amz-date;x-amz-sdk-checksum-algorithm",
                    "7dde7e925bbc9a7805c820a8c579a720a7b533689f119442d5787e60feef8ab0"),
                ("amz-sdk-invocation-id", "106e1d75-0c5d-47f6-a96d-6301bfed44e1"),
                ("amz-sdk-request", "attempt=1"),
                ("Content-Length", "5"),
            ])
        let verified = try verifier.verify(request, now: Self.signedAt)
        #expect(verified.accessKey == "AKIDEXAMPLE")
        #expect(verified.payload == .sha256("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"))
    }

    @Test("ListObjectsV2 with an encoded prefix, delimiter and start-after verifies")
    func listObjectsV2() throws {
        let request = SignableRequest(
            method: "GET", rawPath: "/bucket",
            rawQuery: "list-type=2&prefix=a%20b%2Bc%2F%C3%A9&delimiter=%2F&start-after=x%3Dy%26z&encoding-type=url",
            headers: [
                ("User-Agent", Self.userAgent),
                ("host", "127.0.0.1:9000"),
                ("X-Amz-Date", "20261126T010242Z"),
                ("x-amz-content-sha256", Self.emptyHash),
                Self.authorization(
                    "host;x-amz-content-sha256;x-amz-date",
                    "bafbefbfba7c0af3bfea0abe91b84412cb561ae6c7f62726d7302d6814da00a4"),
            ])
        _ = try verifier.verify(request, now: Self.signedAt)
    }

    @Test("GetObject of a key with // and .. verifies without path normalisation")
    func getObjectWithDotSegments() throws {
        let request = SignableRequest(
            method: "GET", rawPath: "/bucket/a//b/../c", rawQuery: "",
            headers: [
                ("Range", "bytes=0-9"),
                ("x-amz-checksum-mode", "ENABLED"),
                ("User-Agent", Self.userAgent),
                ("host", "127.0.0.1:9000"),
                ("X-Amz-Date", "20261126T010242Z"),
                ("x-amz-content-sha256", Self.emptyHash),
                Self.authorization(
                    "host;range;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date",
                    "690c5168dc51570689bf0bd536c2293044f5473c3d6b43d0784183c102637033"),
            ])
        _ = try verifier.verify(request, now: Self.signedAt)
    }

    @Test("CreateMultipartUpload (?uploads) verifies")
    func createMultipartUpload() throws {
        let request = SignableRequest(
            method: "POST", rawPath: "/bucket/k", rawQuery: "uploads",
            headers: [
                ("User-Agent", Self.userAgent),
                ("host", "127.0.0.1:9000"),
                ("X-Amz-Date", "20261126T010242Z"),
                ("x-amz-content-sha256", Self.emptyHash),
                Self.authorization(
                    "host;x-amz-content-sha256;x-amz-date",
                    "a96cd1334fbf1c04a624d7b63fe088bda3937dcb69272353e4e5fa9bafae2417"),
                ("Content-Length", "0"),
            ])
        _ = try verifier.verify(request, now: Self.signedAt)
    }

    @Test("PutObject over HTTPS as STREAMING-UNSIGNED-PAYLOAD-TRAILER verifies without a chunk context")
    func putObjectUnsignedTrailer() throws {
        let request = SignableRequest(
            method: "PUT",
            rawPath: "/bucket/photos/my%20file%2Bplus%3D%C3%A9~%21%24%26%27%28%29%2A%2C%3B%3A%40.txt",
            rawQuery: "",
            headers: [
                ("User-Agent", Self.userAgent),
                ("Expect", "100-continue"),
                ("Transfer-Encoding", "chunked"),
                ("Content-Encoding", "aws-chunked"),
                ("X-Amz-Trailer", "x-amz-checksum-crc32"),
                ("X-Amz-Decoded-Content-Length", "5"),
                ("x-amz-sdk-checksum-algorithm", "CRC32"),
                ("host", "127.0.0.1:9000"),
                ("X-Amz-Date", "20261126T010242Z"),
                ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
                Self.authorization(
                    "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;"
                        + "x-amz-sdk-checksum-algorithm;x-amz-trailer",
                    "dbc4467c795607261e223e2ea73bdaaf8ab137a384c40dc334199315ae532f4f"),
            ])
        let verified = try verifier.verify(request, now: Self.signedAt)
        #expect(verified.payload == .streamingUnsignedTrailer)
        #expect(verified.chunkSigning == nil)
    }

    @Test("a presigned GET with response-content-disposition and a unicode key verifies")
    func presignedGetObject() throws {
        let request = SignableRequest(
            method: "GET", rawPath: "/bucket/dir/a%20b%2B%C3%A9.txt",
            rawQuery: "response-content-disposition=attachment%3B%20filename%3D%22a%20b.txt%22"
                + "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIDEXAMPLE%2F20261126%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20261126T010242Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600"
                + "&X-Amz-Signature=acb4d2e783cafd7604cd5a260673e5b7cff2e67501b5dd2fad7bb25598af97b6",
            headers: [("Host", "127.0.0.1:9000"), ("User-Agent", "curl/8.5.0")])
        let verified = try verifier.verify(request, now: Self.signedAt + 3599)
        #expect(verified.payload == .unsigned)
        #expect(throws: S3Error.self) { try verifier.verify(request, now: Self.signedAt + 3601) }
    }

    @Test("a presigned PUT valid for the maximum of seven days verifies on its last second")
    func presignedPutObjectSevenDays() throws {
        let request = SignableRequest(
            method: "PUT", rawPath: "/bucket/up/load",
            rawQuery: "X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIDEXAMPLE%2F20261126%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20261126T010242Z&X-Amz-SignedHeaders=host&X-Amz-Expires=604800"
                + "&X-Amz-Signature=889f7897206522c661129c8d69dadccca71a0385e6abaad261d84baa6163fe55",
            headers: [("Host", "127.0.0.1:9000"), ("Content-Length", "3")])
        _ = try verifier.verify(request, now: Self.signedAt + 604_800)
    }
}
