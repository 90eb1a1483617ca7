import Basics
import Engine

/// A dataset that could not be read, found or fetched: what went wrong (naming the file) and
/// what would fix it.
public struct DataError: ExplainedError, Equatable {
    public var message: String
    public var hint: String?
    public init(_ message: String, hint: String? = nil) { self.message = message; self.hint = hint }
    public var description: String { hint.map { "\(message)\n  hint: \($0)" } ?? message }

    /// Reading stopped on request (Ctrl-C) before the data was whole.
    public static let stopped = DataError("loading stopped with Ctrl-C; nothing was loaded",
                                          hint: "the session keeps the values it had; run the statement again to load")
}
