/// The admin API could not be asked: the node is unreachable or the response was cut short.
struct AdminClientError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
