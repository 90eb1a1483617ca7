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

        // 36,006,000 weights (144 MB) saved over it; killed once the temporary file has begun.
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
        let partial = try XCTUnwrap(killedAt, "the save finished before it could be killed mid-write")
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        XCTAssertEqual(process.terminationStatus, SIGKILL)
        XCTAssertLessThan(partial, full)

        // The old file is byte for byte as it was, and loads.
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), previous)
        let reload = try Process.outcome(binary, ["repl", "--out", folder], input: small + "load small weights \"w.cnnbw\"\n")
        XCTAssertEqual(reload.status, 0, reload.stderr)
        XCTAssertTrue(reload.stdout.contains("loaded 10 weights of small"), reload.stdout)
    }
}
