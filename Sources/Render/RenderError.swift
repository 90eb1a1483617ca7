/// Why a picture, table or report could not be made; the message says what to change.
public enum RenderError: Error, Equatable, CustomStringConvertible {
    /// The values given do not describe a picture (wrong pixel count, empty series, ...).
    case invalidInput(String)
    /// cairo reported a failure while drawing.
    case drawing(String)

    public var description: String {
        switch self {
        case .invalidInput(let message):
            return message
        case .drawing(let message):
            return "drawing failed: \(message)"
        }
    }
}
