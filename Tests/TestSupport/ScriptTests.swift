import Foundation

/// Python test scripts run one test per XCTest method (the pty and Jupyter tests). This finds
/// the script's `def test_…` names that the Swift file never runs, so none is silently left out.
public enum ScriptTests {
    /// The tests in `script`, and those of them that `callerFile` never names as `runner("NAME")`.
    public static func unrun(script: String, callerFile: String, runner: String) throws -> (all: Set<String>, unrun: Set<String>) {
        let source = try String(contentsOfFile: script, encoding: .utf8)
        let all = Set(source.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("def test_") else { return nil }
            return String(trimmed.dropFirst(4).prefix { $0 != "(" })
        })
        let caller = try String(contentsOfFile: callerFile, encoding: .utf8)
        return (all, all.filter { !caller.contains("\(runner)(\"\($0)\")") })
    }
}
