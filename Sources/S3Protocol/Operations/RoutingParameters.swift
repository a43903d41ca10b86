/// The query parameters whose presence the router dispatches on, as a set of bits.
///
/// Parsing the query records which of them appear, so that routing tests a bit instead of
/// hashing each name into the parameter dictionary (24 unsupported subresources alone). A
/// member is present exactly when the decoded dictionary has its name as a key: none of these
/// names contains `K`, `;` or `` ` ``, the only ASCII characters with a non-ASCII canonical
/// equivalent (U+212A, U+037E, U+1FEF), so byte equality is `String` equality for them.
struct RoutingParameters: OptionSet {
    let rawValue: UInt64

    /// Subresources of S3 actions Stowage does not implement; any of them in the query is
    /// answered with 501 NotImplemented whatever the method. When several appear, the first
    /// in this order is the one reported.
    static let unsupportedNames: [String] = [
        "policy", "policyStatus", "cors", "lifecycle", "tagging", "website", "logging", "notification",
        "replication", "encryption", "object-lock", "retention", "legal-hold", "torrent", "restore", "select",
        "accelerate", "requestPayment", "analytics", "metrics", "inventory", "intelligent-tiering",
    ]

    /// Bit `i` stands for `names[i]`; the unsupported subresources take the low bits, in order.
    private static let names: [String] =
        unsupportedNames + [
            "location", "versioning", "versions", "uploads", "list-type", "delete", "uploadId", "partNumber", "attributes",
            "acl", "ownershipControls", "publicAccessBlock",
        ]
    private static let nameBytes: [[UInt8]] = names.map { Array($0.utf8) }

    static let unsupported = RoutingParameters(rawValue: 1 << UInt64(unsupportedNames.count) - 1)
    static let location = member("location")
    static let versioning = member("versioning")
    static let versions = member("versions")
    static let uploads = member("uploads")
    static let listType = member("list-type")
    static let delete = member("delete")
    static let uploadId = member("uploadId")
    static let partNumber = member("partNumber")
    static let attributes = member("attributes")
    static let acl = member("acl")
    static let ownershipControls = member("ownershipControls")
    static let publicAccessBlock = member("publicAccessBlock")

    private static func member(_ name: String) -> RoutingParameters {
        guard let bit = names.firstIndex(of: name) else { preconditionFailure("\(name) is not a routing parameter") }
        return RoutingParameters(rawValue: 1 << UInt64(bit))
    }

    /// The member a decoded parameter name stands for; empty for every other name.
    static func named(_ name: UnsafeBufferPointer<UInt8>) -> RoutingParameters {
        // Every routing name is 3...19 bytes and begins with a lowercase letter, which turns
        // away `X-Amz-*` and most other parameters without a comparison.
        guard name.count >= 3, name.count <= 19, name[0] &- UInt8(ascii: "a") < 26 else { return [] }
        for (bit, candidate) in nameBytes.enumerated()
        where candidate.count == name.count && candidate[0] == name[0] && candidate.elementsEqual(name) {
            return RoutingParameters(rawValue: 1 << UInt64(bit))
        }
        return []
    }

    /// The member `name` stands for; see `named(_: UnsafeBufferPointer<UInt8>)`.
    static func named(_ name: String) -> RoutingParameters {
        var name = name
        return name.withUTF8 { named($0) }
    }

    /// The first unsupported subresource in `unsupportedNames` order, nil when there is none.
    var firstUnsupportedName: String? {
        let bits = rawValue & Self.unsupported.rawValue
        return bits == 0 ? nil : Self.names[bits.trailingZeroBitCount]
    }
}
