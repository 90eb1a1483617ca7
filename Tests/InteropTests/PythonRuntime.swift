import Foundation
import XCTest

/// Runs python3 for the tests that check cnnb's files against NumPy, onnxruntime and Keras:
/// the virtual environment `.ci/install` makes (`.venv` in the checkout) when there is one.
enum PythonRuntime {
    static let executable: String = {
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let venv = checkout.appendingPathComponent(".venv/bin/python3").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3"
    }()

    /// On CI a missing peer is a failure, never a skip.
    static var onCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    struct Result {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs `python3 ARGUMENTS` and waits; nil when python3 cannot be started.
    static func run(_ arguments: [String], timeout: TimeInterval = 600) -> Result? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment["TF_CPP_MIN_LOG_LEVEL"] = "3"
        // Keras 3 on JAX: the light backend the test environment installs.
        if environment["KERAS_BACKEND"] == nil { environment["KERAS_BACKEND"] = "jax" }
        process.environment = environment
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("cnnb-py-\(UUID().uuidString).out")
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("cnnb-py-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outputFile)
            try? FileManager.default.removeItem(at: errorFile)
        }
        guard let out = try? FileHandle(forWritingTo: outputFile), let err = try? FileHandle(forWritingTo: errorFile) else { return nil }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? out.close()
        try? err.close()
        let output = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        return Result(status: process.terminationStatus, output: output, errors: errors)
    }

    /// Skips the test unless python3 imports every one of `modules`; when one is missing and
    /// `install` names pip packages, installs them first (once per test run).
    static func require(_ modules: [String], install: [String]) throws {
        let check = ["-c", "import " + modules.joined(separator: ", ")]
        if run(check, timeout: 120)?.status == 0 { return }
        if !install.isEmpty {
            let pip = run(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--retries", "1", "--timeout", "30"] + install, timeout: 600)
            if run(check, timeout: 120)?.status == 0 { return }
            let reason = pip.map { $0.errors.split(separator: "\n").suffix(3).joined(separator: " ") } ?? "python3 did not start"
            throw missing("python3 cannot import \(modules.joined(separator: ", ")) and pip install \(install.joined(separator: " ")) failed: \(reason)")
        }
        throw missing("python3 cannot import \(modules.joined(separator: ", ")); this check runs where they are installed (bash .ci/install)")
    }

    struct MissingPeer: Error, CustomStringConvertible { var description: String }

    private static func missing(_ reason: String) -> Error {
        onCI ? MissingPeer(description: reason) : XCTSkip(reason)
    }
}
