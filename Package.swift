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
        // System libraries: OpenBLAS (Accelerate on macOS), GNU readline, cairo, zlib, libpng, libjpeg, HDF5, cmark-gfm.
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
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg",
                       providers: [.apt(["libjpeg62-turbo-dev"]), .brew(["jpeg-turbo"])]),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"]), .brew(["hdf5"])]),
        // PNG and JPEG decoding in C: libjpeg reports errors by longjmp, which Swift cannot catch.
        .target(name: "ImageCodecs", dependencies: ["CPNG", "CJPEG"]),
        // Keras's weight files through libhdf5, whose constants are macros Swift cannot import.
        .target(name: "HDF5Files", dependencies: ["CHDF5"]),
        // GitHub's CommonMark (tables, strikethrough, autolinks) for the report's Markdown cells.
        .systemLibrary(name: "CMark", path: "Sources/CMark", pkgConfig: "libcmark-gfm",
                       providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"]), .brew(["cmark-gfm"])]),
        // The Jupyter kernel's transport (ZeroMQ) and message signatures (OpenSSL's HMAC-SHA256).
        .systemLibrary(name: "CZMQ", path: "Sources/CZMQ",
                       providers: [.apt(["libzmq3-dev"]), .brew(["zeromq"])]),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto",
                       providers: [.apt(["libssl-dev"]), .brew(["openssl"])]),

        // What every module shares: the error protocol a person reads, files written whole.
        .target(name: "Basics"),
        // The engine's loops BLAS does not run, in C compiled for AVX-512, AVX2 and the baseline,
        // chosen when first called; optimised in debug builds for the same reason as the engine.
        .target(name: "EngineKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "Engine", dependencies: ["Basics", "CBLAS", "EngineKernels"], swiftSettings: optimised),
        .target(name: "Datasets", dependencies: ["Basics", "Engine", "CZlib", "ImageCodecs"], swiftSettings: optimised),
        .target(name: "Render", dependencies: ["Basics", "CCairo", "CMark"], swiftSettings: optimised),
        .target(name: "Interop", dependencies: [
            "Basics", "Engine", "CZlib", "HDF5Files", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        .target(name: "Language", dependencies: ["Basics", "Engine", "Datasets", "Render", "Interop"], swiftSettings: optimised),
        .target(name: "REPL", dependencies: ["Basics", "Language", "Render", "CReadline"]),
        .target(name: "Kernel", dependencies: ["Basics", "Language", "Render", "CZMQ", "CCrypto"]),
        .executableTarget(name: "cnnb", dependencies: [
            "Language", "REPL", "Kernel", "Render",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "cnnb-bench", dependencies: [
            "Engine", "Datasets", "Interop", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
                          path: "Benchmarks", exclude: ["README.md", "kernel_bench.py", "compare.py", "requirements.txt"], swiftSettings: optimised),
        // Writes every kind of figure and a short report into a folder, for a person to look at.
        .executableTarget(name: "cnnb-gallery", dependencies: ["Render"], path: "Tools/cnnb-gallery"),

        // What the tests share: the one way to run Python and the built cnnb, and the rule that a
        // missing tool fails on CI instead of skipping.
        .target(name: "TestSupport", dependencies: ["Engine"], path: "Tests/TestSupport"),

        .testTarget(name: "NativeTests", dependencies: ["CBLAS", "CCairo", "CZlib", "CReadline", "Engine", "Datasets", "TestSupport"]),
        .testTarget(name: "EngineTests", dependencies: ["Basics", "Engine", "EngineKernels", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Engine", "TestSupport"]),
        .testTarget(name: "RenderTests", dependencies: ["Basics", "Render", "CCairo", "TestSupport"]),
        .testTarget(name: "REPLTests", dependencies: ["REPL", "TestSupport"], exclude: ["pty"]),
        .testTarget(name: "KernelTests", dependencies: ["Kernel", "Language", "TestSupport"], exclude: ["jupyter"]),
        .testTarget(name: "InteropTests", dependencies: ["Basics", "Interop", "Engine", "Datasets", "Language", "TestSupport"]),
        .testTarget(name: "LanguageTests", dependencies: ["Basics", "Language", "Engine", "Datasets", "Render", "TestSupport"]),
    ],
    // Swift 5 mode: the engine shares unsafe buffers across BLAS and worker threads by design.
    swiftLanguageModes: [.v5]
)
