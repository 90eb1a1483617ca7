import Foundation
import XCTest

/// Finds the `cnnb` executable `swift build` / `swift test` put next to the test bundle, and
/// runs it or other programs with input and a time limit.
enum ReplBinary {
    /// `$CNNB_BINARY`, else `cnnb` in the products folder the tests were built into.
    static func path() throws -> String {
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["CNNB_BINARY"], !path.isEmpty {
            guard fileManager.isExecutableFile(atPath: path) else {
                throw XCTSkip("CNNB_BINARY=\(path) is not an executable file")
            }
            return path
        }
        var folders: [URL] = []
        // Linux: the tests are an executable in the products folder; macOS: a bundle in it.
        for bundle in [Bundle.main] + Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
        }
        if let first = CommandLine.arguments.first {
            var url = URL(fileURLWithPath: first).resolvingSymlinksInPath()
            while url.path != "/" {
                if url.pathExtension == "xctest" { folders.append(url.deletingLastPathComponent()); break }
                url.deleteLastPathComponent()
            }
        }
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        folders.append(package.appendingPathComponent(".build/debug"))
        for folder in folders {
            let candidate = folder.appendingPathComponent("cnnb").path
            if fileManager.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw XCTSkip("no cnnb executable next to the tests (looked in \(folders.map(\.path))); "
                      + "run `swift build` first or set CNNB_BINARY")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable` with `input` on its standard input (a pipe, not a terminal).
    static func run(_ executable: String, _ arguments: [String] = [], input: String = "",
                    environment: [String: String] = [:], directory: String? = nil,
                    timeout: TimeInterval = 120) throws -> Result {
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
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: out.data, as: UTF8.self),
                      stderr: String(decoding: err.data, as: UTF8.self))
    }

    static func temporaryFolder() throws -> String {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("cnnb-repl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
