internal import FoundationEssentials
internal import NIOCore
internal import NIOFoundationCompat
package import StowageCore

/// `DriveRPC.Call` and `Reply` on the wire: a sequence of tagged fields, each a tag byte and
/// its value. Object records, on every GET and listing, travel in the drives' own binary format
/// (`ObjectRecordFormat`); the rare records of bucket, upload and part calls as JSON. A tag
/// this version does not know makes the message undecodable (nodes of one cluster run one
/// version of the protocol, named in the connection preface).
extension DriveRPC.Call {
    private enum Tag: UInt8 {
        case bucketRecord = 1, object, uploadRecord, part, bucket, key, versionID, prefix, after, inclusive, cursor
        case limit, uploadID, afterKey, afterUploadID, shard, blockSize, offset, length, fence, group
    }

    package func encoded() throws -> [UInt8] {
        var w = BinaryRecordWriter(capacity: 64 + (object?.inlineData?.count ?? 0))
        if let bucketRecord { w.tagged(Tag.bucketRecord.rawValue, try DriveRPC.json(bucketRecord)) }
        if let object { w.tagged(Tag.object.rawValue, ObjectRecordFormat.encode(object)) }
        if let uploadRecord { w.tagged(Tag.uploadRecord.rawValue, try DriveRPC.json(uploadRecord)) }
        if let part { w.tagged(Tag.part.rawValue, try DriveRPC.json(part)) }
        for (tag, text) in [
            (Tag.bucket, bucket), (.key, key), (.versionID, versionID), (.prefix, prefix), (.uploadID, uploadID),
            (.afterKey, afterKey), (.afterUploadID, afterUploadID), (.shard, shard?.value),
        ] {
            if let text {
                w.byte(tag.rawValue)
                w.string(text)
            }
        }
        if let after { w.tagged(Tag.after.rawValue, after) }
        if let inclusive {
            w.byte(Tag.inclusive.rawValue)
            w.byte(inclusive ? 1 : 0)
        }
        if let cursor { w.tagged(Tag.cursor.rawValue, try DriveRPC.json(cursor)) }
        for (tag, number) in [(Tag.limit, limit), (.blockSize, blockSize), (.length, length)] {
            if let number {
                w.byte(tag.rawValue)
                w.varint(max(0, number))
            }
        }
        for (tag, number) in [(Tag.offset, offset), (.fence, fence)] {
            if let number {
                w.byte(tag.rawValue)
                w.int64(number)
            }
        }
        if let group {
            w.byte(Tag.group.rawValue)
            w.varint(group.count)
            for slot in group { w.varint(max(0, slot)) }
        }
        return w.bytes
    }

    package init(decoding bytes: ArraySlice<UInt8>) throws {
        self.init()
        var r = BinaryRecordReader(bytes)
        while !r.isAtEnd {
            guard let tag = Tag(rawValue: try r.byte()) else { throw DriveRPC.malformed("an unknown field in a call") }
            switch tag {
            case .bucketRecord: bucketRecord = try DriveRPC.decodeJSON(BucketRecord.self, try r.blob())
            case .object: object = try ObjectRecordFormat.decode(try r.blob(), version: ObjectRecordFormat.currentVersion)
            case .uploadRecord: uploadRecord = try DriveRPC.decodeJSON(UploadRecord.self, try r.blob())
            case .part: part = try DriveRPC.decodeJSON(PartRecord.self, try r.blob())
            case .bucket: bucket = try r.string()
            case .key: key = try r.string()
            case .versionID: versionID = try r.string()
            case .prefix: prefix = try r.string()
            case .after: after = Array(try r.blob())
            case .inclusive: inclusive = try r.byte() == 1
            case .cursor: cursor = try DriveRPC.decodeJSON(DriveRPC.Cursor.self, try r.blob())
            case .limit: limit = try r.varint()
            case .uploadID: uploadID = try r.string()
            case .afterKey: afterKey = try r.string()
            case .afterUploadID: afterUploadID = try r.string()
            case .shard:
                guard let id = ShardID(try r.string()) else { throw DriveRPC.malformed("a bad shard id") }
                shard = id
            case .blockSize: blockSize = try r.varint()
            case .offset: offset = try r.int64()
            case .length: length = try r.varint()
            case .fence: fence = try r.int64()
            case .group:
                let count = try r.varint()
                guard count <= bytes.count else { throw DriveRPC.malformed("a bad slot count") }
                group = try (0..<count).map { _ in try r.varint() }
            }
        }
    }
}

extension DriveRPC.Reply {
    private enum Tag: UInt8 {
        case bucket = 1, buckets, object, objects, upload, uploads, parts, bytes, outcomes
    }

