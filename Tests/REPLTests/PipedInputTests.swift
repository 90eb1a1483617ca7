import Foundation
import TestSupport
import XCTest

/// `cnnb` reading statements from a pipe (`cnnb < script`): no banner, no prompts, no colour,
/// the same session rules as at a terminal.
final class PipedInputTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = try CnnbBinary.temporaryFolder()
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func cnnb(_ input: String, _ arguments: [String] = []) throws -> Process.Outcome {
        try CnnbBinary.run(arguments, input: input,
                           environment: ["HOME": folder, "CNNB_HISTORY": folder + "/history"], directory: folder)
    }

    func testHelpListsTheEnvironmentAndTheOptions() throws {
        let help = try CnnbBinary.run(["--help"])
        XCTAssertEqual(help.status, 0, help.stderr)
        for name in ["CNNB_DATA", "CNNB_LIMIT", "CNNB_EPOCHS", "CNNB_HISTORY", "CNNB_IMAGES", "NO_COLOR", "TERM"] {
            XCTAssertTrue(help.stdout.contains("  \(name) "), "\(name) missing from --help:\n\(help.stdout)")
        }
        let run = try CnnbBinary.run(["run", "--help"])
        XCTAssertTrue(run.stdout.contains("--open") && run.stdout.contains("--color <color>"), run.stdout)
    }

    func testColourIsTheFlagsThenNoColorsThenTheTerminals() throws {
        let notebook = folder + "/broken.cnnb"
        try "%%\nlayer conw 8 3x3\n".write(toFile: notebook, atomically: true, encoding: .utf8)
        let red = "\u{1B}[31;1m"
        // Standard error is a pipe here: no colour unless asked for, and then even under NO_COLOR.
        let plain = try CnnbBinary.run(["check", notebook], environment: ["TERM": "xterm-256color"])
        XCTAssertEqual(plain.status, 1)
        XCTAssertTrue(plain.stderr.contains("unknown layer kind 'conw'") && !plain.stderr.contains("\u{1B}"), plain.stderr)
        let always = try CnnbBinary.run(["check", "--color", "always", notebook], environment: ["NO_COLOR": "1"])
        XCTAssertTrue(always.stderr.contains(red), always.stderr)
        let never = try CnnbBinary.run(["check", "--color", "never", notebook])
        XCTAssertFalse(never.stderr.contains("\u{1B}"), never.stderr)
        let wrong = try CnnbBinary.run(["check", "--color", "sometimes", notebook])
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.stderr.contains("auto") && wrong.stderr.contains("never"), wrong.stderr)
    }

    func testPrintsResultsWithoutPrompts() throws {
        let result = try cnnb("x = 3\nx\n")
        XCTAssertEqual(result.stdout, "3\n")
        XCTAssertEqual(result.stderr, "")
        XCTAssertEqual(result.status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/history"), "no history without a terminal")
    }

    func testBlocksSpanLines() throws {
        let result = try cnnb("model m {\n  input 8x8x1\n  flatten\n  dense 2 softmax\n}\nsummary m\n")
        XCTAssertTrue(result.stdout.contains("Total params: 130"), result.stdout + result.stderr)
        XCTAssertEqual(result.status, 0)
    }

    func testEmptyLinesInsideABlockFromAFile() throws {
        let result = try cnnb("model m {\n  input 8x8x1\n\n  flatten\n\n  dense 2 softmax\n}\n\nsummary m\n")
        XCTAssertTrue(result.stdout.contains("Total params: 130"), result.stdout + result.stderr)
        XCTAssertEqual(result.stderr, "")
        XCTAssertEqual(result.status, 0)
    }

    func testUnfinishedBlockAtEndOfInputIsAnError() throws {
        let result = try cnnb("x = 2\nmodel m {\n  input 8x8x1\n")
        XCTAssertTrue(result.stderr.contains("error"), result.stderr)
        XCTAssertEqual(result.status, 1)
    }

    func testErrorKeepsValuesAndExitsWithFailure() throws {
        let result = try cnnb("a = 5\na = a + nosuch\na * 2\n")
        XCTAssertEqual(result.stdout, "10\n", "the failed assignment leaves a = 5")
        XCTAssertTrue(result.stderr.contains("nosuch"), result.stderr)
        XCTAssertFalse(result.stderr.contains("\u{1B}["), "no colour when not on a terminal")
        XCTAssertEqual(result.status, 1, "a failed statement makes the exit status 1")
    }

    func testVarsResetAndUnknownCommand() throws {
        let result = try cnnb("a = 2\nmodel m { input 4x4x1; flatten; dense 3 softmax }\n:vars\n:reset\n:vars\n:nonsense\n")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("a ") && $0.contains("2") }, result.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("m ") }, result.stdout)
        XCTAssertTrue(lines.contains("the session is empty"), result.stdout)
        XCTAssertTrue(lines.contains("nothing is defined yet"), result.stdout)
        XCTAssertTrue(result.stderr.contains("unknown command :nonsense"), result.stderr)
    }

    /// A model that fails to build leaves the seeds alone: the next model's weights are those a
    /// saved notebook, which lacks the failed statement, makes.
    func testFailedModelDoesNotShiftTheWeightsOfTheNext() throws {
        let notebook = folder + "/weights.cnnb"
        let session = try cnnb("model bad { input 8x8x1; conv 4 9x9 }\nmodel m { input 2x2x1; flatten; dense 2 softmax }\n"
                               + "m.layers[2].kernel\n:save \(notebook)\n")
        XCTAssertTrue(session.stderr.contains("larger than the input"), session.stderr)
        let kernel = session.stdout.components(separatedBy: "saved ")[0]
        XCTAssertTrue(kernel.hasPrefix("array([["), kernel)
        let run = try CnnbBinary.run(["run", notebook, "--out", folder + "/out"], directory: folder)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains(kernel), "session:\n\(kernel)\nrun:\n\(run.stdout)")
    }

    func testHelpTopic() throws {
        let result = try cnnb(":help fit\n:help\n")
        XCTAssertTrue(result.stdout.contains("history = fit cnn on data.train epochs 5"), result.stdout)
        XCTAssertTrue(result.stdout.contains(":save FILE.cnnb"), result.stdout)
    }

    /// `:save` keeps the entries that succeeded; `cnnb run` of the file prints what the session printed.
    func testSaveThenRunAndLoad() throws {
        let notebook = folder + "/saved.cnnb"
        let entries = ["x = 3", "x * 2", "layer conv 4 3x3 stride 2 on 9x9x1",
                       "model m {\ninput 8x8x1; conv 2 3x3 relu; flatten; dense 2 softmax\n}", "summary m"]
        let session = try cnnb(entries.joined(separator: "\n") + "\nx + missing\n:save \(notebook)\n")
        XCTAssertTrue(session.stderr.contains("missing"), session.stderr)
        let saved = try String(contentsOfFile: notebook, encoding: .utf8)
        XCTAssertFalse(saved.contains("missing"))
        XCTAssertTrue(session.stdout.hasSuffix("saved 5 cells to \(notebook)\n"), session.stdout)
        let shown = String(session.stdout.dropLast("saved 5 cells to \(notebook)\n".count))

        let run = try CnnbBinary.run(["run", notebook, "--out", folder + "/out"], directory: folder)
        XCTAssertEqual(run.status, 0, run.stderr)
        // The run ends with a link to its page.
        let page = URL(fileURLWithPath: folder + "/out/index.html").standardizedFileURL.absoluteString
        XCTAssertTrue(run.stdout.hasSuffix("\n" + page + "\n"), run.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/out/index.html"))
        let printed = run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("── [") && !$0.hasPrefix(notebook + ":") && !$0.hasPrefix("file://") }
            .joined(separator: "\n")
        XCTAssertEqual(printed, shown)

        // `:load` runs the saved cells into a new session.
        let loaded = try cnnb(":load \(notebook)\nx + 1\n")
        XCTAssertEqual(loaded.stdout, shown + "4\n")
    }
}
