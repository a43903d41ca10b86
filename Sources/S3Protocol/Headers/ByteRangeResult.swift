/// What a GET/HEAD should send given its `Range` header: the whole object (200),
/// one inclusive byte range of it (206), or 416 InvalidRange.
package enum ByteRangeResult: Sendable, Equatable {
    case full
    /// Offsets are inclusive, within `0..<size`, and never empty.
    case range(ClosedRange<Int64>)
    case unsatisfiable
}
