import ErasureCode
import NIOCore
import Testing

/// Reed-Solomon over ISA-L: every K+M the server can choose round-trips under every kind of loss.
///
/// What is NOT tested, because it is not a property of the code: integrity. A shard that is
/// present but corrupted is used as is and yields wrong rebuilt shards without any error (the
/// last test shows it is not silently fixed). Callers verify each shard block's CRC32C first
/// and pass a failing shard as missing.
@Suite("Reed-Solomon")
struct ReedSolomonTests {
    /// Every (K, M) the server can pick: set sizes n = 1…16, parity 0…n/2, K = n − M.
    static let serverConfigurations: [(k: Int, m: Int)] = (1...16).flatMap { n in (0...(n / 2)).map { (n - $0, $0) } }

    @Test("Round trip for every server configuration under every single loss and M-loss patterns")
    func everyServerConfigurationRoundTrips() throws {
        var random = SplitMix64(seed: 0x5EED)
        for (k, m) in Self.serverConfigurations {
            let code = try ReedSolomon(dataShards: k, parityShards: m)
            let shards = Self.encodedShards(code, length: 1000 + k, using: &random)
            let n = k + m
            var patterns: [[Int]] = (0..<n).map { [$0] }
            if m > 0 {
                patterns.append(Array(0..<m))
                patterns.append(Array((n - m)..<n))
                patterns.append(Array((0..<n).shuffled(using: &random).prefix(m)))
            }
            for lost in patterns {
                if lost.count > m {
                    #expect(throws: ReedSolomonError.tooFewShards) { try Self.rebuild(code, shards, losing: lost) }
                } else {
                    try Self.rebuild(code, shards, losing: lost)
                }
            }
        }
    }

    @Test("Parity bytes are pinned: shards written by earlier versions decode the same way")
    func knownParity() throws {
        // 4 data shards of 8 bytes, 1...32; parity computed once and written down. A change to the
        // matrix or the tables would make every parity shard already on disk unusable.
        let code = try ReedSolomon(dataShards: 4, parityShards: 2)
        let data = (0..<4).map { i in ByteBuffer(bytes: (0..<8).map { UInt8(i * 8 + $0 + 1) }) }
        let parity = code.encode(data).map { Array($0.readableBytesView) }
        #expect(parity == [[84, 52, 20, 244, 212, 180, 148, 122], [73, 41, 9, 233, 201, 169, 137, 120]])
    }

    @Test("Any M losses rebuild, exhaustively, for every server configuration of up to 10 shards")
    func everyLossPatternOfSmallConfigurations() throws {
        var random = SplitMix64(seed: 7)
        for (k, m) in Self.serverConfigurations where k + m <= 10 && m > 0 {
            let code = try ReedSolomon(dataShards: k, parityShards: m)
            let shards = Self.encodedShards(code, length: 67, using: &random)
            for lost in Self.combinations(of: m, from: k + m) { try Self.rebuild(code, shards, losing: lost) }
        }
    }

    @Test("Odd shard lengths round-trip", arguments: [1, 4097])
    func oddShardLengths(length: Int) throws {
        var random = SplitMix64(seed: UInt64(length))
        for (k, m) in [(1, 0), (1, 1), (3, 2), (8, 4), (12, 4), (8, 8)] {
            let code = try ReedSolomon(dataShards: k, parityShards: m)
            let shards = Self.encodedShards(code, length: length, using: &random)
            #expect(shards.allSatisfy { $0.readableBytes == length })
            if m > 0 {
                try Self.rebuild(code, shards, losing: Array(0..<m))
                try Self.rebuild(code, shards, losing: Array(k..<(k + m)))
            }
        }
    }

    @Test("Fewer than K shards present throws tooFewShards", arguments: [(1, 1), (2, 2), (4, 2), (8, 4), (12, 4)])
    func tooFewShards(k: Int, m: Int) throws {
        var random = SplitMix64(seed: 99)
        let code = try ReedSolomon(dataShards: k, parityShards: m)
        let shards = Self.encodedShards(code, length: 100, using: &random)
        var damaged: [ByteBuffer?] = shards
        for index in (0..<(k + m)).shuffled(using: &random).prefix(m + 1) { damaged[index] = nil }
        let wanted = (0..<(k + m)).filter { damaged[$0] == nil }
        #expect(throws: ReedSolomonError.tooFewShards) { try code.reconstruct(damaged, wanted: wanted) }
    }

