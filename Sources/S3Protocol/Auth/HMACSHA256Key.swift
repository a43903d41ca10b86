internal import Crypto

/// An HMAC-SHA256 key with its padded key blocks already hashed, so that authenticating a
/// message costs one SHA-256 pass over the message and one over the inner digest.
///
/// Made once per signing key (the cache keeps it) and then shared: `SHA256` is a
/// copy-on-write value, so each call hashes its own copy of the prepared states.
struct HMACSHA256Key: @unchecked Sendable {
    private let inner: SHA256
    private let outer: SHA256

    init(_ key: [UInt8]) {
        // RFC 2104: a key longer than a block is hashed first, and shorter keys are zero-padded.
        let blockKey = key.count > 64 ? Array(SHA256.hash(data: key)) : key
        var innerPad = [UInt8](repeating: 0x36, count: 64)
        var outerPad = [UInt8](repeating: 0x5C, count: 64)
        for (index, byte) in blockKey.enumerated() {
            innerPad[index] ^= byte
            outerPad[index] ^= byte
        }
        var inner = SHA256()
        innerPad.withUnsafeBytes { inner.update(bufferPointer: $0) }
        var outer = SHA256()
        outerPad.withUnsafeBytes { outer.update(bufferPointer: $0) }
        self.inner = inner
        self.outer = outer
    }

    /// Appends the lowercase hex HMAC-SHA256 of `message` to `out`.
    func appendHexAuthenticationCode(_ message: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        var inner = self.inner
        inner.update(bufferPointer: message)
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        outer.finalize().withUnsafeBytes { SigV4Crypto.appendHex($0, to: &out) }
    }
}
