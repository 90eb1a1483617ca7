import Foundation
import TestSupport
import XCTest

/// `cnnb run` as a person runs it: what it leaves in the output folder, where a notebook may
/// write, and a file that is not text.
final class RunFolderTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = try CnnbBinary.temporaryFolder()
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: folder)
        super.tearDown()
    }

    func write(_ text: String, to name: String) throws -> String {
        let path = folder + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func files(in path: String) -> [String] {
        (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
    }

    func run(_ arguments: [String]) throws -> Process.Outcome {
        try Process.outcome(try CnnbBinary.path(), arguments, directory: folder)
    }

    func testTheUsersFilesSurviveTwoRuns() throws {
        let out = folder + "/out"
        try FileManager.default.createDirectory(atPath: out + "/figures", withIntermediateDirectories: true)
        try Data("chapter 1".utf8).write(to: URL(fileURLWithPath: out + "/figures/thesis.txt"))
        try Data("notes".utf8).write(to: URL(fileURLWithPath: out + "/notes.md"))
        let notebook = try write("%%\nmodel m { input 8x8x1; flatten; dense 4 softmax }\nplot m\nsave m weights \"m.cnnbw\"\n", to: "lesson.cnnb")
        let written = [".cnnb-run.json", "figures", "figures/01-model.png", "figures/01-model.svg", "figures/thesis.txt",
                       "index.html", "index.md", "lesson.ipynb", "m.cnnbw", "notes.md"]
        for _ in 0..<2 {
            let result = try run(["run", notebook, "--out", out])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(files(in: out), written)
        }
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/.cnnb-run.json"))) as? [String: Any]
        XCTAssertEqual(manifest?["files"] as? [String],
                       ["figures/01-model.png", "figures/01-model.svg", "m.cnnbw", "index.md", "index.html", "lesson.ipynb"])

        // The notebook changed: what the last run wrote and this one does not is gone; the
        // person's files are as they were.
        _ = try write("%%\nmodel m { input 8x8x1; flatten; dense 4 softmax }\n", to: "lesson.cnnb")
        let result = try run(["run", notebook, "--out", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(files(in: out), [".cnnb-run.json", "figures", "figures/thesis.txt", "index.html", "index.md", "lesson.ipynb", "notes.md"])
        XCTAssertEqual(try String(contentsOfFile: out + "/figures/thesis.txt", encoding: .utf8), "chapter 1")
        XCTAssertEqual(try String(contentsOfFile: out + "/notes.md", encoding: .utf8), "notes")
    }

    func testAWriteOutsideTheOutputFolderNeedsAllowWrite() throws {
        let notebook = try write("%%\nmodel m { input 8x8x1; flatten; dense 4 softmax }\nsave m weights \"../escaped.cnnbw\"\n", to: "lesson.cnnb")
        let refused = try run(["run", notebook, "--out", "out"])
        XCTAssertEqual(refused.status, 1)
        let parent = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        XCTAssertTrue(refused.stderr.contains("""
            \(notebook):3:16: error: cannot write "../escaped.cnnbw": '..' leads out of the output folder (out)
            save m weights "../escaped.cnnbw"
                           ^~~~~~~~~~~~~~~~~~
            hint: a notebook writes only inside its output folder; to let it write in \(parent), run cnnb with --allow-write \(parent)
            """), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/escaped.cnnbw"))

        let allowed = try run(["run", notebook, "--out", "out", "--allow-write", folder])
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/escaped.cnnbw"))
        // Written outside the output folder: not the run's to remove next time.
        XCTAssertFalse(try String(contentsOfFile: folder + "/out/.cnnb-run.json", encoding: .utf8).contains("escaped"))

        let missing = try run(["run", notebook, "--out", "out", "--allow-write", folder + "/nowhere"])
        XCTAssertEqual(missing.status, 64)
        XCTAssertTrue(missing.stderr.contains("cannot allow writing in \(folder)/nowhere: there is no such folder"), missing.stderr)
    }

    func testTheREPLTakesAllowWriteAsAnOptionAndACommand() throws {
        let other = folder + "/other"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        let resolved = URL(fileURLWithPath: other).resolvingSymlinksInPath().path
        let model = "model m { input 4; dense 2 softmax }\n"
        let binary = try CnnbBinary.path()
        let session = try Process.outcome(binary, ["repl", "--out", "out"], input: model
            + "save m weights \"\(other)/a.cnnbw\"\n:allow-write \(other)\nsave m weights \"\(other)/b.cnnbw\"\n:allow-write\n",
            directory: folder)
        XCTAssertEqual(session.status, 1, "the refused save fails the piped session")
        XCTAssertTrue(session.stderr.hasPrefix("<input>:1:16: error: cannot write \"\(other)/a.cnnbw\": an absolute path outside the output folder (out)"),
                      session.stderr)
        XCTAssertTrue(session.stdout.contains("statements may now write in \(resolved)\n"), session.stdout)
        XCTAssertTrue(session.stdout.contains("statements may write in out and \(resolved)\n"), session.stdout)
        XCTAssertEqual(files(in: other), ["b.cnnbw"])

        // `cnnb` with no subcommand takes the option too.
        let option = try Process.outcome(binary, ["--allow-write", other], input: model + "save m weights \"\(other)/c.cnnbw\"\n",
                                        directory: folder)
        XCTAssertEqual(option.status, 0, option.stderr)
        XCTAssertEqual(files(in: other), ["b.cnnbw", "c.cnnbw"])
    }

    func testTextThatIsNotUTF8IsADiagnosticAtItsFirstBadByte() throws {
        // Latin-1 "été" on line 3, after six characters.
        let path = folder + "/latin.cnnb"
        try Data("%%\nx = 1\nprint ".utf8 + [0xE9, 0x74, 0xE9] + "\n".utf8).write(to: URL(fileURLWithPath: path))
        for command in ["run", "check"] {
            let result = try run([command, path])
            XCTAssertEqual(result.status, 1, command)
            XCTAssertTrue(result.stderr.hasPrefix("""
                \(path):3:7: error: the text is not UTF-8: byte 0xE9 does not start a UTF-8 character here
                print \u{FFFD}t\u{FFFD}
                      ^
                hint: save the file as UTF-8 (a Latin-1 file converts with iconv -f latin1 -t utf-8)
                """), command + ": " + result.stderr)
            XCTAssertFalse(result.stderr.contains("USAGE"), result.stderr)
        }
        let nul = folder + "/nul.cnnb"
        try Data("%%\nx = 1\nprint".utf8 + [0] + " x\n".utf8).write(to: URL(fileURLWithPath: nul))
        let result = try run(["run", nul])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasPrefix("\(nul):3:6: error: a NUL byte in the text\nprint\u{2400} x\n     ^\n"), result.stderr)
    }
}
