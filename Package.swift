// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "yingshang",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "yingshang", targets: ["yingshang"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/leaf.git", from: "4.5.2"),
        // Leaf's own engine, for `LeafDataRepresentable` (page parts converted once, not per page).
        .package(url: "https://github.com/vapor/leaf-kit.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        // Vapor's own NIO, named for the executor take-over and the CPU pool (Runner.adoptEventLoopsAsExecutor).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // Pure domain rules: no Vapor, no Fluent, so it is fast to test and reuse.
        .target(name: "YingshangCore"),
        // Spreadsheet files (XLSX read/write, CSV with BOM): no Vapor, reusable by the CLI and batch jobs.
        .target(
            name: "YingshangOffice",
            dependencies: ["YingshangCore", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .target(
            name: "YingshangApp",
            dependencies: [
                "YingshangCore",
                "YingshangOffice",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "Leaf", package: "leaf"),
                .product(name: "LeafKit", package: "leaf-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "yingshang",
            dependencies: [
                "YingshangApp",
                "YingshangCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "YingshangCoreTests",
            dependencies: ["YingshangCore", "YingshangOffice", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .testTarget(
            name: "YingshangAppTests",
            dependencies: [
                "YingshangApp", "YingshangOffice",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "VaporTesting", package: "vapor"),
            ]
        ),
    ]
)
