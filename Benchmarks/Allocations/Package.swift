// swift-tools-version:6.1
// Allocation counts for the proxy's hot path (package-benchmark with its malloc
// interposer). A separate package so the main build and `swift test` do not pay for
// it. Run with Benchmarks/allocations.sh.
import PackageDescription

let package = Package(
    name: "portico-allocations",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "portico", path: "../.."),
        .package(url: "https://github.com/ordo-one/package-benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "ProxyAllocations",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "PorticoServer", package: "portico"),
                .product(name: "PorticoTesting", package: "portico"),
                .product(name: "PorticoCore", package: "portico"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/ProxyAllocations",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        )
    ]
)
