import Foundation
import XCTest

/// The one way tests find the `cnnb` executable that `swift build` / `swift test` put next to
/// the test bundle, and run it.
public enum CnnbBinary {
    /// `$CNNB_BINARY`, else `cnnb` in the products folder the tests were built into.
    public static func path() throws -> String {
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["CNNB_BINARY"], !path.isEmpty {
            guard fileManager.isExecutableFile(atPath: path) else {
                throw MissingTool.error("CNNB_BINARY=\(path) is not an executable file")
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
        folders.append(MissingTool.checkout.appendingPathComponent(".build/debug"))
        for folder in folders {
            let candidate = folder.appendingPathComponent("cnnb").path
            if fileManager.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw MissingTool.error("no cnnb executable next to the tests (looked in \(folders.map(\.path))); "
                                + "run `swift build` first or set CNNB_BINARY")
    }

    /// Runs the built `cnnb ARGUMENTS` with `input` on a pipe.
    public static func run(_ arguments: [String] = [], input: String = "", environment: [String: String] = [:],
                           directory: String? = nil, timeout: TimeInterval = 120) throws -> Process.Outcome {
        try Process.outcome(try path(), arguments, input: input, environment: environment,
                            directory: directory, timeout: timeout)
    }

    /// A fresh folder under the temporary directory; the caller removes it.
    public static func temporaryFolder(_ name: String = "repl") throws -> String {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("cnnb-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
