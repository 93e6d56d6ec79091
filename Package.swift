// swift-tools-version:6.0
import PackageDescription

// Layering (DESIGN.md): C shims -> LMDB/NNG/VectorMath -> Store -> Ingest/VectorIndex -> annctl.
let v5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

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
    ],
    targets: [
        .systemLibrary(name: "CLMDB", path: "Sources/CLMDB"),
        .systemLibrary(name: "CNNG", path: "Sources/CNNG"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),

        .target(name: "LMDB", dependencies: ["CLMDB"], swiftSettings: v5),
        .target(name: "NNG", dependencies: ["CNNG"], swiftSettings: v5),
        .target(name: "VectorMath", dependencies: ["COpenBLAS"], swiftSettings: v5),
        .target(name: "Store", dependencies: ["LMDB", "VectorMath"], swiftSettings: v5),
        .target(name: "Ingest", dependencies: ["Store"], swiftSettings: v5),
        .target(name: "VectorIndex", dependencies: ["Store", "VectorMath"], swiftSettings: v5),
        .target(name: "TestSupport", dependencies: ["Store", "VectorIndex", "VectorMath"], swiftSettings: v5),
        .executableTarget(
            name: "annctl",
            dependencies: [
                "Store", "Ingest", "VectorIndex", "VectorMath", "TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: v5),

        .testTarget(name: "LMDBTests", dependencies: ["LMDB"], swiftSettings: v5),
        .testTarget(name: "NNGTests", dependencies: ["NNG"], swiftSettings: v5),
        .testTarget(name: "VectorMathTests", dependencies: ["VectorMath"], swiftSettings: v5),
        .testTarget(name: "StoreTests", dependencies: ["Store", "TestSupport"], swiftSettings: v5),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "Store", "TestSupport"], swiftSettings: v5),
        .testTarget(name: "VectorIndexTests", dependencies: ["VectorIndex", "Store", "TestSupport"], swiftSettings: v5),
    ]
)
