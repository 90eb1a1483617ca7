import Basics
import Engine

/// A dataset that could not be read, found or fetched: what went wrong (naming the file) and
/// what would fix it.
public struct DataError: ExplainedError, Equatable {
    public var message: String
    public var hint: String?
    public init(_ message: String, hint: String? = nil) { self.message = message; self.hint = hint }
    public var description: String { hint.map { "\(message)\n  hint: \($0)" } ?? message }
}
