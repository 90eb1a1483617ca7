import Foundation
import Language
import XCTest

/// Feeds the lexer and parser random text and mutations of realistic programs. Every input must
/// parse without trapping, and every input the parser does not take whole must carry an error
/// (see `contractViolation`). The generator is seeded, so a failure names an input that
/// reproduces it.
final class ParserFuzzTests: XCTestCase {
    static let programs: [String] = [
        "input 32x32x3; conv 32 3x3 relu; pool 2; conv 64 3x3 relu; pool 2; conv 64 3x3 relu; flatten; dense 64 relu; dense 10 softmax",
        """
        model cnn { input 32x32x3; conv 32 3x3 relu; pool 2; conv 64 3x3 relu; pool 2
                    conv 64 3x3 relu; flatten; dense 64 relu; dense 10 softmax }
        summary cnn
        plot cnn
        compile cnn optimizer adam loss sparse_categorical_crossentropy metrics accuracy
        """,
        "fit cnn on data.train epochs 5 validate data.test",
        "show data.train[0..<25] grid 5x5 labels",
        """
        layer conv 64 3x3 stride 3 padding same on 32x32x3   # config, output shape
        explain maxpool 2x2 stride 2 on 30x30x32
        """,
        """
        data = load cifar10
        data = data / 255
        shape data.train ; shape data.test
        """,
        """
        history = fit cnn on data.train epochs 5 validate data.test batch 64
        plot history accuracy val_accuracy
        evaluate cnn on data.test
        filters cnn.layers[1] channel 0 grid 8x4 rgb
        features cnn.layers[1,3,5] of data.train[7]
        """,
        """
        edge = [[-1, -1, -1],
                [-1,  8, -1],
                [-1, -1, -1]]
        apply edge to data.train[7] stride 1 padding same
        print edge * 2 - 1, edge[0][1..<3]
        """,
        """
        model small {
            input 28x28x1
            conv 8 3x3 activation relu stride 2 padding valid name "first"
            maxpool 2x2 stride 2
            dropout 0.25
            flatten
            dense 10 softmax
        }
        compile small optimizer sgd loss mse lr 1e-3
        save small weights "small.npz"; load small weights "small.npz"
        predict small data.test[0..<64] to "p.npy"
        parts = submodel small outputs small.layers[0, 1]
        export small onnx 'small.onnx'
        """,
        "conv1d 64 3; conv3d 64 3x3x3; maxpool3d 2x2x2; avgpool; globalavgpool; avgpool1d 2 padding same",
        "x = -(1 + 2.5) * 3 % 2; y = x[..<5]; z = x[5...]; w = a.b[1, 2...4]",
    ]

    static let notebook = """
        %% md
        # Convolutional networks

        %%
        layer conv 64 3x3 stride 3 padding same on 32x32x3
        explain maxpool 2x2 stride 2 on 30x30x32

        %%
        data = load cifar10
        data = data / 255
        shape data.train ; shape data.test
        show data.train[0..<25] grid 5x5 labels

        %%
        model cnn { input 32x32x3; conv 32 3x3 relu; pool 2; conv 64 3x3 relu; pool 2
                    conv 64 3x3 relu; flatten; dense 64 relu; dense 10 softmax }
        summary cnn
        compile cnn optimizer adam loss sparse_categorical_crossentropy metrics accuracy
        history = fit cnn on data.train epochs 5 validate data.test
        plot history accuracy val_accuracy
        evaluate cnn on data.test
        """

    /// Pieces the mutator inserts: words the language knows, and the punctuation it is made of.
    static let fragments: [String] = {
        var pieces = ["model", "{", "}", "(", ")", "[", "]", ",", ";", "\n", ".", "..<", "...", "..", "=", "+", "-", "*",
                      "/", "%", "#", "\"", "'", "x", "3x", "32x32x3", "3x3", "0", "7", "1.5", "1e-3", "2x", "\"s\"",
                      "relu", "softmax", "same", "valid", "data", "data.train", "cnn", "%%\n", "%% md\n", " ", "  ", "\t",
                      "\\", "@", ":", "×", "“", "é", "\u{0}", "\r\n", "99999999999999999999", "0..<25", "[0]",
                      "(n)", "(on)", "(fit m on x)", "(conv 3 3)", "-1", "- ", ".x", "[1, 2]", "x[", "\n}\n", "{\n"]
        pieces += Vocabulary.commandList.map(\.keyword)
        pieces += Vocabulary.commandList.flatMap(\.optionNames)
        pieces += Vocabulary.layerList.map(\.word)
        pieces += ["stride", "padding", "activation", "dilation", "name"]
        return pieces
    }()

    static let alphabet: [String] = Array("abcxyz019 \n\t;,.{}()[]=+-*/%#\"'<_xé×:@\\").map(String.init)

