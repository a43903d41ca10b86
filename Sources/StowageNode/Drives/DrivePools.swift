internal import NIOPosix
internal import Synchronization

/// One pool of threads per local drive, so that a drive whose disk hangs blocks only its own
/// threads. With one pool for every drive, a burst of calls to a hung drive (more than the pool
/// had threads, before its deadline took it offline) left the other drives' calls queued behind
/// blocked threads: they missed their deadlines too, healthy drives were taken offline, and writes
/// failed with "0 of 4 drives answered" (measured with 40 writers and one frozen drive of 4).
final class DrivePools: Sendable {
    let threadsPerDrive: Int
    private let pools = Mutex<[String: NIOThreadPool]>([:])

    /// `driveCount`: the drives the node may open; each gets a share of 16 threads, at least 4.
    init(driveCount: Int) {
        threadsPerDrive = max(4, 16 / max(1, driveCount))
    }

    /// The pool of the drive at `path`, started on first use and kept for the process's life (a
    /// drive reopened after going offline gets the same threads back).
    func pool(for path: String) -> NIOThreadPool {
        pools.withLock { pools in
            if let pool = pools[path] { return pool }
            let pool = NIOThreadPool(numberOfThreads: threadsPerDrive)
            pool.start()
            pools[path] = pool
            return pool
        }
    }
}
