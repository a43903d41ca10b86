internal import ErasureCode
internal import FoundationEssentials
internal import StowageCore

/// Encodes metadata records for the index: a format version byte, a CRC-32C of the body, then
/// the body.
///
/// Versions: 1 = JSON of the record type (buckets, uploads, parts; object records written before
/// version 2 existed); 2 = the binary object record of `ObjectRecordFormat`; 3 = the same with
/// the erasure layout appended; 4 = with the version stamp and delete-marker flag appended; 5 =
/// with the multipart upload id appended.
///
/// Guarantees: a record whose checksum fails, or whose version is unknown, is never decoded
/// into a value; it throws `DriveError.corrupt`. Old versions keep their decoders here, so a
/// drive written by an older Stowage reads unchanged (records are rewritten in the current
/// version the next time they change).
enum RecordCodec {
    static let jsonVersion: UInt8 = 1
    static let binaryObjectVersionWithoutErasure: UInt8 = 2
    static let binaryObjectVersionWithoutVersioning: UInt8 = 3
    static let binaryObjectVersionWithoutUploadID: UInt8 = 4
    static let binaryObjectVersion: UInt8 = ObjectRecordFormat.currentVersion

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return frame(version: jsonVersion, body: Array(try encoder.encode(value)))
    }

    static func encode(_ record: ObjectRecord) throws -> [UInt8] {
        frame(version: binaryObjectVersion, body: ObjectRecordFormat.encode(record))
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let (version, body) = try unframe(bytes)
        guard version == jsonVersion else { throw DriveError(.corrupt, "unknown record version \(version)") }
        return try decodeJSON(type, body)
    }

    static func decode(_ type: ObjectRecord.Type, from bytes: [UInt8]) throws -> ObjectRecord {
        let (version, body) = try unframe(bytes)
        switch version {
        case binaryObjectVersionWithoutErasure, binaryObjectVersionWithoutVersioning, binaryObjectVersionWithoutUploadID,
            binaryObjectVersion:
            return try ObjectRecordFormat.decode(body, version: version)
        case jsonVersion: return try decodeJSON(type, body)
        default: throw DriveError(.corrupt, "unknown record version \(version)")
        }
    }

    private static func frame(version: UInt8, body: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(body.count + 5)
        out.append(version)
        var crc = CRC32C()
        body.withUnsafeBytes { crc.update($0) }
        withUnsafeBytes(of: crc.value.littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: body)
        return out
    }

    private static func unframe(_ bytes: [UInt8]) throws -> (UInt8, ArraySlice<UInt8>) {
        guard bytes.count >= 5 else { throw DriveError(.corrupt, "record too short") }
        let stored = UInt32(bytes[1]) | UInt32(bytes[2]) << 8 | UInt32(bytes[3]) << 16 | UInt32(bytes[4]) << 24
        let body = bytes[5...]
        var crc = CRC32C()
        body.withUnsafeBytes { crc.update($0) }
        guard crc.value == stored else { throw DriveError(.corrupt, "record checksum mismatch") }
        return (bytes[0], body)
    }

    private static func decodeJSON<T: Decodable>(_ type: T.Type, _ body: ArraySlice<UInt8>) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            throw DriveError(.corrupt, "record undecodable: \(error)")
        }
    }
}
