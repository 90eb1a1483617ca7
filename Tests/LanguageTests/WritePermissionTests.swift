import Foundation
@testable import Language
import XCTest

/// Statements write only inside the session's output folder, or inside a folder allowed with
/// `--allow-write`: `..`, absolute paths and symbolic links that lead out are refused at the
/// path, and nothing is written. The manifest of an output folder lists what a run wrote.
final class WritePermissionTests: XCTestCase {
    override func tearDown() {
        SessionHarness.removeFolders()
        super.tearDown()
    }

    /// A session with a small model and data, its output folder `out`, and a folder `other`
    /// beside it holding `victim.txt`.
    func makeWorld() throws -> (session: Session, other: String) {
        let session = try SessionHarness.makeSession("writes", trainCount: 8, testCount: 4)
        let other = try SessionHarness.makeFolder("other")
        try Data("the user's".utf8).write(to: URL(fileURLWithPath: other + "/victim.txt"))
        session.succeed("data = load shapes\nmodel m { input 32x32x3; pool 8; flatten; dense 3 softmax }")
        return (session, other)
    }

    /// Every file under `folder`, relative, sorted.
    func files(in folder: String) -> [String] {
        (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []).sorted()
    }

    func hint(for folder: String) -> String {
        let parent = FolderPath.resolved(folder)
        return "a notebook writes only inside its output folder; to let it write in \(parent), "
            + "run cnnb with --allow-write \(parent) (:allow-write \(parent) in the REPL)"
    }

    func testEscapesAreRefusedAtThePathAndNothingIsWritten() throws {
        let (session, other) = try makeWorld()
        let out = session.outputDirectory
        try FileManager.default.createSymbolicLink(atPath: out + "/link", withDestinationPath: other)
        try FileManager.default.createSymbolicLink(atPath: out + "/victim.txt", withDestinationPath: other + "/victim.txt")
        let up = FolderPath.resolved(out + "/..")
        let outsideName = (other as NSString).lastPathComponent
        let cases: [(source: String, message: String, column: Int, parent: String)] = [
            ("save m weights \"../up.cnnbw\"", "cannot write \"../up.cnnbw\": '..' leads out of the output folder (\(out))", 16, up),
            ("save m weights \"a/../../up.npz\"", "cannot write \"a/../../up.npz\": '..' leads out of the output folder (\(out))", 16, up),
            ("save m weights \"\(other)/w.cnnbw\"", "cannot write \"\(other)/w.cnnbw\": an absolute path outside the output folder (\(out))", 16, other),
            ("save m weights \"link/w.cnnbw\"", "cannot write \"link/w.cnnbw\": a symbolic link leads out of the output folder (\(out))", 16, other),
            ("save m weights \"victim.txt\"", "cannot write \"victim.txt\": a symbolic link leads out of the output folder (\(out))", 16, other),
            ("export m onnx \"../\(outsideName)/m.onnx\"", "cannot write \"../\(outsideName)/m.onnx\": '..' leads out of the output folder (\(out))", 15, other),
            ("export m keras \"link/m.py\"", "cannot write \"link/m.py\": a symbolic link leads out of the output folder (\(out))", 16, other),
            ("predict m data.test to \"/\(other)/p.npy\"", "cannot write \"/\(other)/p.npy\": an absolute path outside the output folder (\(out))", 24, other),
        ]
        for c in cases {
            let error = try XCTUnwrap(session.fail(c.source), c.source)
            XCTAssertEqual(error.message, c.message, c.source)
            XCTAssertEqual(error.span.line, 1, c.source)
            XCTAssertEqual(error.span.column, c.column, c.source)
            XCTAssertEqual(error.hint, hint(for: c.parent), c.source)
        }
        XCTAssertEqual(files(in: other), ["victim.txt"])
        XCTAssertEqual(try String(contentsOfFile: other + "/victim.txt", encoding: .utf8), "the user's")
        XCTAssertEqual(files(in: up).filter { $0.hasPrefix("up") }, [])
        XCTAssertEqual(session.writtenFiles, [])
    }

