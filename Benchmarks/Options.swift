import Foundation

/// Command line of cnnb-bench: `[--data DIR] [--images N] [--epochs E]`.
struct Options {
    /// Folder holding `cifar-10-batches-bin`; nil when neither `--data` nor $CNNB_DATA is set.
    var dataDirectory: String?
    /// Training images used (the first N of the training split).
    var images = 50_000
    var epochs = 1
    var batchSize = 32
    var seed: UInt64 = 1
    /// Time each layer's forward and backward pass instead of the full run.
    var profile = false

    static let usage = "usage: cnnb-bench [--data DIR] [--images N] [--epochs E] [--batch-size B] [--profile]"

    /// Parses `arguments` (without the program name); throws a message for anything unknown.
    init(arguments: [String], environment: [String: String]) throws(OptionsError) {
        dataDirectory = environment["CNNB_DATA"].flatMap { $0.isEmpty ? nil : $0 }
        var rest = arguments[...]
        func value(_ flag: String) throws(OptionsError) -> String {
            guard let next = rest.popFirst() else { throw OptionsError("\(flag) needs a value") }
            return next
        }
        func count(_ flag: String, minimum: Int) throws(OptionsError) -> Int {
            let text = try value(flag)
            guard let n = Int(text), n >= minimum else {
                throw OptionsError("\(flag) needs a whole number of at least \(minimum), got '\(text)'")
            }
            return n
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--data": dataDirectory = try value(argument)
            case "--images": images = try count(argument, minimum: 1)
            case "--epochs": epochs = try count(argument, minimum: 1)
            case "--batch-size": batchSize = try count(argument, minimum: 1)
            case "--profile": profile = true
            case "-h", "--help": throw OptionsError(Options.usage)
            default: throw OptionsError("unknown argument '\(argument)'")
            }
        }
    }
}

struct OptionsError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
