import NIOCore
import S3Protocol

/// The two chunked-upload examples of the AWS documentation ("Transferring Payload in Multiple
/// Chunks" and "Including Trailing Headers"): 65536 then 1024 bytes of `a`, signed with the
/// example secret on 20130524T000000Z in us-east-1.
enum AWSStreamingExample {
    static let seedSignature = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    static let chunkSignatures = [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ]
    static let trailerSeedSignature = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
    static let trailerChunkSignatures = [
        "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
        "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
        "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
    ]
    static let trailerSignature = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"

    static let payload = [UInt8](repeating: UInt8(ascii: "a"), count: 66560)

    /// The PUT whose seed signature is `seedSignature` (Content-Length 66824).
    static let request = SignableRequest(
        method: "PUT", rawPath: "/examplebucket/chunkObject.txt", rawQuery: "",
        headers: [
            ("Host", "s3.amazonaws.com"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
            ),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            ("Content-Encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("Content-Length", "66824"),
        ])

    static func context(seed: String) -> ChunkSigningContext {
        ChunkSigningContext(
            signingKey: SigV4Crypto.signingKey(
                secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", date: "20130524", region: "us-east-1"),
            seedSignature: seed, amzDate: "20130524T000000Z", scope: "20130524/us-east-1/s3/aws4_request")
    }

    /// The signed body as the documentation lays it out.
    static var signedBody: [UInt8] {
        var body = Array("10000;chunk-signature=\(chunkSignatures[0])\r\n".utf8)
        body += payload[0..<65536] + Array("\r\n".utf8)
        body += Array("400;chunk-signature=\(chunkSignatures[1])\r\n".utf8)
        body += payload[65536...] + Array("\r\n".utf8)
        body += Array("0;chunk-signature=\(chunkSignatures[2])\r\n\r\n".utf8)
        return body
    }

    /// The signed body with the CRC32C trailer and its signature.
    static var signedTrailerBody: [UInt8] {
        var body = Array("10000;chunk-signature=\(trailerChunkSignatures[0])\r\n".utf8)
        body += payload[0..<65536] + Array("\r\n".utf8)
        body += Array("400;chunk-signature=\(trailerChunkSignatures[1])\r\n".utf8)
        body += payload[65536...] + Array("\r\n".utf8)
        body += Array("0;chunk-signature=\(trailerChunkSignatures[2])\r\n".utf8)
        body += Array("x-amz-checksum-crc32c:sOO8/Q==\r\n".utf8)
        body += Array("x-amz-trailer-signature:\(trailerSignature)\r\n\r\n".utf8)
        return body
    }
}
