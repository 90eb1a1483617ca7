import Foundation
import XCTest

/// What a test needs from outside the package (a program, a Python module, a data folder). On a
/// developer's machine a missing one skips the test with the way to get it; on CI (`CI=true`)
/// the same absence is a failure, so a check cannot quietly stop running.
public enum MissingTool {
    public static var onCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The error to throw from a test that cannot run: `XCTSkip` locally, a failure on CI.
    public static func error(_ reason: String) -> Error {
        onCI ? Failure(description: reason + " (CI=true: a missing tool fails the test)") : XCTSkip(reason)
    }

    /// The first executable named one of `names` in `$PATH`, else nil.
    public static func onPath(_ names: [String]) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in names {
            for folder in path.split(separator: ":") {
                let candidate = "\(folder)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    /// Like `onPath`, but throws `error(…)` naming the Debian package when none is found.
    public static func require(_ names: [String], debian package: String) throws -> String {
        guard let found = onPath(names) else {
            throw error("no \(names.joined(separator: " or ")) on PATH (Debian package \(package); bash .ci/install)")
        }
        return found
    }

    /// The checkout this test target was compiled from.
    public static let checkout: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
}
