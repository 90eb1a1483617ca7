import Datasets
import Foundation
@testable import Language
import XCTest

/// Statements of the lessons with their numbers and names changed, and commands built from
/// templates with odd values in their slots, run against a live session: each either runs or
/// gives a diagnostic; none may stop the process. CNNB_FUZZ_SEED and CNNB_FUZZ_COUNT run other
/// and longer series by hand.
final class RuntimeFuzzTests: XCTestCase {
    override func tearDown() {
        SessionHarness.removeFolders()
        super.tearDown()
    }

    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let numbers = ["0", "1", "-1", "2", "3", "7", "31", "0.5", "-3", "1000", "99999999999", "1e300", "4x4", "0x3", "2x2x2", "1x1x1x1",
                          "9223372036854775807", "4000000000x4000000000", "9223372036854775807x2", "999999999x999999999x3"]
    static let words = ["data", "cnn", "h", "xs", "m", "x", "relu", "same", "valid", "accuracy", "data.train", "data.test[0]",
                        "cnn.layers[1]", "cnn.layers[-1]", "m[0]", "[]", "[[]]", "\"s\"", "shapes", "loss"]

    func mutate(_ line: String, _ rng: inout Generator) -> String {
        var tokens = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard !tokens.isEmpty else { return line }
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let i = Int.random(in: 0..<tokens.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: tokens[i] = Self.numbers.randomElement(using: &rng)!
            case 1: tokens[i] = Self.words.randomElement(using: &rng)!
            case 2: if tokens.count > 1 { tokens.remove(at: i) }
            default: tokens.insert(Self.numbers.randomElement(using: &rng)!, at: i)
            }
        }
        return tokens.joined(separator: " ")
    }

    func testMutatedLessonStatementsNeverStopTheProcess() throws {
        var lines: [String] = []
        for name in ["quick.cnnb", "concepts.cnnb", "cifar10.cnnb"] {
            let source = try String(contentsOfFile: NotebookRunTests.notebooks.appendingPathComponent(name).path, encoding: .utf8)
            let notebook = NotebookRunner(source: source, fileName: name).notebook
            for cell in notebook.cells where cell.kind == .code {
                lines += cell.text.split(separator: "\n").map(String.init)
                    .filter { !$0.hasPrefix("model") && !$0.hasPrefix(" ") && !$0.hasPrefix("}") && !$0.contains("load") && !$0.isEmpty }
            }
        }
        XCTAssertGreaterThan(lines.count, 30)
        let session = try SessionHarness.makeSession("fuzz", trainCount: 32, testCount: 8)
        session.succeed("data = load shapes\ndata = data / 255\nx = 5\nxs = [1, 2, 3]\nm = [[1, 3], [4, 6]]")
        session.succeed("model cnn { input 32x32x3; conv 4 3x3 relu; pool 2; conv 4 3x3 relu; flatten; dense 10 softmax }")
        session.succeed("compile cnn optimizer adam loss sparse_categorical_crossentropy metrics accuracy\nh = fit cnn on data.train epochs 1")
        var rng = Generator(state: UInt64(ProcessInfo.processInfo.environment["CNNB_FUZZ_SEED"] ?? "") ?? 7)
        var failures = 0
        let count = Int(ProcessInfo.processInfo.environment["CNNB_FUZZ_COUNT"] ?? "") ?? 1500
        for _ in 0..<count {
            let line = mutate(lines.randomElement(using: &rng)!, &rng)
                .replacingOccurrences(of: "epochs", with: "batch")  // keep training short
            let (_, error) = session.run(line, file: "fuzz.cnnb")
            if let error {
                failures += 1
                XCTAssertFalse(error.message.isEmpty, line)
                XCTAssertEqual(error.span.line, 1, line)
            }
            // The values the mutations lean on stay usable.
            if session["data"] == nil || session["cnn"] == nil { session.succeed("data = load shapes\nmodel cnn { input 32x32x3; flatten; dense 10 softmax }") }
        }
        XCTAssertGreaterThan(failures, count / 4)
    }

    static let keywords = ["layer", "explain", "apply", "show", "filters", "features", "submodel", "weights", "shape", "print",
                           "summary", "plot", "predict", "evaluate", "fit", "compile", "layers", "y ="]
    static let specs = ["conv 4 3x3", "conv 2 1x1 relu", "maxpool 2", "avgpool 3 stride 2 padding same", "dense 3", "globalavgpool",
                        "conv1d 2 3", "conv3d 2 2x2x2", "maxpool3d 2", "flatten", "dropout 0.5", "globalmaxpool1d", "activation relu"]
    static let options = ["on", "of", "to", "grid", "channel", "stride", "padding", "labels", "rgb", "outputs", "batch", "validate", "lr",
                          "optimizer", "loss", "metrics"]
    static let values = numbers + words + ["data.train[0..<4]", "data.test[1]", "cnn.layers[1, 2]", "h", "[[1, 2], [3, 4]]",
                                           "32x32x3", "4x4x1", "8x8x8x1", "10x2", "sgd", "sparse_categorical_crossentropy"]

    static let templates = [
        "layer S on H", "explain S on H", "apply S to M", "apply M to I stride N padding P", "apply S to I",
        "show I grid G labels", "show I", "filters L channel N grid G", "filters L rgb", "features L of I grid G",
        "y = submodel cnn outputs L", "p = predict cnn I", "evaluate cnn on I", "fit cnn on I batch N validate I",
        "compile cnn optimizer O loss sparse_categorical_crossentropy metrics accuracy lr N", "xs[R]", "data.train[R]",
        "shape L", "weights L", "print I", "plot h V", "m[R]", "data.test.labels[R]", "cnn.layers[R]",
    ]
    static let slots: [Character: [String]] = [
        "S": specs + ["conv 1 5x5 stride 3", "maxpool 1", "avgpool 2x2 padding same", "dense 1 softmax"],
        "H": ["32x32x3", "4x4x1", "1x1x1", "8x8x8x1", "10x2", "100", "3x3", "2x2x2x2x2", "0x3", "999999999x999999999x3",
              "46341x46341x1", "9223372036854775807"],
        "M": ["m", "[[1, 2], [3, 4]]", "[[1]]", "[[1, 2, 3]]", "[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]", "[[1], [2]]", "xs"],
        "I": ["data.train[0]", "data.train[0..<4]", "data.test", "data.train[31]", "data.test[-1]", "data.train[..<1]", "data.train[0..<0]"],
        "N": ["0", "1", "2", "3", "-1", "0.5", "31", "99999999999", "9223372036854775807", "4000000000x4000000000"],
        "P": ["same", "valid", "full"],
        "G": ["1x1", "2x2", "4x8", "1", "3", "0x1", "50x50", "4000000000x4000000000", "1000x1000"],
        "L": ["cnn.layers[0]", "cnn.layers[1]", "cnn.layers[2]", "cnn.layers[3]", "cnn.layers[-1]", "cnn.layers[1, 3]",
              "cnn.layers[0...5]", "cnn"],
        "O": ["adam", "sgd", "rmsprop", "adamw"],
        "R": ["0", "1..<2", "-1", "..<2", "1...", "2..<1", "-2..<-1", "0...0", "5"],
        "V": ["accuracy", "loss", "val_loss", "accuracy loss"],
    ]

    func randomStatement(_ rng: inout Generator) -> String {
        var text = ""
        for character in Self.templates.randomElement(using: &rng)! {
            if let choices = Self.slots[character] { text += choices.randomElement(using: &rng)! } else { text.append(character) }
        }
        // Now and then a word is replaced by anything at all.
        if Int.random(in: 0..<4, using: &rng) == 0 {
            var tokens = text.split(separator: " ").map(String.init)
            tokens[Int.random(in: 0..<tokens.count, using: &rng)] = Self.values.randomElement(using: &rng)!
            text = tokens.joined(separator: " ")
        }
        return text
    }

    func testRandomCommandsNeverStopTheProcess() throws {
        let session = try SessionHarness.makeSession("fuzz2", trainCount: 32, testCount: 8)
        let setup = "data = load shapes\ndata = data / 255\nx = 5\nxs = [1, 2, 3]\nm = [[1, 3], [4, 6]]\n"
            + "model cnn { input 32x32x3; conv 4 3x3 relu; pool 2; conv 4 3x3 relu; flatten; dense 10 softmax }\n"
            + "compile cnn optimizer adam loss sparse_categorical_crossentropy metrics accuracy\nh = fit cnn on data.train epochs 1"
        session.succeed(setup)
        var rng = Generator(state: UInt64(ProcessInfo.processInfo.environment["CNNB_FUZZ_SEED"] ?? "") ?? 11)
        let count = Int(ProcessInfo.processInfo.environment["CNNB_FUZZ_COUNT"] ?? "") ?? 250
        var ran = 0
        for _ in 0..<count {
            let line = randomStatement(&rng)
            let (_, error) = session.run(line, file: "fuzz.cnnb")
            if let error { XCTAssertFalse(error.message.isEmpty, line) } else { ran += 1 }
            if session["y"] != nil { session.reset(); session.succeed(setup) }
        }
        // The templates are mostly well-formed: a good share runs through to the engine.
        XCTAssertGreaterThan(ran, count / 10)
    }

    static let modelLayers = ["conv 2 3x3 relu", "conv 2 1x1", "conv 3 2x2 stride 2 padding same", "conv 2 5x5 padding same",
                              "pool 2", "maxpool 3 stride 1", "avgpool 2 padding same", "maxpool 2 stride 3 padding same",
                              "globalavgpool", "globalmaxpool", "flatten", "dense 4 relu", "dense 10 softmax", "dropout 0.3",
                              "activation tanh", "conv1d 2 3", "maxpool1d 2", "globalavgpool1d", "conv3d 2 2x2x2", "avgpool3d 2"]

    /// Models of random layers on the generated images: built, summarised, trained for a batch,
    /// evaluated, looked into. Each step either works or says why not.
    func testRandomModelsNeverStopTheProcess() throws {
        let session = try SessionHarness.makeSession("fuzz3", trainCount: 16, testCount: 4)
        session.succeed("data = load shapes\ndata = data / 255")
        var rng = Generator(state: UInt64(ProcessInfo.processInfo.environment["CNNB_FUZZ_SEED"] ?? "") ?? 5)
        let count = Int(ProcessInfo.processInfo.environment["CNNB_FUZZ_COUNT"] ?? "") ?? 60
        var built = 0, trained = 0
        for _ in 0..<count {
            var layers = (0..<Int.random(in: 1...5, using: &rng)).map { _ in Self.modelLayers.randomElement(using: &rng)! }
            if Bool.random(using: &rng) { layers += ["flatten", "dense 10 softmax"] }
            let input = Bool.random(using: &rng) ? "32x32x3" : ["8x8x1", "5x5x2", "3x3x1", "16", "12x4", "4x4x4x1"].randomElement(using: &rng)!
            let source = "model r { input \(input); " + layers.joined(separator: "; ") + " }"
            guard session.run(source, file: "fuzz.cnnb").error == nil else { continue }
            built += 1
            for statement in ["summary r", "layers r", "plot r", "weights r", "compile r optimizer sgd loss sparse_categorical_crossentropy metrics accuracy",
                              "fit r on data.train[0..<8] batch 4", "evaluate r on data.test", "p = predict r data.test[0..<2]",
                              "features r.layers[1] of data.test[0]", "filters r.layers[1]", "s = submodel r outputs r.layers[0...1]"] {
                let (_, error) = session.run(statement, file: "fuzz.cnnb")
                if let error {
                    XCTAssertFalse(error.message.isEmpty, statement)
                } else if statement.hasPrefix("fit") {
                    trained += 1
                }
            }
        }
        XCTAssertGreaterThan(built, count / 10)
        XCTAssertGreaterThan(trained, 0)
    }
}