    func testPathsThatStayInsideAreWritten() throws {
        let (session, _) = try makeWorld()
        let out = session.outputDirectory
        try FileManager.default.createDirectory(atPath: out + "/sub", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: out + "/inner", withDestinationPath: out + "/sub")
        session.succeed("save m weights \"sub/../a.cnnbw\"")
        session.succeed("save m weights \"inner/b.npz\"")
        session.succeed("save m weights \"\(out)/c.cnnbw\"")
        session.succeed("predict m data.test to \"p.npy\"")
        session.succeed("export m onnx \"m.onnx\"")
        session.succeed("export m keras \"m.py\"")
        XCTAssertEqual(files(in: out), ["a.cnnbw", "c.cnnbw", "inner", "m.npz", "m.onnx", "m.py", "p.npy", "sub", "sub/b.npz"])
        XCTAssertEqual(session.manifestEntries, ["a.cnnbw", "sub/b.npz", "c.cnnbw", "p.npy", "m.onnx", "m.py", "m.npz"])
    }

    func testAnAllowedFolderLetsExactlyThatFolderThrough() throws {
        let (session, other) = try makeWorld()
        let sibling = try SessionHarness.makeFolder("sibling")
        XCTAssertEqual(try session.allowWrites(in: other), FolderPath.resolved(other))
        session.succeed("save m weights \"\(other)/w.cnnbw\"")
        session.succeed("predict m data.test to \"../\((other as NSString).lastPathComponent)/p.npy\"")
        XCTAssertEqual(files(in: other), ["p.npy", "victim.txt", "w.cnnbw"])
        // Beside it, above it, and out of it with `..`: still refused.
        for path in ["\(sibling)/w.cnnbw", "\(other)/../w.cnnbw", "\(other)/../\((sibling as NSString).lastPathComponent)/w.cnnbw"] {
            let error = try XCTUnwrap(session.fail("save m weights \"\(path)\""))
            XCTAssertEqual(error.message, "cannot write \"\(path)\": an absolute path outside the output folder (\(session.outputDirectory))")
            XCTAssertEqual(error.span.column, 16)
        }
        XCTAssertEqual(files(in: sibling), [])
        // Files written outside the output folder are not the run's to remove later.
        XCTAssertEqual(session.manifestEntries, [])
        XCTAssertEqual(session.writtenFiles.count, 2)
    }

    func testAllowingAFolderThatIsNotThereIsRefused() throws {
        let session = try SessionHarness.makeSession()
        XCTAssertThrowsError(try session.allowWrites(in: "/nonexistent/folder")) { error in
            XCTAssertEqual((error as? WriteFolderError)?.message, "cannot allow writing in /nonexistent/folder: there is no such folder")
        }
        XCTAssertEqual(session.allowedWriteFolders, [])
    }

    func testARunRemovesOnlyWhatTheLastRunListed() throws {
        let (session, other) = try makeWorld()
        let out = session.outputDirectory
        try FileManager.default.createDirectory(atPath: out + "/figures", withIntermediateDirectories: true)
        for user in ["thesis.txt", "figures/mine.png"] { try Data("mine".utf8).write(to: URL(fileURLWithPath: out + "/" + user)) }
        try session.startRun()
        session.succeed("save m weights \"m.cnnbw\"\nplot m")
        XCTAssertEqual(RunManifest.files(in: out), ["m.cnnbw", "figures/01-model.png", "figures/01-model.svg"])

        // A second run that writes less: the first run's files go, the person's stay.
        let second = Session(outputDirectory: out, dataOptions: session.dataOptions, environment: [:])
        try second.startRun()
        XCTAssertEqual(files(in: out), [".cnnb-run.json", "figures", "figures/mine.png", "thesis.txt"])
        XCTAssertEqual(RunManifest.files(in: out), [])

        // A manifest naming files outside the folder, links or folders removes none of them.
        let link = out + "/figures/link.png"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: other + "/victim.txt")
        try RunManifest.write(["../\((other as NSString).lastPathComponent)/victim.txt", other + "/victim.txt",
                               "figures/link.png", "figures", "./thesis.txt", ""], in: out)
        XCTAssertEqual(RunManifest.removeEarlierRun(in: out), [])
        XCTAssertEqual(files(in: out), [".cnnb-run.json", "figures", "figures/link.png", "figures/mine.png", "thesis.txt"])
        XCTAssertEqual(files(in: other), ["victim.txt"])
    }
}
