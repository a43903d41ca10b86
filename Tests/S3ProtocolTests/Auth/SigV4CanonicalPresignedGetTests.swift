import S3Protocol
import Testing

/// The GET fast path's presigned check (`SigV4CanonicalPresignedGet` + `SigV4Verifier.verifies`)
/// against the general verifier: it must accept the URLs presigners write, and never accept a
/// request that `SigV4Verifier.verify` refuses, whatever was changed in it.
@Suite("SigV4 canonical presigned GET (the fast path's check)")
struct SigV4CanonicalPresignedGetTests {
    let verifier = SigV4TestSigner.verifier
    let signedAt = SigV4TestSigner.exampleTime
    static let host = "127.0.0.1:9000"

    /// A presigned GET as `SigV4Signer` (and so botocore) writes it, optionally with `x-id`.
    static func presigned(path: String, xID: Bool = false, expires: Int64 = 3600) throws -> SignableRequest {
        var signer = SigV4Signer(
            accessKey: SigV4TestSigner.accessKey, secretKey: SigV4TestSigner.secretKey, region: SigV4TestSigner.region)
        let request = SignableRequest(
            method: "GET", rawPath: path, rawQuery: xID ? "x-id=GetObject" : "", headers: [("Host", host)])
        let query = try signer.presign(request, expiresSeconds: expires, now: SigV4TestSigner.exampleTime)
        return SignableRequest(method: "GET", rawPath: path, rawQuery: query, headers: [("Host", host)])
    }

    /// The fast check's answer: nil when the query is not in the canonical form it handles.
    func fastAnswer(_ request: SignableRequest, host: String = host, now: Int64) -> Bool? {
        var query = request.rawQuery
        var path = request.rawPath
        var host = host
        return query.withUTF8 { query in
            guard let presigned = SigV4CanonicalPresignedGet(rawQuery: query) else { return nil }
            return path.withUTF8 { path in
                host.withUTF8 { host in
                    verifier.verifies(presigned, rawQuery: query, rawPath: path, host: host, now: now)
                }
            }
        }
    }

    func generalAccepts(_ request: SignableRequest, host: String = host, now: Int64) -> Bool {
        var request = request
        request.headers = [("Host", host)]
        return (try? verifier.verify(request, now: now)) != nil
    }

    static let paths = ["/bucket/key", "/bucket/a/b/c.txt", "/bucket/caf%C3%A9%20menu", "/b/k~-._", "/b/%2A%28%29"]

    @Test("presigned GETs as SDKs write them take the fast check, and it accepts them", arguments: paths)
    func acceptsPresignerOutput(path: String) throws {
        for xID in [false, true] {
            let request = try Self.presigned(path: path, xID: xID)
            #expect(generalAccepts(request, now: signedAt))
            #expect(fastAnswer(request, now: signedAt) == true)
            #expect(fastAnswer(request, now: signedAt + 3600) == true)
        }
    }

    @Test("the fast check refuses what the general verifier refuses: time, key, host, path, signature")
    func refusesInvalid() throws {
        let request = try Self.presigned(path: "/bucket/key")
        #expect(fastAnswer(request, now: signedAt + 3601) == false)
        #expect(fastAnswer(request, now: signedAt - 901) == false)
        #expect(fastAnswer(request, host: "127.0.0.1:9001", now: signedAt) == false)
        var other = request
        other.rawPath = "/bucket/kez"
        #expect(fastAnswer(other, now: signedAt) == false)
        other = request
        other.rawQuery = request.rawQuery.replacingAll("AKIDEXAMPLE", with: "NOSUCHKEYX1")
        #expect(fastAnswer(other, now: signedAt) == false)
        let signature = String(request.rawQuery.suffix(64))
        other.rawQuery = String(request.rawQuery.dropLast(64)) + signature.uppercased()
        // An uppercase signature is valid for the general verifier, and for the fast check too.
        #expect(generalAccepts(other, now: signedAt))
        #expect(fastAnswer(other, now: signedAt) == true)
    }

