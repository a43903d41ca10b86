/// A failure that ends a bench run before it reports: bad options, an unreachable endpoint, or
/// a setup request (CreateBucket, writing the objects a profile reads) that the server refused.
///
/// Errors during the measured run are not thrown; they are counted in the report.
package struct BenchError: Error, CustomStringConvertible, Sendable {
    package var description: String

    package init(_ description: String) {
        self.description = description
    }
}
