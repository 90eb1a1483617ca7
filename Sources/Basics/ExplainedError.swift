/// An error written for a person: what went wrong and, when known, what would fix it. The
/// engine's, the data's and interop's errors share it, so the language turns any of them into
/// a diagnostic the same way.
public protocol ExplainedError: Error, CustomStringConvertible {
    var message: String { get }
    var hint: String? { get }
}

extension ExplainedError {
    public var description: String { hint.map { "\(message) (\($0))" } ?? message }
}
