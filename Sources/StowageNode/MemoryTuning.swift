#if canImport(Glibc)
internal import CMalloc
internal import Glibc
#endif

/// Process-wide allocator settings for streaming 1 MiB blocks.
package enum MemoryTuning {
    /// glibc serves allocations above its mmap threshold with fresh `mmap`s and returns them on
    /// free, so every 1 MiB block buffer of a GET or PUT cost page faults and page zeroing
    /// (~20% of CPU in a 256 MiB GET profile). Serving them from the heap, and trimming the heap
    /// only past 64 MiB of free space, lets freed block buffers be reused. Memory stays bounded
    /// by the blocks in flight.
    package static func keepLargeBuffersInHeap() {
        #if canImport(Glibc)
        if let value = getenv("STOWAGE_MALLOC_TUNING"), String(cString: value) == "0" { return }
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 64 << 20)
        #endif
    }
}
