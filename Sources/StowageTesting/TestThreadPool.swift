package import NIOPosix

/// One started IO thread pool shared by the tests of a process (drives need one).
package enum TestThreadPool {
    package static let shared: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()
}
