// swift-tools-version:6.0
import PackageDescription

// Coverage-guided fuzz targets (libFuzzer), one executable per reader. Built only through
// run.sh, with -sanitize=fuzzer,address; the main package's build and tests never see them.
let readers: [Target.Dependency] = [.product(name: "CNNBReaders", package: "cnnb"), "FuzzSupport"]
let targets = ["FuzzNotebook", "FuzzNpy", "FuzzNpz", "FuzzIDX", "FuzzCIFAR", "FuzzTar", "FuzzGzip", "FuzzWeights",
               "FuzzKeras", "FuzzPNG", "FuzzJPEG"]

let package = Package(
    name: "cnnb-fuzz",
    platforms: [.macOS(.v13)],
    // `cnnb` links to the checkout's root: SwiftPM names a package by its folder, and a checkout
    // in a folder called `fuzz` would otherwise clash with this package's own name.
    dependencies: [.package(name: "cnnb", path: "cnnb")],
    targets: [.target(name: "FuzzSupport", path: "Sources/FuzzSupport")] + targets.map { name in
        .executableTarget(name: name, dependencies: readers, path: "Sources/\(name)")
    },
    swiftLanguageModes: [.v5]
)
