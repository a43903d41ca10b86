import S3Protocol
import Testing

/// How raw paths, queries and headers canonicalise: each case signs the expected canonical
/// form by hand and checks that the verifier accepts the raw form.
@Suite("SigV4 canonical request")
struct SigV4CanonicalizationTests {
    let verifier = SigV4TestSigner.verifier
    let now = SigV4TestSigner.exampleTime

    @Test(
        "the raw path is decoded once and UriEncoded with '/' kept, without normalisation",
        arguments: [
            ("/test.txt", "/test.txt"),
            ("", "/"),
            ("/", "/"),
            ("/a%2fb", "/a/b"),  // an encoded slash is a slash of the key
            ("/k!$'()*,;:@=+&", "/k%21%24%27%28%29%2A%2C%3B%3A%40%3D%2B%26"),
            ("/caf%c3%a9", "/caf%C3%A9"),
            ("/café", "/caf%C3%A9"),
            ("/~user/-_.", "/~user/-_."),
            ("/a//b/./../c", "/a//b/./../c"),
            ("/a%20b/", "/a%20b/"),
            ("/%7E", "/~"),
        ])
    func canonicalURI(rawPath: String, canonicalURI: String) throws {
        let request = SigV4TestSigner.headerSignedRequest(rawPath: rawPath, canonicalURI: canonicalURI)
        _ = try verifier.verify(request, now: now)
    }

    @Test(
        "the raw query is decoded, re-encoded, sorted by name then value, with '+' kept literal",
        arguments: [
            ("b=2&a=1", "a=1&b=2"),
            ("a=2&a=1", "a=1&a=2"),
            ("a+b=c+d", "a%2Bb=c%2Bd"),
            ("x=%2f&y=/", "x=%2F&y=%2F"),
            ("uploads&partNumber=1", "partNumber=1&uploads="),
            ("k=a=b", "k=a%3Db"),
            ("empty=&&last", "empty=&last="),
            ("a=2&A=1", "A=1&a=2"),
            ("x=%7E&y=%20", "x=~&y=%20"),
            ("é=ü", "%C3%A9=%C3%BC"),
            ("prefix=a%2Bb&prefix=a+b", "prefix=a%2Bb&prefix=a%2Bb"),
        ])
    func canonicalQuery(rawQuery: String, canonicalQuery: String) throws {
        let request = SigV4TestSigner.headerSignedRequest(
            rawPath: "/", rawQuery: rawQuery, canonicalURI: "/", canonicalQuery: canonicalQuery)
        _ = try verifier.verify(request, now: now)
    }

    @Test("header values are trimmed and inner runs of spaces collapse to one")
    func headerWhitespace() throws {
        let request = SigV4TestSigner.headerSignedRequest(
            rawPath: "/", canonicalURI: "/",
            extraSignedHeaders: [
                ("x-amz-meta-note", "a b c", "  a   b \t c  "),
                ("content-type", "text/plain", "text/plain"),
            ])
        _ = try verifier.verify(request, now: now)
    }

    @Test("a repeated header is canonicalised as its values joined with ',' in order received")
    func repeatedHeader() throws {
        let payload = "UNSIGNED-PAYLOAD"
        let canonical =
            "GET\n/\n\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:\(payload)\n"
            + "x-amz-date:20130524T000000Z\nx-amz-meta-tag:one,two\n\n"
            + "host;x-amz-content-sha256;x-amz-date;x-amz-meta-tag\n\(payload)"
        let signature = SigV4TestSigner.signature(canonicalRequest: canonical)
        let request = SignableRequest(
            method: "GET", rawPath: "/", rawQuery: "",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"),
                ("X-Amz-Meta-Tag", "one"),
                ("x-amz-content-sha256", payload),
                ("X-AMZ-DATE", "20130524T000000Z"),
                ("x-amz-meta-tag", " two "),
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20130524/us-east-1/s3/aws4_request,"
                        + "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-meta-tag,Signature=\(signature)"
                ),
            ])
        _ = try verifier.verify(request, now: now)
    }

    @Test("the Date header is used, in ISO 8601 basic form, when x-amz-date is absent")
    func dateHeaderFallback() throws {
        let payload = "UNSIGNED-PAYLOAD"
        let canonical =
            "GET\n/\n\ndate:Fri, 24 May 2013 00:00:00 GMT\nhost:examplebucket.s3.amazonaws.com\n"
            + "x-amz-content-sha256:\(payload)\n\ndate;host;x-amz-content-sha256\n\(payload)"
        let signature = SigV4TestSigner.signature(canonicalRequest: canonical)
        let request = SignableRequest(
            method: "GET", rawPath: "/", rawQuery: "",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"),
                ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("x-amz-content-sha256", payload),
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20130524/us-east-1/s3/aws4_request,"
                        + "SignedHeaders=date;host;x-amz-content-sha256,Signature=\(signature)"
                ),
            ])
        _ = try verifier.verify(request, now: now)
    }

    @Test(
        "the Authorization value tolerates spaces or none after the commas",
        arguments: [", ", ",", " ,  ", ",\t"])
    func authorizationSpacing(separator: String) throws {
        var request = SigV4TestSigner.headerSignedRequest(rawPath: "/", canonicalURI: "/")
        let index = try #require(request.headers.firstIndex { $0.name == "Authorization" })
        request.headers[index].value = request.headers[index].value.replacingAll(", ", with: separator)
        _ = try verifier.verify(request, now: now)
    }
}
