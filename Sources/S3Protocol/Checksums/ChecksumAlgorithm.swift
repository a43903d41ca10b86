/// The additional checksum algorithms of S3 (`x-amz-checksum-*`, `x-amz-sdk-checksum-algorithm`).
///
/// The raw value is the name AWS uses in headers and XML (`CRC32`, `CRC64NVME`, …).
package enum ChecksumAlgorithm: String, CaseIterable, Sendable {
    case crc32 = "CRC32"
    case crc32c = "CRC32C"
    case crc64nvme = "CRC64NVME"
    case sha1 = "SHA1"
    case sha256 = "SHA256"

    /// The header carrying a checksum of this kind, e.g. `x-amz-checksum-crc32`.
    package var headerName: String { "x-amz-checksum-" + rawValue.lowercased() }

    /// The algorithm whose `headerName` is `headerName`, ignoring case.
    package init?(headerName: String) {
        guard let algorithm = Self.allCases.first(where: { $0.headerName == headerName.lowercased() }) else {
            return nil
        }
        self = algorithm
    }

    /// The algorithm named `name` (`x-amz-checksum-algorithm` and `x-amz-sdk-checksum-algorithm`
    /// values), ignoring case.
    package init?(algorithmName name: String) {
        guard let algorithm = Self(rawValue: name.uppercased()) else { return nil }
        self = algorithm
    }

    /// The length of a raw digest: 4 for the CRC-32s, 8 for CRC-64, 20 for SHA-1, 32 for SHA-256.
    package var digestByteCount: Int {
        switch self {
        case .crc32, .crc32c: 4
        case .crc64nvme: 8
        case .sha1: 20
        case .sha256: 32
        }
    }
}