    @Test("queries outside the canonical form are left to the general verifier")
    func nonCanonicalFormsAreNotRecognised() throws {
        let request = try Self.presigned(path: "/bucket/key")
        let variants = [
            request.rawQuery + "&",  // an empty piece
            request.rawQuery + "&versionId=null",  // another parameter
            request.rawQuery + "&X-Amz-Date=20130524T000000Z",  // a repeated one
            request.rawQuery.replacingAll("%2F", with: "%2f"),  // a lowercase escape
            request.rawQuery.replacingAll("%2F", with: "/"),  // an unescaped slash
            request.rawQuery.replacingAll("X-Amz-Expires=3600", with: "X-Amz-Expires=%33600"),  // an escaped digit
        ]
        for query in variants {
            var variant = request
            variant.rawQuery = query
            #expect(fastAnswer(variant, now: signedAt) == nil, "\(query)")
        }
        // Parameters in another order are still the canonical query.
        var reordered = request
        reordered.rawQuery = request.rawQuery.split(separator: "&").reversed().joined(separator: "&")
        #expect(fastAnswer(reordered, now: signedAt) == true)
        #expect(generalAccepts(reordered, now: signedAt))
    }

    /// Every single-byte change (replacement by one of a set of telling bytes, or deletion) of the
    /// query, the path and the host: whenever the fast check accepts, the general verifier must too.
    @Test("after any one-byte change, the fast check accepts only what the general verifier accepts")
    func neverAcceptsMoreThanTheGeneralVerifier() throws {
        let replacements: [UInt8?] = [nil] + Array("%&=/+aAfF02Z-_.~ \t?#".utf8).map { $0 }
        var fastAccepted = 0
        for path in ["/bucket/key", "/bucket/caf%C3%A9"] {
            for xID in [false, true] {
                let request = try Self.presigned(path: path, xID: xID)
                for now in [signedAt, signedAt + 3600, signedAt + 3601, signedAt - 900, signedAt - 901] {
                    func check(_ mutated: SignableRequest, host: String) {
                        guard fastAnswer(mutated, host: host, now: now) == true else { return }
                        fastAccepted += 1
                        #expect(
                            generalAccepts(mutated, host: host, now: now),
                            "fast accepted: \(mutated.rawPath)?\(mutated.rawQuery) host \(host) at \(now)")
                    }
                    for (_, replacement) in Self.mutations(of: request.rawQuery, with: replacements) {
                        var mutated = request
                        mutated.rawQuery = replacement
                        check(mutated, host: Self.host)
                    }
                    for (_, replacement) in Self.mutations(of: path, with: replacements) {
                        var mutated = request
                        mutated.rawPath = replacement
                        check(mutated, host: Self.host)
                    }
                    for (_, replacement) in Self.mutations(of: Self.host, with: replacements) {
                        check(request, host: replacement)
                    }
                    check(request, host: Self.host)
                    // The unchanged request is accepted exactly at the times it is valid.
                    #expect(fastAnswer(request, now: now) == (now >= signedAt - 900 && now <= signedAt + 3600))
                }
            }
        }
        // The unchanged requests, at the times they are valid, were accepted.
        #expect(fastAccepted >= 12)
    }

    /// Each byte position of `text` replaced by each of `replacements` (nil deletes it); only the
    /// results that are still valid UTF-8 and differ from `text`.
    static func mutations(of text: String, with replacements: [UInt8?]) -> [(Int, String)] {
        let bytes = Array(text.utf8)
        var out: [(Int, String)] = []
        for index in bytes.indices {
            for replacement in replacements where replacement != bytes[index] {
                var mutated = bytes
                if let replacement { mutated[index] = replacement } else { mutated.remove(at: index) }
                if let string = String(validating: mutated, as: UTF8.self) { out.append((index, string)) }
            }
        }
        return out
    }
}
