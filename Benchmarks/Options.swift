import ArgumentParser
import Foundation

/// Command line of cnnb-bench, parsed as `cnnb`'s is: `[--data DIR] [--images N] [--epochs E]
/// [--batch-size B] [--inference-passes P] [--export-onnx FILE] [--profile]`.
struct Options: ParsableArguments {
    @Option(help: "Folder holding cifar-10-batches-bin (default: $CNNB_DATA; random images without either).")
    var data: String?
    @Option(help: "Training images used (the first N of the training split).")
    var images = 50_000
    @Option(help: "Epochs to train.")
    var epochs = 1
    @Option(help: "Images per batch.")
    var batchSize = 32
    @Option(help: "Passes of inference over the test images; the fastest counts.")
    var inferencePasses = 2
    @Option(name: .customLong("export-onnx"), help: ArgumentHelp(
        "Write the trained model to FILE as ONNX, for Benchmarks/compare.py to time ONNX Runtime on.", valueName: "FILE"))
    var exportONNX: String?
    @Flag(help: "Time each layer's forward and backward pass instead of the full run.")
    var profile = false

    var seed: UInt64 { 1 }

    /// `--data`, else $CNNB_DATA when set and not empty.
    var dataDirectory: String? {
        data ?? ProcessInfo.processInfo.environment["CNNB_DATA"].flatMap { $0.isEmpty ? nil : $0 }
    }

    func validate() throws {
        for (flag, value) in [("--images", images), ("--epochs", epochs), ("--batch-size", batchSize),
                              ("--inference-passes", inferencePasses)] where value < 1 {
            throw ValidationError("\(flag) needs a whole number of at least 1, got \(value)")
        }
    }
}
