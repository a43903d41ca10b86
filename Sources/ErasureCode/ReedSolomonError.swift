/// Why a `ReedSolomon` code could not be built or could not rebuild shards.
///
/// Errors compare and hash by `code` alone; `detail` is for people, so tests and callers can
/// match with `ReedSolomonError.tooFewShards` and the like.
package struct ReedSolomonError: Error, Sendable, Hashable, CustomStringConvertible {
    package enum Code: String, Sendable, Hashable {
        /// K < 1, M < 0 or K + M > 256.
        case invalidShardCounts
        /// `reconstruct` was given an array whose length is not K + M.
        case wrongShardCount
        /// The present shards are not all the same length.
        case unequalShardLengths
        /// A wanted index is outside 0..<K+M.
        case shardIndexOutOfRange
        /// Fewer than K shards are present, so the missing ones cannot be rebuilt.
        case tooFewShards
    }

    package let code: Code
    package let detail: String

    package init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    package static let invalidShardCounts = ReedSolomonError(.invalidShardCounts, "invalid shard counts")
    package static let wrongShardCount = ReedSolomonError(.wrongShardCount, "wrong number of shards")
    package static let unequalShardLengths = ReedSolomonError(.unequalShardLengths, "shards of unequal length")
    package static let shardIndexOutOfRange = ReedSolomonError(.shardIndexOutOfRange, "shard index out of range")
    package static let tooFewShards = ReedSolomonError(.tooFewShards, "too few shards")

    package var description: String { "Reed-Solomon \(code.rawValue): \(detail)" }

    package static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    package func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
