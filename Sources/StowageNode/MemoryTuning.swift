#if canImport(Glibc)
internal import CMalloc
internal import Glibc
#endif

/// Process-wide allocator settings for streaming 1 MiB blocks.
package enum MemoryTuning {
    /// glibc serves allocations above its mmap threshold with fresh `mmap`s and returns them on
    /// free, so every 1 MiB block buffer of a GET or PUT cost page faults and page zeroing
    /// (~20% of CPU in a 256 MiB GET profile). Serving them from the heap, and trimming the heap
    /// only past 64 MiB of free space, lets freed block buffers be reused.
    ///
    /// glibc also gives threads that meet a locked arena a new one, up to 8 per core, and each
    /// arena keeps its own freed buffers: a node's ~40 threads (event loops, drive threads, the
    /// task pool) left a 1 GiB GET on a busy machine 130 MiB larger than before it. One arena per
    /// core keeps what the node holds near the blocks in flight (decision 0004).
    package static func keepLargeBuffersInHeap() {
        #if canImport(Glibc)
        if let value = getenv("STOWAGE_MALLOC_TUNING"), String(cString: value) == "0" { return }
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 64 << 20)
        _ = mallopt(M_ARENA_MAX, Int32(max(2, sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
        #endif
    }
}