    package func encoded() throws -> [UInt8] {
        var w = BinaryRecordWriter(capacity: 64 + (object?.inlineData?.count ?? 0))
        if let bucket { w.tagged(Tag.bucket.rawValue, try DriveRPC.json(bucket)) }
        if let buckets { w.tagged(Tag.buckets.rawValue, try DriveRPC.json(buckets)) }
        if let object { w.tagged(Tag.object.rawValue, ObjectRecordFormat.encode(object)) }
        if let objects {
            w.byte(Tag.objects.rawValue)
            w.varint(objects.count)
            for record in objects { w.blob(ObjectRecordFormat.encode(record)) }
        }
        if let upload { w.tagged(Tag.upload.rawValue, try DriveRPC.json(upload)) }
        if let uploads { w.tagged(Tag.uploads.rawValue, try DriveRPC.json(uploads)) }
        if let parts { w.tagged(Tag.parts.rawValue, try DriveRPC.json(parts)) }
        if let bytes {
            w.byte(Tag.bytes.rawValue)
            w.int64(bytes)
        }
        if let outcomes {
            w.byte(Tag.outcomes.rawValue)
            w.varint(outcomes.count)
            for outcome in outcomes {
                switch outcome {
                case .ok(let record):
                    w.byte(0)
                    w.blob(record.map { ObjectRecordFormat.encode($0) } ?? [])
                case .driveError(let error):
                    w.byte(1)
                    w.string(error.code.rawValue)
                    w.string(error.detail)
                case .refused(let why):
                    w.byte(2)
                    w.string(why)
                }
            }
        }
        return w.bytes
    }

    package init(decoding bytes: ArraySlice<UInt8>) throws {
        self.init()
        var r = BinaryRecordReader(bytes)
        while !r.isAtEnd {
            guard let tag = Tag(rawValue: try r.byte()) else { throw DriveRPC.malformed("an unknown field in a reply") }
            switch tag {
            case .bucket: bucket = try DriveRPC.decodeJSON(BucketRecord.self, try r.blob())
            case .buckets: buckets = try DriveRPC.decodeJSON([BucketRecord].self, try r.blob())
            case .object: object = try ObjectRecordFormat.decode(try r.blob(), version: ObjectRecordFormat.currentVersion)
            case .objects:
                let count = try r.varint()
                guard count <= bytes.count else { throw DriveRPC.malformed("a bad record count") }
                var records: [ObjectRecord] = []
                records.reserveCapacity(count)
                for _ in 0..<count {
                    records.append(try ObjectRecordFormat.decode(try r.blob(), version: ObjectRecordFormat.currentVersion))
                }
                objects = records
            case .upload: upload = try DriveRPC.decodeJSON(UploadRecord.self, try r.blob())
            case .uploads: uploads = try DriveRPC.decodeJSON([UploadRecord].self, try r.blob())
            case .parts: parts = try DriveRPC.decodeJSON([PartRecord].self, try r.blob())
            case .bytes: self.bytes = try r.int64()
            case .outcomes:
                let count = try r.varint()
                guard count <= bytes.count else { throw DriveRPC.malformed("a bad outcome count") }
                outcomes = try (0..<count).map { _ in try Self.outcome(&r) }
            }
        }
    }
}

extension DriveRPC.Reply {
    private static func outcome(_ r: inout BinaryRecordReader) throws -> DriveRPC.Outcome {
        switch try r.byte() {
        case 0:
            let record = try r.blob()
            return .ok(record.isEmpty ? nil : try ObjectRecordFormat.decode(record, version: ObjectRecordFormat.currentVersion))
        case 1:
            let code = try r.string()
            return .driveError(DriveError(DriveError.Code(rawValue: code) ?? .io, try r.string()))
        case 2: return .refused(try r.string())
        default: throw DriveRPC.malformed("an unknown outcome")
        }
    }
}

extension DriveRPC {
    /// JSON with sorted keys, so one value always encodes to the same bytes.
    static func json<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array(try encoder.encodeAsByteBuffer(value, allocator: .init()).readableBytesView)
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, _ bytes: ArraySlice<UInt8>) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: ByteBuffer(bytes: bytes))
        } catch {
            throw malformed("an undecodable \(T.self): \(error)")
        }
    }

    static func malformed(_ what: String) -> DriveError { DriveError(.io, "internode message: \(what)") }
}

extension BinaryRecordWriter {
    /// A tag byte, then `bytes` as a length-prefixed blob.
    fileprivate mutating func tagged(_ tag: UInt8, _ bytes: [UInt8]) {
        byte(tag)
        blob(bytes)
    }
}
