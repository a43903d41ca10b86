package import StowageCore

/// The answer of one drive slot to a fanned-out call.
enum DriveAnswer<T: Sendable>: Sendable {
    case offline
    case success(T)
    case failure(any Error)

    var value: T? {
        if case .success(let value) = self { return value }
        return nil
    }

    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}

/// K + M drives that store every object of the keys hashed to them: each object version's
/// record on every drive, its data as K data and M parity shards, one per drive.
///
/// Quorum rules (see docs/architecture.md): a write must be acknowledged by `writeQuorum`
/// drives of its layout (K, or K + 1 when K = M) or it is rolled back and fails; a read needs
/// answers from `readQuorum` (K) drives and takes the version most drives agree on.
package struct ErasureSet: Sendable {
    package let index: Int
    package let slots: [DriveSlot]
    /// Parity shards of STANDARD objects.
    package let parity: Int
    /// Parity shards of REDUCED_REDUNDANCY objects.
    package let reducedParity: Int
    /// Object bytes per erasure block.
    package let blockSize: Int
    /// Where writes that some drive of the set missed are queued for repair (set by `ObjectStore`).
    var missedWrites: HealState?

    package init(index: Int, slots: [DriveSlot], parity: Int, reducedParity: Int, blockSize: Int = 1 << 20) {
        precondition(!slots.isEmpty && parity >= 0 && parity <= slots.count / 2, "parity must be at most half the set")
        precondition(reducedParity <= parity, "reduced redundancy cannot have more parity than standard")
        self.index = index
        self.slots = slots
        self.parity = parity
        self.reducedParity = reducedParity
        self.blockSize = blockSize
    }

    package var size: Int { slots.count }

    /// The layout of a new object: parity by storage class, shards rotated by the key's hash so
    /// that parity (and the read load) spreads over all drives.
    package func layout(storageClass: String, bucket: String, key: String) -> ErasureInfo {
        let m = storageClass == "REDUCED_REDUNDANCY" ? reducedParity : parity
        let n = slots.count
        let start = Int(Placement.hash(bucket: bucket, key: key) % UInt64(n))
        let distribution = (0..<n).map { ($0 + n - start) % n }
        return ErasureInfo(dataShards: n - m, parityShards: m, blockSize: blockSize, distribution: distribution)
    }

    /// The layout metadata-only operations (buckets, uploads, deletes) are held to.
    var defaultLayout: ErasureInfo {
        ErasureInfo(dataShards: size - parity, parityShards: parity, blockSize: blockSize, distribution: Array(0..<size))
    }

    var metadataWriteQuorum: Int { defaultLayout.writeQuorum }
    var metadataReadQuorum: Int { defaultLayout.readQuorum }

    /// Runs `body` on every online drive at once; one answer per position.
    func fanOut<T: Sendable>(_ body: @escaping @Sendable (any Drive) async throws -> T) async -> [DriveAnswer<T>] {
        if slots.count == 1 {
            guard let drive = slots[0].drive else { return [.offline] }
            do { return [.success(try await body(drive))] } catch { return [.failure(error)] }
        }
        return await withTaskGroup(of: (Int, DriveAnswer<T>).self) { group in
            for (position, slot) in slots.enumerated() {
                guard let drive = slot.drive else { continue }
                group.addTask {
                    do { return (position, .success(try await body(drive))) } catch { return (position, .failure(error)) }
                }
            }
            var answers = [DriveAnswer<T>](repeating: .offline, count: slots.count)
            for await (position, answer) in group { answers[position] = answer }
            return answers
        }
    }

    /// `change` on every online drive at once, as `fanOut` runs a call, except that drives
    /// sharing a channel (`GroupedDrive`: a peer node's drives) take it in one message.
    func fanOut(_ change: GroupedChange) async -> [DriveAnswer<ObjectRecord?>] {
        var groups: [String: [(position: Int, drive: any GroupedDrive)]] = [:]
        var singles: [(position: Int, drive: any Drive)] = []
        for (position, slot) in slots.enumerated() {
            guard let drive = slot.drive else { continue }
            if let grouped = drive as? any GroupedDrive {
                groups[grouped.channel, default: []].append((position, grouped))
            } else {
                singles.append((position, drive))
            }
        }
        for (channel, members) in groups where members.count == 1 {
            singles.append((members[0].position, members[0].drive))
            groups[channel] = nil
        }
        if groups.isEmpty { return await fanOut { try await change.apply(to: $0) } }
        return await withTaskGroup(of: [(Int, DriveAnswer<ObjectRecord?>)].self) { tasks in
            for (position, drive) in singles {
                tasks.addTask {
                    do { return [(position, .success(try await change.apply(to: drive)))] } catch { return [(position, .failure(error))] }
                }
            }
            for members in groups.values {
                tasks.addTask {
                    let results = await members[0].drive.apply(change, on: members.map(\.drive))
                    return zip(members, results).map { member, result in
                        switch result {
                        case .success(let record): (member.position, .success(record))
                        case .failure(let error): (member.position, .failure(error))
                        }
                    }
                }
            }
            var answers = [DriveAnswer<ObjectRecord?>](repeating: .offline, count: slots.count)
            for await batch in tasks {
                for (position, answer) in batch { answers[position] = answer }
            }
            return answers
        }
    }

    /// Every online drive's free space: its answer of at most `maxAge` ago (less what writes
    /// claimed since), or a new answer; one per position.
    func availableSpace(maxAge: Duration) async -> [DriveAnswer<Int64>] {
        var answers = [DriveAnswer<Int64>](repeating: .offline, count: slots.count)
        var stale: [Int] = []
        for (position, slot) in slots.enumerated() {
            if let bytes = slot.recentSpace(maxAge: maxAge) { answers[position] = .success(bytes) } else { stale.append(position) }
        }
        guard !stale.isEmpty else { return answers }
        return await withTaskGroup(of: (Int, DriveAnswer<Int64>).self) { group in
            for position in stale {
                let slot = slots[position]
                group.addTask {
                    do {
                        guard let bytes = try await slot.measureSpace() else { return (position, .offline) }
                        return (position, .success(bytes))
                    } catch {
                        return (position, .failure(error))
                    }
                }
            }
            for await (position, answer) in group { answers[position] = answer }
            return answers
        }
    }

    /// The successful answers, by position, when at least `quorum` drives succeeded. Otherwise
    /// throws the error most failing drives agree on when it has S3 meaning (no such bucket,
    /// upload, …; a full drive), or a quorum error.
    func requireQuorum<T>(_ answers: [DriveAnswer<T>], _ quorum: Int, _ operation: String) throws -> [(position: Int, value: T)] {
        var successes: [(position: Int, value: T)] = []
        var meaningful: [DriveError.Code: Int] = [:]
        var firstOf: [DriveError.Code: DriveError] = [:]
        var offline = 0
        var failed = 0
        for (position, answer) in explained(answers).enumerated() {
            switch answer {
            case .success(let value): successes.append((position, value))
            case .offline: offline += 1
            case .failure(let error):
                failed += 1
                if let error = error as? DriveError, Self.isMeaningful(error.code) {
                    meaningful[error.code, default: 0] += 1
                    if firstOf[error.code] == nil { firstOf[error.code] = error }
                }
            }
        }
        if successes.count >= quorum { return successes }
        if let (code, _) = meaningful.max(by: { $0.value < $1.value }), let error = firstOf[code] { throw error }
        throw ObjectLayerError(
            .insufficientDrives,
            "\(operation): \(successes.count) of \(slots.count) drives answered, \(quorum) needed (\(offline) offline, \(failed) failed)")
    }

    /// `answers` with the drives taken offline for want of space answering as full drives do
    /// (`DriveSlot.offlineError`), so that a write refused for them is a 507, not a 503.
    func explained<T>(_ answers: [DriveAnswer<T>]) -> [DriveAnswer<T>] {
        answers.enumerated().map { position, answer in
            guard case .offline = answer, let error = slots[position].offlineError else { return answer }
            return .failure(error)
        }
    }

    static func isMeaningful(_ code: DriveError.Code) -> Bool {
        switch code {
        case .bucketExists, .bucketNotFound, .bucketNotEmpty, .uploadNotFound, .full, .fenced: return true
        case .corrupt, .notFound, .io, .resourcesExhausted: return false
        }
    }

    /// Queues `bucket/key` for repair when fewer than all drives took a change to it, so a drive
    /// that was away (a node down) gets it once it is back.
    func noteMissed<T>(_ successes: [(position: Int, value: T)], bucket: String, key: String) {
        if successes.count < slots.count { missedWrites?.enqueueMissed(bucket: bucket, key: key) }
    }

    /// The online drives and their positions.
    var onlineDrives: [(position: Int, drive: any Drive)] {
        slots.enumerated().compactMap { position, slot in slot.drive.map { (position, $0) } }
    }
}

/// Where keys go: a stable hash of bucket and key (FNV-1a, 64 bit, then the 64-bit finalizer of
/// MurmurHash3 so that every output bit depends on every input byte — plain FNV-1a's high bits
/// ignore the last bytes of a key), the same on every start and every node. Changing it moves keys.
package enum Placement {
    package static func hash(bucket: String, key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bucket.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        hash ^= 0x2F
        hash = hash &* 0x100_0000_01b3
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash = hash &* 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return hash
    }
}
