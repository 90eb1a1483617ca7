// swift-tools-version:6.0
import PackageDescription

// Coverage-guided fuzz targets (libFuzzer), one executable per reader. Built only through
// run.sh, with -sanitize=fuzzer,address; the main package's build and tests never see them.
let readers: [Target.Dependency] = [.product(name: "CNNBReaders", package: "cnnb")]
let targets = ["FuzzNotebook", "FuzzNpy", "FuzzNpz", "FuzzIDX", "FuzzCIFAR", "FuzzTar", "FuzzGzip", "FuzzWeights"]

let package = Package(
    name: "cnnb-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "cnnb", path: "../..")],
    targets: targets.map { name in
        .executableTarget(name: name, dependencies: readers, path: "Sources/\(name)")
    },
    swiftLanguageModes: [.v5]
)
