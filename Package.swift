// swift-tools-version:6.0
import PackageDescription

// The numeric core is compiled with optimisation even in debug builds: its loops are
// thousands of times slower at -Onone, and the tests train real (small) networks. The language
// is optimised too: its fuzz test parses 100,000 inputs.
let optimised: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "cnnb",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cnnb", targets: ["cnnb"]),
        .executable(name: "cnnb-bench", targets: ["cnnb-bench"]),
        // For the fuzz targets, a package of their own in Tests/Fuzz (never built by CI's main build).
        .library(name: "CNNBReaders", targets: ["Basics", "Engine", "Datasets", "Interop", "Language"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // System libraries: OpenBLAS (Accelerate on macOS), GNU readline, cairo, zlib.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        .systemLibrary(name: "CReadline", path: "Sources/CReadline",
                       providers: [.apt(["libreadline-dev"]), .brew(["readline"])]),
        // cairo's and readline's pkg-config flags carry -D options SwiftPM refuses; their headers
        // are found in the default include path (<cairo/cairo.h>, <readline/readline.h>).
        .systemLibrary(name: "CCairo", path: "Sources/CCairo",
                       providers: [.apt(["libcairo2-dev"]), .brew(["cairo"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib",
                       providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),

        // What every module shares: the error protocol a person reads, files written whole.
        .target(name: "Basics"),
        .target(name: "Engine", dependencies: ["Basics", "CBLAS"], swiftSettings: optimised),
        .target(name: "Datasets", dependencies: ["Basics", "Engine", "CZlib"], swiftSettings: optimised),
        .target(name: "Render", dependencies: ["Basics", "CCairo"], swiftSettings: optimised),
        .target(name: "Interop", dependencies: [
            "Basics", "Engine", "CZlib", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        .target(name: "Language", dependencies: ["Basics", "Engine", "Datasets", "Render", "Interop"], swiftSettings: optimised),
        .target(name: "REPL", dependencies: ["Basics", "Language", "Render", "CReadline"]),
        .executableTarget(name: "cnnb", dependencies: [
            "Language", "REPL",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "cnnb-bench", dependencies: ["Engine", "Datasets"],
                          path: "Benchmarks", exclude: ["README.md"], swiftSettings: optimised),

        .testTarget(name: "NativeTests", dependencies: ["CBLAS", "CCairo", "CZlib", "CReadline", "Engine", "Datasets"]),
        .testTarget(name: "EngineTests", dependencies: ["Basics", "Engine"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Engine"]),
        .testTarget(name: "RenderTests", dependencies: ["Basics", "Render", "CCairo"]),
        .testTarget(name: "REPLTests", dependencies: ["REPL"], exclude: ["pty"]),
        .testTarget(name: "InteropTests", dependencies: ["Basics", "Interop", "Engine", "Language"]),
        .testTarget(name: "LanguageTests", dependencies: ["Basics", "Language", "Engine", "Datasets", "Render"]),
    ],
    // Swift 5 mode: the engine shares unsafe buffers across BLAS and worker threads by design.
    swiftLanguageModes: [.v5]
)
