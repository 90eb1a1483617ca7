import Basics
import Engine

/// Why a model or array could not be written to or read from another tool's format, with
/// what would fix it.
public struct InteropError: ExplainedError, Equatable {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
