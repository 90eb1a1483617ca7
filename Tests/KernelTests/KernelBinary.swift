import Foundation
import XCTest

/// Finds the built `cnnb` and the .venv's python3, and runs programs with a time limit.
enum KernelBinary {
    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `$CNNB_BINARY`, else `cnnb` in the products folder the tests were built into.
    static func path() throws -> String {
        if let path = ProcessInfo.processInfo.environment["CNNB_BINARY"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else { throw XCTSkip("CNNB_BINARY=\(path) is not an executable file") }
            return path
        }
        var folders: [URL] = []
        for bundle in [Bundle.main] + Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
        }
        folders.append(checkout.appendingPathComponent(".build/debug"))
        for folder in folders {
            let candidate = folder.appendingPathComponent("cnnb").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw XCTSkip("no cnnb executable next to the tests (looked in \(folders.map(\.path))); run `swift build` first")
    }

    /// The .venv's python3 that `.ci/install` makes, else python3 on the PATH.
    static let python: String = {
        let venv = checkout.appendingPathComponent(".venv/bin/python3").path
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = String(folder) + "/python3"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "/usr/bin/python3"
    }()

    /// Skips (fails on CI) unless python3 imports every module.
    static func requirePython(_ modules: [String]) throws {
        let check = try run(python, ["-c", "import " + modules.joined(separator: ", ")], timeout: 120)
        guard check.status != 0 else { return }
        let reason = "\(python) cannot import \(modules.joined(separator: ", ")); run bash .ci/install"
        // On CI a missing peer is a failure, never a skip.
        if ProcessInfo.processInfo.environment["CI"] == "true" { throw MissingPeer(description: reason) }
        throw XCTSkip(reason)
    }

    struct MissingPeer: Error, CustomStringConvertible { var description: String }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    timeout: TimeInterval) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["CNNB_LIMIT"] = nil
        env["CNNB_EPOCHS"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let stdout = Pipe(), stderr = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
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
        if group.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            group.wait()
            XCTFail("\(executable) \(arguments.joined(separator: " ")) took longer than \(Int(timeout))s")
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: out.data, as: UTF8.self),
                      stderr: String(decoding: err.data, as: UTF8.self))
    }
}
