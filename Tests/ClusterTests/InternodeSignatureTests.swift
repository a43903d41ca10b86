import Cluster
import Testing

/// Internode requests: signed with a key derived from the root credentials, fresh, used once.
@Suite("Internode signature")
struct InternodeSignatureTests {
    let signer = InternodeSignature(rootUser: "root", rootPassword: "secret")
    let now: Int64 = 1_800_000_000

    func verify(
        _ headers: [(name: String, value: String)], with verifier: InternodeSignature? = nil, path: String = "/p",
        now: Int64? = nil
    ) throws(InternodeSignature.Refusal) {
        func value(_ name: String) -> String? { headers.first { $0.name == name }?.value }
        try (verifier ?? signer).verify(
            method: "POST", path: path, query: "q=1", date: value(InternodeSignature.dateHeader),
            nonce: value(InternodeSignature.nonceHeader), signature: value(InternodeSignature.signatureHeader),
            now: now ?? self.now)
    }

    @Test("a fresh request verifies once; the same bytes again are a replay")
    func replay() throws {
        let headers = signer.headers(method: "POST", path: "/p", query: "q=1", now: now)
        try verify(headers)
        #expect(throws: InternodeSignature.Refusal.replayed) { try verify(headers) }
        // Another request of the same second is fresh.
        try verify(signer.headers(method: "POST", path: "/p", query: "q=1", now: now))
    }

    @Test("another path, another key, an old date or no headers are refused")
    func refusals() {
        let headers = signer.headers(method: "POST", path: "/p", query: "q=1", now: now)
        #expect(throws: InternodeSignature.Refusal.badSignature) { try verify(headers, path: "/other") }
        let stranger = InternodeSignature(rootUser: "root", rootPassword: "other")
        #expect(throws: InternodeSignature.Refusal.badSignature) { try verify(headers, with: stranger) }
        let old = signer.headers(method: "POST", path: "/p", query: "q=1", now: now - 61)
        #expect(throws: InternodeSignature.Refusal.expired) { try verify(old) }
        #expect(throws: InternodeSignature.Refusal.missing) { try verify([]) }
    }

    @Test("nonces of seconds outside the window are forgotten, and the window still refuses them by date")
    func windowPruning() throws {
        for second in 0..<200 {
            try verify(signer.headers(method: "POST", path: "/p", query: "q=1", now: now + Int64(second)), now: now + Int64(second))
        }
        let stale = signer.headers(method: "POST", path: "/p", query: "q=1", now: now)
        #expect(throws: InternodeSignature.Refusal.expired) { try verify(stale, now: now + 199) }
    }
}
