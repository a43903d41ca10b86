/// S3 key order: keys compare as their UTF-8 bytes.
package enum KeyOrder {
    /// The smallest byte string greater than every string that starts with `prefix`, or nil
    /// when there is none (the prefix is empty or all 0xFF). Lets a listing skip a whole prefix
    /// with one seek.
    package static func upperBound(ofPrefix prefix: [UInt8]) -> [UInt8]? {
        var bound = prefix
        while let last = bound.last {
            if last < 0xFF {
                bound[bound.count - 1] = last + 1
                return bound
            }
            bound.removeLast()
        }
        return nil
    }
}
