import Basics
/// Why a model operation cannot be done, with what would fix it.
public struct ModelError: ExplainedError, Equatable {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
