/// The other nodes' small-object caches, as a writer sees them: a cluster node tells them of
/// every change to a key before its commit and after it, so none serves or caches the key
/// meanwhile and none keeps what it read before (see `InlineObjectCache`). A node that cannot
/// be told before the commit is waited out: `beginWrite` returns once that node can no longer
/// serve from its cache without first forgetting everything, which it cannot do before the
/// write ends.
///
/// None of these throws: an unreachable node costs a wait, never the write.
package protocol CachePeers: Sendable {
    /// Before a change of `key` of `bucket` is committed (under the key's lock).
    func beginWrite(bucket: String, key: String) async -> CacheWrite
    /// After that change is committed or abandoned (still under the lock).
    func endWrite(_ write: CacheWrite) async
    /// After a change of `bucket` that every cached entry may depend on (its versioning, its
    /// deletion): the other nodes forget their cached objects and their copy of its record.
    func clear(bucket: String) async
}

/// A write the other nodes were told of (`CachePeers.beginWrite`), until it ends.
package struct CacheWrite: Sendable {
    package var bucket: String
    package var key: String
    /// The writer's number for this write (see `InlineObjectCache.WriteTag`).
    package var id: Int64
    /// The nodes that were not told (unreachable, or not serving from their cache): they may
    /// not serve again before this write ends and they forget everything.
    package var untold: [String]

    package init(bucket: String, key: String, id: Int64, untold: [String]) {
        self.bucket = bucket
        self.key = key
        self.id = id
        self.untold = untold
    }
}
