import S3Protocol
import Testing

/// The worked examples of the AWS S3 API reference ("Signature Calculations for the
/// Authorization Header", "Authenticating Requests: Using Query Parameters" and
/// "Transferring Payload in Multiple Chunks"), replayed against the verifier.
@Suite("SigV4 verification of the AWS documentation examples")
struct SigV4AWSExampleTests {
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    let verifier = SigV4TestSigner.verifier
    let now = SigV4TestSigner.exampleTime

    @Test("GET Object with a Range header verifies (signature f0e8bdb8…)")
    func getObject() throws {
        let request = SignableRequest(
            method: "GET", rawPath: "/test.txt", rawQuery: "",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"),
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
                ),
                ("Range", "bytes=0-9"),
                ("x-amz-content-sha256", Self.emptyHash),
                ("x-amz-date", "20130524T000000Z"),
            ])
        let verified = try verifier.verify(request, now: now)
        #expect(verified.accessKey == "AKIAIOSFODNN7EXAMPLE")
        #expect(verified.payload == .sha256(Self.emptyHash))
        #expect(verified.chunkSigning == nil)
    }

    @Test("PUT Object with Date, a $ in the key and a declared SHA-256 verifies (signature 98ad7217…)")
    func putObject() throws {
        let payloadHash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        let request = SignableRequest(
            method: "PUT", rawPath: "/test%24file.text", rawQuery: "",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"),
                ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
                ),
                ("x-amz-date", "20130524T000000Z"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                ("x-amz-content-sha256", payloadHash),
            ])
        let verified = try verifier.verify(request, now: now)
        #expect(verified.payload == .sha256(payloadHash))
    }

    @Test("GET Bucket Lifecycle (?lifecycle, a parameter without '=') verifies (signature fea454ca…)")
    func getBucketLifecycle() throws {
        let request = SignableRequest(
            method: "GET", rawPath: "/", rawQuery: "lifecycle",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"),
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
                ),
                ("x-amz-date", "20130524T000000Z"),
                ("x-amz-content-sha256", Self.emptyHash),
            ])
        _ = try verifier.verify(request, now: now)
    }

    @Test("Get Bucket (List Objects) with max-keys and prefix verifies (signature 34b48302…)")
    func listObjects() throws {
        let request = SignableRequest(
            method: "GET", rawPath: "/", rawQuery: "max-keys=2&prefix=J",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"),
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
                ),
                ("x-amz-date", "20130524T000000Z"),
                ("x-amz-content-sha256", Self.emptyHash),
            ])
        _ = try verifier.verify(request, now: now)
    }

    @Test("the presigned GET of /test.txt verifies with an unsigned payload (signature aeeed9bb…)")
    func presignedGet() throws {
        let request = SignableRequest(
            method: "GET", rawPath: "/test.txt",
            rawQuery:
                "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
            headers: [("Host", "examplebucket.s3.amazonaws.com")])
        let verified = try verifier.verify(request, now: now + 3600)
        #expect(verified.accessKey == "AKIAIOSFODNN7EXAMPLE")
        #expect(verified.payload == .unsigned)
        #expect(verified.chunkSigning == nil)
    }

    @Test("the chunked PUT's seed signature verifies and hands on the chunk signing context")
    func streamingSeed() throws {
        let verified = try verifier.verify(AWSStreamingExample.request, now: now)
        #expect(verified.payload == .streamingSigned)
        let context = try #require(verified.chunkSigning)
        #expect(context.seedSignature == AWSStreamingExample.seedSignature)
        #expect(context.amzDate == "20130524T000000Z")
        #expect(context.scope == "20130524/us-east-1/s3/aws4_request")
        #expect(
            context.signingKey
                == SigV4Crypto.signingKey(
                    secretKey: SigV4TestSigner.secretKey, date: "20130524", region: "us-east-1"))
    }

    @Test("the chunked PUT with trailer: seed signature 106e2a8a… verifies as streamingSignedTrailer")
    func streamingTrailerSeed() throws {
        let request = SignableRequest(
            method: "PUT", rawPath: "/examplebucket/chunkObject.txt", rawQuery: "",
            headers: [
                ("Host", "s3.amazonaws.com"),
                ("x-amz-date", "20130524T000000Z"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
                ),
                ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
                ("Content-Encoding", "aws-chunked"),
                ("x-amz-decoded-content-length", "66560"),
                ("x-amz-trailer", "x-amz-checksum-crc32c"),
            ])
        let verified = try verifier.verify(request, now: now)
        #expect(verified.payload == .streamingSignedTrailer)
        #expect(verified.chunkSigning?.seedSignature == AWSStreamingExample.trailerSeedSignature)
    }

    @Test("the signing key chain and chunk signatures reproduce the documented values")
    func chunkSignatureChain() {
        let context = AWSStreamingExample.context(seed: AWSStreamingExample.seedSignature)
        let first = context.chunkSignature(
            previousSignature: context.seedSignature,
            chunkSHA256Hex: SigV4Crypto.sha256Hex([UInt8](repeating: UInt8(ascii: "a"), count: 65536)))
        #expect(first == AWSStreamingExample.chunkSignatures[0])
        let second = context.chunkSignature(
            previousSignature: first,
            chunkSHA256Hex: SigV4Crypto.sha256Hex([UInt8](repeating: UInt8(ascii: "a"), count: 1024)))
        #expect(second == AWSStreamingExample.chunkSignatures[1])
        let last = context.chunkSignature(previousSignature: second, chunkSHA256Hex: SigV4Crypto.emptySHA256Hex)
        #expect(last == AWSStreamingExample.chunkSignatures[2])
    }
}
