/// The version of this build, as nodes report it to each other and to `stowage admin info`.
package enum StowageVersion {
    package static let current = "0.2.0-dev"
}