    func testRandomAndMutatedInputsKeepTheParserContract() {
        // CNNB_FUZZ_SEED explores other inputs; the default keeps CI reproducible.
        let seed = ProcessInfo.processInfo.environment["CNNB_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_C0DE
        var random = SplitMix64(seed: seed)
        // The shipped notebooks, a few cells at a time (whole files are long and slow to mutate).
        let shipped = ((try? shippedNotebooks()) ?? []).flatMap { Self.excerpts(of: $0.text) }
        XCTAssertGreaterThan(shipped.count, 10, "no notebooks in Notebooks/ to mutate")
        let corpus = (Self.programs + SourcePrinterTests.programs + [Self.notebook, SourcePrinterTests.lesson] + shipped)
            .map { Array($0.unicodeScalars) }
        let fragments = Self.fragments.map { Array($0.unicodeScalars) }
        var inputs = 0
        var rejected = 0
        var accepted = 0
        for round in 0..<100_000 {
            let source: String
            if round % 10 == 0 {
                // Random text from the characters cnnb is made of.
                let length = Int(random.next() % 60)
                source = (0..<length).map { _ in Self.alphabet[Int(random.next() % UInt64(Self.alphabet.count))] }.joined()
            } else {
                source = mutate(corpus[Int(random.next() % UInt64(corpus.count))], &random, fragments: fragments)
            }
            inputs += 1
            let asNotebook = round % 4 == 0
            let (problem, clean) = check(source, notebook: asNotebook, inspectRendering: round % 16 == 1)
            if let problem {
                XCTFail("input #\(round) \(String(reflecting: source)): \(problem)")
                return
            }
            if clean { accepted += 1 } else { rejected += 1 }
        }
        XCTAssertEqual(inputs, 100_000)
        // Both sides of the contract are exercised.
        XCTAssertGreaterThan(accepted, 5_000)
        XCTAssertGreaterThan(rejected, 30_000)
    }

    /// Every unmutated program parses cleanly and keeps the contract.
    func testCorpusParsesCleanly() {
        for program in Self.programs {
            let (statements, diagnostics) = Parser.parseStatements(program)
            XCTAssertEqual(diagnostics.map(\.description), [], program)
            XCTAssertFalse(statements.isEmpty)
            XCTAssertNil(check(program, notebook: false).problem, program)
        }
        let (notebook, diagnostics) = parseNotebook(source: Self.notebook, fileName: "seed.cnnb")
        XCTAssertEqual(diagnostics.map(\.description), [])
        XCTAssertEqual(notebook.cells.map(\.kind), [.markdown, .code, .code, .code])
        XCTAssertNil(check(Self.notebook, notebook: true).problem)
    }

    /// The contract violation for `source`, if any, and whether it parsed without diagnostics.
    private func check(_ source: String, notebook: Bool, inspectRendering: Bool = true) -> (problem: String?, clean: Bool) {
        if notebook {
            let (parsed, diagnostics) = parseNotebook(source: source, fileName: "fuzz.cnnb")
            let bytes = Array(source.utf8)
            for cell in parsed.cells where cell.kind == .code {
                let range = cell.offset..<(cell.offset + cell.source.utf8.count)
                guard range.upperBound <= bytes.count else { return ("cell range \(range) outside the input", false) }
                let cellDiagnostics = diagnostics.filter { range.contains($0.span.offset) || $0.span.offset == range.upperBound }
                let shifted = {
                    Lexer.tokenize(cell.source, file: "fuzz.cnnb", firstLine: cell.line).0.map { token -> Token in
                        var token = token
                        token.span.offset += cell.offset
                        return token
                    }
                }
                if let problem = contractViolation(source: source, statements: cell.statements, diagnostics: cellDiagnostics,
                                                   tokens: shifted, range: range) {
                    return ("cell at line \(cell.line): " + problem, false)
                }
            }
            return (nil, diagnostics.isEmpty)
        }
        let (statements, diagnostics) = Parser.parseStatements(source)
        for diagnostic in diagnostics {
            // Rendering never traps and always shows the caret line.
            let rendered = diagnostic.rendered(source: source)
            if inspectRendering && !rendered.utf8.contains(UInt8(ascii: "^")) { return ("rendered diagnostic without a caret:\n\(rendered)", false) }
        }
        return (contractViolation(source: source, statements: statements, diagnostics: diagnostics,
                                  tokens: { Lexer.tokenize(source).0 }, range: 0..<source.utf8.count), diagnostics.isEmpty)
    }

    /// Runs of up to three consecutive cells of a notebook, each with its markers.
    static func excerpts(of notebook: String) -> [String] {
        var cells: [String] = []
        for line in notebook.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("%%") || cells.isEmpty { cells.append("") }
            cells[cells.count - 1] += line + "\n"
        }
        return cells.indices.map { cells[$0..<min($0 + 3, cells.count)].joined() }
    }

    /// One to four edits: delete a stretch, insert a fragment, duplicate or swap stretches,
    /// replace a character, or cut the text short.
    private func mutate(_ program: [Unicode.Scalar], _ random: inout SplitMix64, fragments: [[Unicode.Scalar]]) -> String {
        var scalars = program
        let edits = 1 + Int(random.next() % 4)
        for _ in 0..<edits {
            let count = scalars.count
            let at = count == 0 ? 0 : Int(random.next() % UInt64(count + 1))
            switch random.next() % 6 {
            case 0 where count > 0:
                let length = 1 + Int(random.next() % 8)
                scalars.removeSubrange(min(at, count)..<min(at + length, count))
            case 1:
                let piece = fragments[Int(random.next() % UInt64(fragments.count))]
                if random.next() % 2 == 0 {
                    scalars.insert(contentsOf: [" "] + piece + [" "], at: at)
                } else {
                    scalars.insert(contentsOf: piece, at: at)
                }
            case 2 where count > 0:
                let start = Int(random.next() % UInt64(count))
                let end = min(count, start + 1 + Int(random.next() % 20))
                scalars.insert(contentsOf: scalars[start..<end], at: at)
            case 3 where count > 2:
                let a = Int(random.next() % UInt64(count - 1))
                let b = Int(random.next() % UInt64(count - 1))
                scalars.swapAt(a, b)
            case 4 where count > 0:
                let replacement = Self.alphabet[Int(random.next() % UInt64(Self.alphabet.count))].unicodeScalars.first!
                scalars[min(at, count - 1)] = replacement
            case 5 where count > 0:
                scalars.removeSubrange(at..<count)
            default:
                scalars.insert(contentsOf: fragments[Int(random.next() % UInt64(fragments.count))], at: at)
            }
        }
        return String(String.UnicodeScalarView(scalars))
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
