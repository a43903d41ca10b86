extension String {
    /// `PercentEncoding.decode` of UTF-8 bytes cut from a valid `String` at ASCII boundaries:
    /// nil for a malformed escape or decoded bytes that are not UTF-8. `scratch` is working
    /// space that one parse reuses for every piece it decodes.
    init?(percentDecoding piece: UnsafeBufferPointer<UInt8>, plusAsSpace: Bool, scratch: inout [UInt8]) {
        let needsDecoding = piece.contains { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }
        guard needsDecoding else {
            // Cut at ASCII bytes from valid UTF-8, so valid as it stands.
            self.init(decoding: piece, as: UTF8.self)
            return
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.reserveCapacity(piece.count)
        guard PercentEncoding.appendDecoded(piece, plusAsSpace: plusAsSpace, to: &scratch) else { return nil }
        let decoded: String? = scratch.withUnsafeBufferPointer { bytes in
            // Decoded ASCII (`%2F` and the like) is valid as it stands; `String(validating:)` is
            // unspecialised generic code, worth calling only for the rest.
            bytes.allSatisfy { $0 < 0x80 }
                ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
        }
        guard let decoded else { return nil }
        self = decoded
    }
}
