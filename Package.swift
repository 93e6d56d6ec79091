// swift-tools-version:6.0
import PackageDescription

// Layering (DESIGN.md): C shims -> LMDB/NNG/VectorMath -> Store -> Ingest/VectorIndex -> annctl.
let v5: [SwiftSetting] = [.swiftLanguageMode(.v5)]
// Kernels and graph code are optimised even in debug builds: unoptimised Swift is ~50x slower
// there, which would make recall tests on 20k vectors take minutes. Dynamic exclusivity checks
// are off there too: they cost a runtime call on every access to a class's stored struct
// (heaps, top-k, visited marks) in the search loops (measured: ~2% of query time, more in build).
let hot: [SwiftSetting] = v5 + [.unsafeFlags(["-O", "-enforce-exclusivity=unchecked"])]

let package = Package(
    name: "annserver",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "annctl", targets: ["annctl"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "VectorIndex", targets: ["VectorIndex"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(name: "CLMDB", path: "Sources/CLMDB"),
        .systemLibrary(name: "CNNG", path: "Sources/CNNG"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),

        .target(name: "LMDB", dependencies: ["CLMDB"], swiftSettings: v5),
        .target(name: "NNG", dependencies: ["CNNG"], swiftSettings: v5),
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "VectorMath", dependencies: ["COpenBLAS", "CKernels"], swiftSettings: hot),
        .target(name: "Store", dependencies: ["LMDB", "VectorMath"], swiftSettings: v5),
        .target(name: "Ingest", dependencies: ["Store", "VectorMath"], swiftSettings: v5),
        .target(name: "VectorIndex", dependencies: ["Store", "LMDB", "VectorMath"], swiftSettings: hot),
        .target(name: "Ranking", dependencies: ["Store", "VectorIndex", "VectorMath"], swiftSettings: v5),
        .target(name: "Wire", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["ann_v1.proto"], swiftSettings: v5),
        .target(
            name: "Server",
            dependencies: ["NNG", "Wire", "Ranking", "VectorIndex", "Store", "VectorMath",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: v5),
        .target(name: "TestSupport", dependencies: ["Store", "VectorIndex", "VectorMath"], swiftSettings: v5),
        .executableTarget(
            name: "annctl",
            dependencies: [
                "Store", "Ingest", "VectorIndex", "VectorMath", "TestSupport", "Ranking", "Wire", "Server", "NNG",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: v5),

        .testTarget(name: "LMDBTests", dependencies: ["LMDB"], swiftSettings: v5),
        .testTarget(name: "NNGTests", dependencies: ["NNG"], swiftSettings: v5),
        .testTarget(name: "VectorMathTests", dependencies: ["VectorMath"], swiftSettings: v5),
        .testTarget(name: "StoreTests", dependencies: ["Store", "TestSupport"], swiftSettings: v5),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "Store", "TestSupport"], swiftSettings: v5),
        .testTarget(name: "VectorIndexTests", dependencies: ["VectorIndex", "Store", "TestSupport"], swiftSettings: v5),
        .testTarget(name: "RankingTests", dependencies: ["Ranking", "VectorIndex", "Store", "TestSupport"], swiftSettings: v5),
        .testTarget(name: "WireTests", dependencies: ["Wire"], swiftSettings: v5),
        .testTarget(name: "ServerTests", dependencies: ["Server", "NNG", "Wire", "Store", "TestSupport"], swiftSettings: v5),
    ]
)
