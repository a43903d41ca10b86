import Cluster
import NIOCore
import StowageCore
import Testing

/// The binary form of internode calls and replies: every field survives the trip, and malformed
/// bytes are an error, never a crash or a half-filled call.
@Suite("Internode wire format")
struct DriveRPCWireTests {
    static let record = ObjectRecord(
        bucket: "b", key: "dir/ключ", versionID: "0123456789abcdef0123456789abcdef", size: 3, etag: "e",
        lastModified: 42, systemMetadata: ["content-type": "text/plain"], userMetadata: ["a": "1"],
        checksums: ["CRC32C": "AAAAAA=="], checksumType: "FULL_OBJECT", inlineData: [1, 2, 3], versionStamp: 7 << 16)

    static let upload = UploadRecord(
        uploadID: "u", bucket: "b", key: "k", initiated: 5, systemMetadata: ["content-type": "a/b"],
        userMetadata: ["m": "v"], checksumAlgorithm: "CRC32", checksumType: "COMPOSITE", storageClass: "STANDARD")

    @Test("a call with every field set decodes to the same call")
    func callRoundTrip() throws {
        var call = DriveRPC.Call()
        call.bucketRecord = BucketRecord(name: "b", created: 1, region: "us-east-1")
        call.object = Self.record
        call.uploadRecord = Self.upload
        call.part = PartRecord(
            uploadID: "u", number: 2, size: 10, etag: "p", lastModified: 6, shardID: .random(), checksums: ["SHA1": "x"])
        call.bucket = "b"
        call.key = "k/é"
        call.versionID = "null"
        call.prefix = "dir/"
        call.after = [0, 255, 7]
        call.inclusive = true
        call.cursor = DriveRPC.Cursor(VersionCursor(key: [1, 2], position: .afterVersion(stamp: 9, versionID: "v")))
        call.limit = 1000
        call.uploadID = "u"
        call.afterKey = "ak"
        call.afterUploadID = "au"
        call.shard = .random()
        call.blockSize = 1 << 20
        call.offset = 1 << 40
        call.length = 262_144
        call.fence = -3
        call.group = [7, 0, 300]
        let bytes = try call.encoded()
        let back = try DriveRPC.Call(decoding: bytes[...])
        #expect(back.bucketRecord == call.bucketRecord)
        #expect(back.object == call.object)
        #expect(back.uploadRecord == call.uploadRecord)
        #expect(back.part == call.part)
        #expect([back.bucket, back.key, back.versionID, back.prefix] == [call.bucket, call.key, call.versionID, call.prefix])
        #expect(back.after == call.after && back.inclusive == true && back.cursor?.value == call.cursor?.value)
        #expect([back.limit, back.blockSize, back.length] == [call.limit, call.blockSize, call.length])
        #expect([back.uploadID, back.afterKey, back.afterUploadID] == [call.uploadID, call.afterKey, call.afterUploadID])
        #expect(back.shard == call.shard && back.offset == call.offset && back.fence == call.fence)
        #expect(back.group == [7, 0, 300])
        #expect(try back.encoded() == bytes)
    }

    @Test("a reply with every field set decodes to the same reply")
    func replyRoundTrip() throws {
        var reply = DriveRPC.Reply()
        reply.bucket = BucketRecord(name: "b", created: 1, region: "us-east-1")
        reply.buckets = [reply.bucket!, BucketRecord(name: "c", created: 2, region: "eu-west-1")]
        reply.object = Self.record
        var other = Self.record
        other.inlineData = nil
        other.key = "other"
        reply.objects = [Self.record, other]
        reply.upload = Self.upload
        reply.uploads = [reply.upload!]
        reply.parts = [
            PartRecord(uploadID: "u", number: 1, size: 1, etag: "p", lastModified: 1, shardID: .random(), checksums: [:])
        ]
        reply.bytes = 12345
        reply.outcomes = [.ok(Self.record), .ok(nil), .driveError(DriveError(.fenced, "token 3 < 5")), .refused("not here")]
        let back = try DriveRPC.Reply(decoding: try reply.encoded()[...])
        #expect(back.outcomes == reply.outcomes)
        #expect(back.bucket == reply.bucket && back.buckets == reply.buckets)
        #expect(back.object == reply.object && back.objects == reply.objects)
        #expect(back.upload == reply.upload && back.uploads == reply.uploads && back.parts == reply.parts)
        #expect(back.bytes == 12345)
        #expect(try DriveRPC.Reply(decoding: []).objects == nil, "an empty reply has no fields")
    }

    @Test("unknown fields and messages cut inside a field are errors")
    func malformed() throws {
        var call = DriveRPC.Call()
        call.object = Self.record
        call.key = "k"
        let bytes = try call.encoded()
        // The key field (tag, length, one byte) comes last; a cut right before it leaves a valid
        // call without it (the frame's length, not the message, says where a message ends).
        let keyField = bytes.count - 3
        for cut in 1..<bytes.count where cut != keyField {
            #expect(throws: DriveError.self) { _ = try DriveRPC.Call(decoding: bytes[..<cut]) }
        }
        #expect(try DriveRPC.Call(decoding: bytes[..<keyField]).key == nil)
        #expect(throws: DriveError.self) { _ = try DriveRPC.Call(decoding: [200, 0]) }
        #expect(throws: DriveError.self) { _ = try DriveRPC.Reply(decoding: [200]) }
    }
}
