import Foundation
import TestSupport
import XCTest

/// Files are written whole or not at all: a `cnnb` killed with SIGKILL while `save` writes
/// leaves the file it was replacing as it was.
final class CrashSafetyTests: XCTestCase {
    func testAKilledSaveLeavesThePreviousFileWhole() throws {
        let binary = try CnnbBinary.path()
        let folder = try CnnbBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let small = "model small { input 4; dense 2 softmax }\n"
        let first = try Process.outcome(binary, ["repl", "--out", folder], input: small + "save small weights \"w.cnnbw\"\n")
        XCTAssertEqual(first.status, 0, first.stderr)
        let path = folder + "/w.cnnbw"
        let previous = try Data(contentsOf: URL(fileURLWithPath: path))

        let (process, killedAt) = try killMidSave(binary, folder: folder)
        let partial = try XCTUnwrap(killedAt, "the save finished before it could be killed mid-write")
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        XCTAssertEqual(process.terminationStatus, SIGKILL)
        XCTAssertLessThan(partial, 36_006_000 * 4)

        // The old file is byte for byte as it was, and loads.
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), previous)
        let reload = try Process.outcome(binary, ["repl", "--out", folder], input: small + "load small weights \"w.cnnbw\"\n")
        XCTAssertEqual(reload.status, 0, reload.stderr)
        XCTAssertTrue(reload.stdout.contains("loaded 10 weights of small"), reload.stdout)
    }

    /// The next save of a file removes the temporary file a killed save of it left, and nothing
    /// else: not a temporary file of a process still running, not a file of the user's.
    func testTheNextSaveRemovesTheTemporaryFileOfAKilledOne() throws {
        let binary = try CnnbBinary.path()
        let folder = try CnnbBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (killed, killedAt) = try killMidSave(binary, folder: folder)
        XCTAssertNotNil(killedAt, "the save finished before it could be killed mid-write")
        let pid = killed.processIdentifier
        let left = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".w.cnnbw.\(pid).") }
        XCTAssertEqual(left.count, 1, "the killed save's temporary file: \(left)")
        XCTAssertTrue(left.allSatisfy { $0.hasSuffix(".tmp") }, "\(left)")
        // This test's process is alive: its temporary file stands for someone's write in progress.
        // The others are not cnnb's temporary files of w.cnnbw.
        let others = [".w.cnnbw.\(getpid()).17.tmp", ".w.cnnbw.notes.tmp", ".w.cnnbw.\(pid)x.2.tmp",
                      ".other.npz.\(pid).3.tmp", "w.cnnbw.\(pid).4.tmp"]
        for name in others { XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/" + name, contents: Data("mine".utf8))) }

        let save = try Process.outcome(binary, ["repl", "--out", folder],
                                       input: "model small { input 4; dense 2 softmax }\nsave small weights \"w.cnnbw\"\n")
        XCTAssertEqual(save.status, 0, save.stderr)
        let after = try FileManager.default.contentsOfDirectory(atPath: folder)
        XCTAssertFalse(after.contains { $0.hasPrefix(".w.cnnbw.\(pid).") }, "\(after.sorted())")
        XCTAssertTrue(after.contains("w.cnnbw"))
        for name in others { XCTAssertEqual(try? Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)), Data("mine".utf8), name) }
    }

    /// Starts a `cnnb` that saves 36,006,000 weights (144 MB) as `w.cnnbw` in `folder`, and kills
    /// it (SIGKILL) once the temporary file has begun; returns it and the temporary file's size
    /// when killed (nil if the save finished first).
    func killMidSave(_ binary: String, folder: String) throws -> (Process, Int?) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["repl", "--out", folder]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data("model big { input 6000; dense 6000 }\nsave big weights \"w.cnnbw\"\n".utf8))
        let full = 36_006_000 * 4
        var killedAt: Int?
        let deadline = Date().addingTimeInterval(120)
        while killedAt == nil && process.isRunning && Date() < deadline {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            where name.hasPrefix(".w.cnnbw.") && name.hasSuffix(".tmp") {
                let size = (try? FileManager.default.attributesOfItem(atPath: folder + "/" + name)[.size] as? Int) ?? 0
                if size > 0 && size < full / 2 {
                    kill(process.processIdentifier, SIGKILL)
                    killedAt = size
                }
            }
            usleep(500)
        }
        process.waitUntilExit()
        try? input.fileHandleForWriting.close()
        return (process, killedAt)
    }
}
