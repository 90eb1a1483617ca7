/// An error written for a person: what went wrong and, when known, what would fix it. The
/// engine's, the data's and interop's errors share it, so the language turns any of them into
/// a diagnostic the same way.
public protocol ExplainedError: Error, CustomStringConvertible {
    var message: String { get }
    var hint: String? { get }
}

extension ExplainedError {
    /// The message, then the hint on its own line, as diagnostics show them.
    public var description: String { hint.map { "\(message)\n  hint: \($0)" } ?? message }
}

/// The one error value cnnb's modules throw: a message and, when known, a hint. Each module
/// names it for its stage (`ShapeError`, `ModelError`, `DataError`, …) so signatures say what
/// failed, but there is one type, one initialiser and one way to print it.
public struct Problem: ExplainedError, Equatable {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