    @Test("With no parity, encode gives nothing and a lost data shard cannot be rebuilt")
    func noParity() throws {
        let code = try ReedSolomon(dataShards: 3, parityShards: 0)
        let data = (0..<3).map { ByteBuffer(bytes: [UInt8](repeating: UInt8($0), count: 10)) }
        #expect(code.encode(data).isEmpty)
        #expect(throws: ReedSolomonError.tooFewShards) { try code.reconstruct([data[0], nil, data[2]], wanted: [1]) }
        #expect(try code.reconstruct([data[0], nil, data[2]], wanted: [2]) == [2: data[2]])
    }

    @Test("Shard counts outside K ≥ 1, M ≥ 0, K + M ≤ 256 are refused", arguments: [(0, 1), (1, -1), (200, 57), (-1, 0)])
    func invalidCounts(k: Int, m: Int) {
        #expect(throws: ReedSolomonError.invalidShardCounts) { try ReedSolomon(dataShards: k, parityShards: m) }
    }

    @Test("The widest codes (K + M = 256) round-trip")
    func widestCodes() throws {
        var random = SplitMix64(seed: 256)
        for (k, m) in [(255, 1), (128, 128)] {
            let code = try ReedSolomon(dataShards: k, parityShards: m)
            let shards = Self.encodedShards(code, length: 33, using: &random)
            try Self.rebuild(code, shards, losing: Array((0..<256).shuffled(using: &random).prefix(m)))
        }
    }

    @Test("Bad reconstruct input is refused")
    func badReconstructInput() throws {
        let code = try ReedSolomon(dataShards: 2, parityShards: 1)
        let a = ByteBuffer(bytes: [1, 2, 3]), b = ByteBuffer(bytes: [4, 5])
        #expect(throws: ReedSolomonError.wrongShardCount) { try code.reconstruct([a, nil], wanted: [1]) }
        #expect(throws: ReedSolomonError.unequalShardLengths) { try code.reconstruct([a, b, nil], wanted: [2]) }
        #expect(throws: ReedSolomonError.shardIndexOutOfRange) { try code.reconstruct([a, a, nil], wanted: [3]) }
        #expect(try code.reconstruct([a, a, nil], wanted: []).isEmpty)
    }

    @Test("A corrupted but present shard is not fixed: integrity is the caller's job (block checksums)")
    func corruptionIsNotCorrected() throws {
        var random = SplitMix64(seed: 11)
        let code = try ReedSolomon(dataShards: 4, parityShards: 2)
        let shards = Self.encodedShards(code, length: 64, using: &random)
        var damaged: [ByteBuffer?] = shards
        damaged[0] = nil
        var corrupt = shards[1]
        corrupt.setInteger(corrupt.getInteger(at: 5, as: UInt8.self)! ^ 0xFF, at: 5)
        damaged[1] = corrupt
        let rebuilt = try code.reconstruct(damaged, wanted: [0, 1])
        #expect(rebuilt[1] == corrupt, "a present shard comes back as given")
        #expect(rebuilt[0] != shards[0], "the rebuilt shard inherits the corruption, with no error")
    }

    // MARK: - Helpers

    /// K random data shards of `length` bytes followed by their M parity shards.
    static func encodedShards(_ code: ReedSolomon, length: Int, using random: inout SplitMix64) -> [ByteBuffer] {
        let data = (0..<code.dataShards).map { _ in
            ByteBuffer(bytes: (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
        let parity = code.encode(data)
        #expect(parity.count == code.parityShards)
        return data + parity
    }

    /// Drops the shards `lost`, rebuilds them and checks every byte.
    static func rebuild(_ code: ReedSolomon, _ shards: [ByteBuffer], losing lost: [Int]) throws {
        var damaged: [ByteBuffer?] = shards
        for index in lost { damaged[index] = nil }
        let rebuilt = try code.reconstruct(damaged, wanted: lost)
        #expect(Set(rebuilt.keys) == Set(lost), "\(code.dataShards)+\(code.parityShards) losing \(lost)")
        for index in lost {
            #expect(rebuilt[index] == shards[index], "\(code.dataShards)+\(code.parityShards) losing \(lost): shard \(index)")
        }
    }

    /// Every `count`-element subset of 0..<n, ascending.
    static func combinations(of count: Int, from n: Int) -> [[Int]] {
        guard count > 0 else { return [[]] }
        guard count <= n else { return [] }
        return combinations(of: count - 1, from: n - 1).map { $0 + [n - 1] } + combinations(of: count, from: n - 1)
    }
}

/// A seeded generator, so that a failure replays.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49EB_1312_2EB9
        return z ^ (z >> 31)
    }
}
