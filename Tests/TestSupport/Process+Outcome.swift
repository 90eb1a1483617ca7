import Foundation
import XCTest

extension Process {
    /// What a finished program left: its exit status and everything it printed.
    public struct Outcome {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `executable` with `input` on its standard input (a pipe, not a terminal) and waits,
    /// failing the calling test when it outlives `timeout`. `environment` is added to this
    /// process's own, minus the variables that shorten a run (`CNNB_LIMIT`, `CNNB_EPOCHS`).
    public static func outcome(_ executable: String, _ arguments: [String] = [], input: String = "",
                               environment: [String: String] = [:], directory: String? = nil,
                               timeout: TimeInterval = 120) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["CNNB_LIMIT"] = nil
        env["CNNB_EPOCHS"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        // Read both pipes while the process runs so a full pipe cannot block it.
        final class Box: @unchecked Sendable { var data = Data() }
        let out = Box(), err = Box()
        let group = DispatchGroup()
        for (pipe, box) in [(stdout, out), (stderr, err)] {
            group.enter()
            DispatchQueue.global().async {
                box.data = pipe.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
        }
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        if group.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            group.wait()
            process.waitUntilExit()
            XCTFail("\(executable) \(arguments.joined(separator: " ")) took longer than \(Int(timeout))s")
        }
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus,
                       stdout: String(decoding: out.data, as: UTF8.self),
                       stderr: String(decoding: err.data, as: UTF8.self))
    }
}
