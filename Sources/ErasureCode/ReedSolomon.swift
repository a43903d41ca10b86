internal import CISAL
package import NIOCore
internal import Synchronization

/// A systematic Reed-Solomon code over GF(2^8) with K data shards and M parity shards, computed
/// by ISA-L (`gf_gen_cauchy1_matrix`, `ec_init_tables`, `ec_encode_data`, `gf_invert_matrix`).
///
/// Guarantees:
/// - Systematic: shards 0..<K are the data itself; only the M parity shards are computed.
/// - MDS: the encode matrix is the identity over a Cauchy matrix, so every K×K submatrix is
///   invertible and any K of the K + M shards rebuild all the others, whichever they are.
/// - Deterministic: the same K and M always give the same parity bytes (the matrix depends only
///   on K and M), so shards written by one process are decoded by any other.
/// - No integrity: the code corrects erasures (shards known to be missing), not errors. A shard
///   that is present but corrupted is used as is and silently yields wrong rebuilt shards; the
///   caller must verify every shard block (its CRC32C) first and pass a failing one as missing.
///
/// A value is immutable and `Sendable`; one value can serve every thread. Decode tables are
/// cached per (shards used, shards rebuilt) pattern, shared by copies of the value.
package struct ReedSolomon: Sendable {
    /// The largest K + M that GF(2^8) allows.
    package static let maxTotalShards = 256

    package let dataShards: Int
    package let parityShards: Int
    package var totalShards: Int { dataShards + parityShards }

    /// (K + M) × K coefficients, row-major: the K × K identity, then M Cauchy rows.
    let encodeMatrix: [UInt8]
    /// `ec_init_tables` of the M parity rows: 32 · K · M bytes.
    let encodeTables: [UInt8]
    let decodeCache: DecodeTableCache

    /// Throws `ReedSolomonError.invalidShardCounts` unless K ≥ 1, M ≥ 0 and K + M ≤ 256.
    package init(dataShards: Int, parityShards: Int) throws {
        guard dataShards >= 1, parityShards >= 0, dataShards + parityShards <= Self.maxTotalShards else {
            throw ReedSolomonError(
                .invalidShardCounts,
                "\(dataShards)+\(parityShards): need at least 1 data shard, no negative parity, at most 256 shards")
        }
        let k = dataShards, m = parityShards
        var matrix = [UInt8](repeating: 0, count: (k + m) * k)
        matrix.withUnsafeMutableBufferPointer { gf_gen_cauchy1_matrix($0.baseAddress, Int32(k + m), Int32(k)) }
        var tables = [UInt8](repeating: 0, count: 32 * k * m)
        if m > 0 {
            matrix.withUnsafeMutableBufferPointer { a in
                tables.withUnsafeMutableBufferPointer { t in
                    ec_init_tables(Int32(k), Int32(m), a.baseAddress! + k * k, t.baseAddress)
                }
            }
        }
        self.dataShards = k
        self.parityShards = m
        self.encodeMatrix = matrix
        self.encodeTables = tables
        self.decodeCache = DecodeTableCache()
    }

    /// The one code for K + M in this process, made on first use: every writer and reader of
    /// that layout shares its tables and its cache of decode tables.
    package static func shared(dataShards: Int, parityShards: Int) throws -> ReedSolomon {
        let key = dataShards << 16 | parityShards
        if let code = codes.withLock({ $0[key] }) { return code }
        let code = try ReedSolomon(dataShards: dataShards, parityShards: parityShards)
        return codes.withLock { codes in
            if let existing = codes[key] { return existing }
            codes[key] = code
            return code
        }
    }

    private static let codes = Mutex<[Int: ReedSolomon]>([:])

    /// Encodes M parity shards from K data shards: K buffers of equal readable length in, M new
    /// buffers of that length out (one allocation each, nothing else). With M == 0, returns [].
    package func encode(_ data: [ByteBuffer]) -> [ByteBuffer] {
        precondition(data.count == dataShards, "encode needs \(dataShards) data shards, got \(data.count)")
        let length = data[0].readableBytes
        precondition(length <= Int(Int32.max), "shard length \(length) exceeds Int32.max")
        precondition(data.allSatisfy { $0.readableBytes == length }, "encode needs shards of one length")
        guard parityShards > 0 else { return [] }
        return withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<UInt8>?.self, capacity: totalShards) { pointers in
            ShardPointers.withReadableBytes(count: dataShards, of: { data[$0] }, into: pointers) {
                ShardPointers.makeBuffers(count: parityShards, length: length, into: pointers, at: dataShards) {
                    Self.apply(encodeTables, length: length, sources: dataShards, outputs: parityShards, pointers: pointers)
                }
            }
        }
    }

    /// Rebuilds the shards whose indices are in `wanted` (0..<K+M, data or parity) from `shards`,
    /// an array of K + M optional buffers of one readable length of which at least K are present.
    ///
    /// The first K present shards (by index) are the sources. A wanted shard that is present is
    /// returned as given; each missing one comes back in a new buffer. Present shards are trusted:
    /// verify their checksums first (see the type's guarantees).
    ///
    /// Throws `ReedSolomonError.tooFewShards` when fewer than K are present and a wanted shard is
    /// missing; `.wrongShardCount`, `.unequalShardLengths` or `.shardIndexOutOfRange` on bad input.
    package func reconstruct(_ shards: [ByteBuffer?], wanted: [Int]) throws -> [Int: ByteBuffer] {
        guard shards.count == totalShards else {
            throw ReedSolomonError(.wrongShardCount, "expected \(totalShards) shards, got \(shards.count)")
        }
        var length: Int?
        for case let shard? in shards {
            if let expected = length, shard.readableBytes != expected {
                throw ReedSolomonError(.unequalShardLengths, "shards of \(expected) and \(shard.readableBytes) bytes")
            }
            length = shard.readableBytes
        }
        var result: [Int: ByteBuffer] = [:]
        var missing = ShardSet()
        for index in wanted {
            guard index >= 0, index < totalShards else {
                throw ReedSolomonError(.shardIndexOutOfRange, "shard \(index) is not in 0..<\(totalShards)")
            }
            if let shard = shards[index] { result[index] = shard } else { missing.insert(index) }
        }
        if missing.isEmpty { return result }

        var sources = ShardSet()
        var sourceCount = 0
        for index in shards.indices where sourceCount < dataShards && shards[index] != nil {
            sources.insert(index)
            sourceCount += 1
        }
        guard sourceCount == dataShards, let length else {
            throw ReedSolomonError(
                .tooFewShards, "\(sourceCount) of \(totalShards) shards present, \(dataShards) needed")
        }
        precondition(length <= Int(Int32.max), "shard length \(length) exceeds Int32.max")
        let sourceList = sources.elements(below: totalShards)
        let missingList = missing.elements(below: totalShards)
        let tables = decodeCache.tables(for: DecodeTableCache.Key(sources: sources, missing: missing)) {
            decodeTables(sources: sourceList, missing: missingList)
        }
        let rebuilt = withUnsafeTemporaryAllocation(
            of: UnsafeMutablePointer<UInt8>?.self, capacity: dataShards + missingList.count
        ) { pointers in
            ShardPointers.withReadableBytes(count: dataShards, of: { shards[sourceList[$0]]! }, into: pointers) {
                ShardPointers.makeBuffers(count: missingList.count, length: length, into: pointers, at: dataShards) {
                    Self.apply(tables, length: length, sources: dataShards, outputs: missingList.count, pointers: pointers)
                }
            }
        }
        for (index, buffer) in zip(missingList, rebuilt) { result[index] = buffer }
        return result
    }

    /// `ec_encode_data` with `tables` over `pointers[0..<sources]` into `pointers[sources..<sources+outputs]`.
    private static func apply(
        _ tables: [UInt8], length: Int, sources: Int, outputs: Int,
        pointers: UnsafeMutableBufferPointer<UnsafeMutablePointer<UInt8>?>
    ) {
        guard length > 0, outputs > 0 else { return }
        tables.withUnsafeBufferPointer { t in
            ec_encode_data(
                Int32(length), Int32(sources), Int32(outputs), UnsafeMutablePointer(mutating: t.baseAddress),
                pointers.baseAddress, pointers.baseAddress! + sources)
        }
    }

    /// The decode tables that turn the shards `sources` (K of them, ascending) into the shards
    /// `missing` (ascending): invert the sources' K × K submatrix of the encode matrix; a missing
    /// data shard's row is that row of the inverse, a missing parity shard's row is its encode
    /// row times the inverse.
    private func decodeTables(sources: [Int], missing: [Int]) -> [UInt8] {
        let k = dataShards
        var submatrix = [UInt8](repeating: 0, count: k * k)
        for (row, shard) in sources.enumerated() {
            submatrix[row * k..<(row + 1) * k] = encodeMatrix[shard * k..<(shard + 1) * k]
        }
        var inverse = [UInt8](repeating: 0, count: k * k)
        let status = gf_invert_matrix(&submatrix, &inverse, Int32(k))
        precondition(status == 0, "a K×K submatrix of a Cauchy encode matrix must be invertible")
        var rows = [UInt8](repeating: 0, count: missing.count * k)
        for (row, shard) in missing.enumerated() {
            if shard < k {
                rows[row * k..<(row + 1) * k] = inverse[shard * k..<(shard + 1) * k]
                continue
            }
            for column in 0..<k {
                var sum: UInt8 = 0
                for i in 0..<k { sum ^= gf_mul(encodeMatrix[shard * k + i], inverse[i * k + column]) }
                rows[row * k + column] = sum
            }
        }
        var tables = [UInt8](repeating: 0, count: 32 * k * missing.count)
        ec_init_tables(Int32(k), Int32(missing.count), &rows, &tables)
        return tables
    }
}
