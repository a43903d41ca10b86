internal import Crypto
import NIOCore

/// A swift-crypto hash function in progress, made `Sendable`.
///
/// swift-crypto's hash states do not declare `Sendable`, but they are copy-on-write values
/// (the BoringSSL context is copied when not uniquely referenced before each update), so a
/// copy sent to another task is independent of the original. That is what makes the
/// `@unchecked` sound.
struct IncrementalDigest<H: HashFunction>: @unchecked Sendable {
    private var function = H()

    init() {}

    mutating func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { function.update(bufferPointer: $0) }
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { function.update(bufferPointer: $0) }
    }

    /// The digest of everything fed so far; the state itself is left untouched.
    func finalize() -> [UInt8] {
        Array(function.finalize())
    }
}
