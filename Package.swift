// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "stowage",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "stowage", targets: ["stowage"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // C libraries wrapped as system library targets.
        .systemLibrary(name: "CISAL", pkgConfig: "libisal", providers: [.apt(["libisal-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // glibc's malloc.h (mallopt), which the Glibc module does not export.
        .systemLibrary(name: "CMalloc"),

        // Pure computation over bytes: CRCs now, Reed-Solomon later.
        .target(
            name: "ErasureCode",
            dependencies: ["CISAL", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // Value types and the seam protocols; no IO.
        .target(
            name: "StowageCore",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // The S3 wire protocol: SigV4, aws-chunked, ranges, conditionals, XML, errors. No sockets, no files.
        .target(
            name: "S3Protocol",
            dependencies: [
                "StowageCore", "ErasureCode",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // LocalDrive: shard files and the metadata index on one local folder.
        .target(
            name: "Storage",
            dependencies: [
                "StowageCore", "ErasureCode", "CSQLite",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // S3 semantics over drives. Never imports Storage.
        .target(
            name: "ObjectLayer",
            dependencies: [
                "StowageCore", "ErasureCode",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP front: one handler per operation family, the one map from errors to S3 errors.
        .target(
            name: "S3Server",
            dependencies: [
                "S3Protocol", "ObjectLayer", "StowageCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Composition root: configuration, drives, object layer, server, lifecycle.
        .target(
            name: "StowageNode",
            dependencies: [
                "S3Server", "ObjectLayer", "Storage", "StowageCore", "CMalloc", "Cluster",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Internode: the drive RPC (server and `RemoteDrive` client) and its authentication.
        .target(
            name: "Cluster",
            dependencies: [
                "StowageCore", "ObjectLayer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // `stowage bench`: an S3 load generator (SigV4, keep-alive connections, HdrHistogram latencies).
        .target(
            name: "StowageBench",
            dependencies: [
                "S3Protocol", "StowageCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Linearizability checking of recorded histories (issue 13): the model of an S3 key and a
        // Wing & Gong / Lowe search. Pure computation.
        .target(name: "HistoryCheck", swiftSettings: swiftSettings),
        .target(
            name: "StowageCLI",
            dependencies: [
                "StowageNode", "StowageBench", "HistoryCheck", "S3Protocol", "ObjectLayer", "ErasureCode",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "stowage",
            dependencies: ["StowageCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),

        // Tools for tests: temporary folders, a shared IO pool (fault-injecting drives come here next).
        .target(
            name: "StowageTesting",
            dependencies: [
                "StowageCore", "Storage", "ObjectLayer", .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "RepositoryStyleTests", swiftSettings: swiftSettings),
        .testTarget(
            name: "StowageNodeTests", dependencies: ["StowageNode", "Storage", "StowageCore", "StowageTesting"],
            swiftSettings: swiftSettings),
        .testTarget(name: "ErasureCodeTests", dependencies: ["ErasureCode"], swiftSettings: swiftSettings),
        .testTarget(name: "HistoryCheckTests", dependencies: ["HistoryCheck"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ClusterTests",
            dependencies: [
                "Cluster", "StowageTesting", "ObjectLayer", "StowageCore", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DriveConformanceTests",
            dependencies: [
                "Cluster", "Storage", "StowageCore", "StowageTesting",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "S3ProtocolTests",
            dependencies: ["S3Protocol", "StowageCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "Storage", "StowageCore", "StowageTesting", "ErasureCode",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ObjectLayerTests",
            dependencies: [
                "ObjectLayer", "Storage", "StowageCore", "StowageTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SimulationTests",
            dependencies: [
                "ObjectLayer", "StowageCore", "StowageTesting", "HistoryCheck", "Cluster",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
