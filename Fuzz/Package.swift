// swift-tools-version:6.1
// libFuzzer harness for Portico's HTTP/1.1 wire codec. A separate package so that the
// fuzzer build flags (-sanitize=fuzzer,address) never touch the main build. Run it with
// `scripts/fuzz.sh`; see docs/fuzzing.md.
import PackageDescription

let package = Package(
    name: "portico-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "portico", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "PorticoFuzz",
            dependencies: [
                .product(name: "PorticoCore", package: "portico"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
