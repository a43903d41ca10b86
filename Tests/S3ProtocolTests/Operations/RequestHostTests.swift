import S3Protocol
import Testing

/// The one parser of the Host header, and the bucket a virtual host names (issue 11).
@Suite("Request host")
struct RequestHostTests {
    @Test(
        "valid hosts parse to a lowercased name without the trailing dot, and a port",
        arguments: [
            ("s3.example.com", "s3.example.com", nil),
            ("Bucket.S3.Example.COM:9000", "bucket.s3.example.com", 9000),
            ("secret.s3.local.", "secret.s3.local", nil),
            ("secret.s3.local.:80", "secret.s3.local", 80),
            ("127.0.0.1:65535", "127.0.0.1", 65535),
            ("[::1]:9000", "[::1]", 9000),
            ("[fe80::1]", "[fe80::1]", nil),
            ("my_host-1", "my_host-1", nil),
        ] as [(String, String, Int?)])
    func valid(value: String, name: String, port: Int?) throws {
        let host = try #require(RequestHost(value))
        #expect(host.name == name)
        #expect(host.port == port)
    }

    @Test(
        "anything that is not host[:port] is refused",
        arguments: [
            "", ":9000", "pub.s3.local:x:9000", "127.0.0.1:9000:1", "127.0.0.1:", "host:65536", "host:123456",
            "pub.s3.local :9000", " pub.s3.local", "a..b", ".s3.local", ".", "a/b", "a@b", "[::1", "[::1]x", "[]",
            "[g::1]", "h\u{e9}te.example", "a\r\nb",
        ])
    func invalid(value: String) {
        #expect(RequestHost(value) == nil)
    }

    let router = S3Router(virtualHostDomains: ["s3.local", "S3.Example.com."])

    @Test("the bucket a Host names: the same for every spelling of one host")
    func hostBucket() throws {
        for host in ["secret.s3.local", "secret.s3.local.", "SECRET.S3.LOCAL:9000", "secret.s3.local.:9000"] {
            #expect(try router.hostBucket(host) == "secret", "\(host)")
        }
        #expect(try router.hostBucket("my.bucket.s3.example.com") == "my.bucket")
        for host in ["s3.local", "s3.local.:9000", "127.0.0.1:9000", "[::1]:9000", "other.example"] {
            #expect(try router.hostBucket(host) == nil, "\(host)")
        }
        #expect(try router.hostBucket(nil) == nil)
    }

    @Test("an invalid Host is InvalidArgument naming the header, for routing and addressing alike")
    func invalidHostRefused() {
        let error = #expect(throws: S3Error.self) { try router.hostBucket("pub.s3.local:x:9000") }
        #expect(error?.code == .invalidArgument)
        #expect(error?.details.first { $0.0 == "ArgumentName" }?.1 == "Host")
        let routed = #expect(throws: S3Error.self) {
            try router.route(method: "GET", rawPath: "/a.txt", rawQuery: "", host: "pub.s3.local:x:9000", headers: [])
        }
        #expect(routed?.code == .invalidArgument)
        let objectAddress = "/pub/a.txt".utf8.withContiguousStorageIfAvailable {
            router.objectAddress(rawPath: $0, host: "pub.s3.local:x:9000")
        }
        #expect(objectAddress! == nil)
    }

    @Test("the fast path's object address reads the Host as routing does: path style, virtual host, none")
    func objectAddressAgreesWithRouting() throws {
        for (host, path) in [("127.0.0.1:9000", "/pub/a.txt"), ("s3.local", "/pub/a.txt"), ("pub.s3.local.", "/a.txt")] {
            let address = try #require(
                path.utf8.withContiguousStorageIfAvailable { router.objectAddress(rawPath: $0, host: host) })
            #expect(address?.bucket == "pub", "\(host)")
            #expect(address?.key == "a.txt", "\(host)")
            let routed = try router.route(method: "GET", rawPath: path, rawQuery: "", host: host, headers: [])
            #expect(routed.bucket == address?.bucket && routed.key == address?.key)
        }
        let noHost = "/pub/a.txt".utf8.withContiguousStorageIfAvailable { router.objectAddress(rawPath: $0, host: nil) }
        #expect(noHost??.bucket == "pub")
    }

    @Test("routing records the bucket the Host named, which SigV2 signs")
    func routeCarriesHostBucket() throws {
        let virtual = try router.route(method: "GET", rawPath: "/a.txt", rawQuery: "", host: "pub.s3.local.", headers: [])
        #expect(virtual.bucket == "pub")
        #expect(virtual.key == "a.txt")
        #expect(virtual.hostBucket == "pub")
        let path = try router.route(method: "GET", rawPath: "/pub/a.txt", rawQuery: "", host: "s3.local:80", headers: [])
        #expect(path.bucket == "pub")
        #expect(path.hostBucket == nil)
    }

    @Test("domains that are not host names are left out; valid ones are normalised")
    func domains() {
        #expect(S3Router.isValidDomain("s3.example.com"))
        #expect(S3Router.isValidDomain("s3.example.com."))
        #expect(!S3Router.isValidDomain("s3.example.com:9000"))
        #expect(!S3Router.isValidDomain("[::1]"))
        #expect(!S3Router.isValidDomain(""))
    }
}
