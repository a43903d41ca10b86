/// The result of evaluating conditional request headers: serve the request, answer
/// 304 Not Modified, or answer 412 PreconditionFailed.
package enum ConditionalOutcome: Sendable, Equatable {
    case proceed
    case notModified
    case preconditionFailed
}
