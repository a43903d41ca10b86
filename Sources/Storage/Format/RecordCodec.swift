internal import ErasureCode
internal import FoundationEssentials
internal import StowageCore

/// Encodes metadata records for the index: a format version byte, a CRC-32C of the body, then
/// the body (JSON of the record's current version).
///
/// Guarantees: a record whose checksum fails, or whose version is unknown, is never decoded
/// into a value; it throws `DriveError.corrupt`. Old versions keep their decoders here, with a
/// migration to the current type, when the format changes.
enum RecordCodec {
    static let currentVersion: UInt8 = 1

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = try encoder.encode(value)
        var out = [UInt8]()
        out.reserveCapacity(body.count + 5)
        out.append(currentVersion)
        var crc = CRC32C()
        body.withUnsafeBytes { crc.update($0) }
        withUnsafeBytes(of: crc.value.littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: body)
        return out
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        guard bytes.count >= 5 else { throw DriveError(.corrupt, "record too short") }
        guard bytes[0] == currentVersion else { throw DriveError(.corrupt, "unknown record version \(bytes[0])") }
        let stored = UInt32(bytes[1]) | UInt32(bytes[2]) << 8 | UInt32(bytes[3]) << 16 | UInt32(bytes[4]) << 24
        let body = bytes[5...]
        var crc = CRC32C()
        body.withUnsafeBytes { crc.update($0) }
        guard crc.value == stored else { throw DriveError(.corrupt, "record checksum mismatch") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            throw DriveError(.corrupt, "record undecodable: \(error)")
        }
    }
}
