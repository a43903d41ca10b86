import Crypto
import Foundation
import NIOCore
import NIOPosix
import ObjectLayer
import Storage
import StowageCore
import StowageTesting
import Testing

/// A body delivered in pieces, as a network would.
struct Pieces: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let data: [UInt8]
    let piece: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let data: [UInt8]
        let piece: Int
        var offset = 0
        mutating func next() async throws -> ByteBuffer? {
            guard offset < data.count else { return nil }
            let n = Swift.min(piece, data.count - offset)
            defer { offset += n }
            return ByteBuffer(bytes: data[offset..<(offset + n)])
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(data: data, piece: piece) }
}

@Suite("ObjectStore")
struct ObjectStoreTests {
    static let pool = TestThreadPool.shared

    func withStore(_ body: (ObjectStore, TemporaryDirectory) async throws -> Void) async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let (store, _) = try await TestStores.store(roots: [dir.path], pool: Self.pool, blockSize: 4096, inlineThreshold: 1000)
        try await store.createBucket("b", region: "us-east-1")
        try await body(store, dir)
    }

    func bytes(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) } }

    func read(_ store: ObjectStore, _ key: String, range: ClosedRange<Int64>? = nil) async throws -> [UInt8] {
        let record = try await store.headObject(bucket: "b", key: key)
        var out: [UInt8] = []
        for try await buffer in store.objectBytes(record, range: range) { out += buffer.readableBytesView }
        return out
    }

    func md5Hex(_ data: [UInt8]) -> String { Insecure.MD5.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    @Test("Small and large objects read back byte for byte, whole and by range", arguments: [0, 1, 999, 1000, 1001, 4096, 50_000])
    func putThenGetRoundTrips(size: Int) async throws {
        try await withStore { store, _ in
            let data = bytes(size)
            let record = try await store.putObject(
                bucket: "b", key: "k", body: Pieces(data: data, piece: 333), size: Int64(size), options: ObjectWriteOptions())
            #expect(record.etag == md5Hex(data))
            #expect(record.size == Int64(size))
            #expect((record.inlineData != nil) == (size <= 1000))
            #expect(try await read(store, "k") == data)
            if size > 10 {
                #expect(try await read(store, "k", range: 3...9) == Array(data[3...9]))
                let tail = Int64(size - 1)
                #expect(try await read(store, "k", range: (tail - 5)...tail) == Array(data[(size - 6)...]))
            }
        }
    }

    @Test("A body shorter than its declared size is refused and leaves nothing behind")
    func shortBodyIsIncompleteAndInvisible() async throws {
        try await withStore { store, dir in
            await #expect(throws: ObjectLayerError.self) {
                _ = try await store.putObject(
                    bucket: "b", key: "k", body: Pieces(data: bytes(5000), piece: 100), size: 6000, options: ObjectWriteOptions())
            }
            await #expect(throws: ObjectLayerError.self) { _ = try await store.headObject(bucket: "b", key: "k") }
            #expect(dir.files(in: "tmp").isEmpty)
            #expect(dir.files(in: "shards").isEmpty)
        }
    }

    @Test("A Content-MD5 mismatch is BadDigest and the previous version stays")
    func badDigestKeepsPreviousVersion() async throws {
        try await withStore { store, _ in
            let old = bytes(3000)
            _ = try await store.putObject(bucket: "b", key: "k", body: Pieces(data: old, piece: 500), size: 3000, options: ObjectWriteOptions())
            var options = ObjectWriteOptions()
            options.expectedMD5 = [UInt8](repeating: 0, count: 16)
            do {
                _ = try await store.putObject(bucket: "b", key: "k", body: Pieces(data: bytes(4000), piece: 500), size: 4000, options: options)
                Issue.record("expected BadDigest")
            } catch let error as ObjectLayerError {
                #expect(error.code == .badDigest)
            }
            #expect(try await read(store, "k") == old)
        }
    }

    @Test("Listing rolls keys under a delimiter into common prefixes and pages without repeats")
    func listingWithDelimiterPagesCleanly() async throws {
        try await withStore { store, _ in
            let keys = ["a", "b/1", "b/2", "b/3", "c", "d/x/1", "d/y", "e"]
            for key in keys {
                _ = try await store.putObject(bucket: "b", key: key, body: Pieces(data: [1], piece: 1), size: 1, options: ObjectWriteOptions())
            }
            let all = try await store.listObjects(bucket: "b", prefix: "", delimiter: "/", after: nil, maxKeys: 1000)
            #expect(all.objects.map(\.key) == ["a", "c", "e"])
            #expect(all.commonPrefixes == ["b/", "d/"])
            #expect(!all.isTruncated)
            var seen: [String] = []
            var marker: String?
            repeat {
                let page = try await store.listObjects(bucket: "b", prefix: "", delimiter: "/", after: marker, maxKeys: 2)
                seen += page.objects.map(\.key) + page.commonPrefixes
                marker = page.isTruncated ? page.lastEntry : nil
            } while marker != nil
            #expect(seen.sorted() == ["a", "b/", "c", "d/", "e"])
            let underD = try await store.listObjects(bucket: "b", prefix: "d/", delimiter: "/", after: nil, maxKeys: 1000)
            #expect(underD.objects.map(\.key) == ["d/y"])
            #expect(underD.commonPrefixes == ["d/x/"])
        }
    }

    @Test("Completing a multipart upload yields the md5-of-md5s ETag and the parts' bytes in order")
    func multipartCompletes() async throws {
        try await withStore { store, _ in
            let upload = try await store.createMultipartUpload(bucket: "b", key: "big", options: ObjectWriteOptions(), checksumAlgorithm: nil)
            let one = bytes(5 << 20)
            let two = Array(bytes(1234).reversed())
            let p1 = try await store.uploadPart(bucket: "b", key: "big", uploadID: upload.uploadID, partNumber: 1,
                body: Pieces(data: one, piece: 65536), size: Int64(one.count), options: ObjectWriteOptions())
            let p2 = try await store.uploadPart(bucket: "b", key: "big", uploadID: upload.uploadID, partNumber: 2,
                body: Pieces(data: two, piece: 1000), size: Int64(two.count), options: ObjectWriteOptions())
            await #expect(throws: ObjectLayerError.self) {
                _ = try await store.completeMultipartUpload(bucket: "b", key: "big", uploadID: upload.uploadID,
                    parts: [CompletedPart(number: 2, etag: p2.etag), CompletedPart(number: 1, etag: p1.etag)]) { _, _ in [:] }
            }
            await #expect(throws: ObjectLayerError.self) {
                _ = try await store.completeMultipartUpload(bucket: "b", key: "big", uploadID: upload.uploadID,
                    parts: [CompletedPart(number: 1, etag: "0000")]) { _, _ in [:] }
            }
            let record = try await store.completeMultipartUpload(bucket: "b", key: "big", uploadID: upload.uploadID,
                parts: [CompletedPart(number: 1, etag: p1.etag), CompletedPart(number: 2, etag: p2.etag)]) { _, _ in [:] }
            let md5s = Array(Insecure.MD5.hash(data: one)) + Array(Insecure.MD5.hash(data: two))
            #expect(record.etag == md5Hex(md5s) + "-2")
            #expect(try await read(store, "big") == one + two)
            #expect(try await read(store, "big", range: Int64(one.count - 2)...Int64(one.count + 1)) == Array((one + two)[(one.count - 2)...(one.count + 1)]))
            await #expect(throws: ObjectLayerError.self) {
                _ = try await store.listParts(bucket: "b", key: "big", uploadID: upload.uploadID, after: 0, maxParts: 10)
            }
        }
    }

    @Test("A part smaller than 5 MiB that is not the last is EntityTooSmall")
    func smallNonFinalPartIsRejected() async throws {
        try await withStore { store, _ in
            let upload = try await store.createMultipartUpload(bucket: "b", key: "k", options: ObjectWriteOptions(), checksumAlgorithm: nil)
            let p1 = try await store.uploadPart(bucket: "b", key: "k", uploadID: upload.uploadID, partNumber: 1,
                body: Pieces(data: bytes(100), piece: 100), size: 100, options: ObjectWriteOptions())
            let p2 = try await store.uploadPart(bucket: "b", key: "k", uploadID: upload.uploadID, partNumber: 2,
                body: Pieces(data: bytes(100), piece: 100), size: 100, options: ObjectWriteOptions())
            do {
                _ = try await store.completeMultipartUpload(bucket: "b", key: "k", uploadID: upload.uploadID,
                    parts: [CompletedPart(number: 1, etag: p1.etag), CompletedPart(number: 2, etag: p2.etag)]) { _, _ in [:] }
                Issue.record("expected EntityTooSmall")
            } catch let error as ObjectLayerError {
                #expect(error.code == .entityTooSmall)
            }
        }
    }
}
