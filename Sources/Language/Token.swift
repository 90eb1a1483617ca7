/// The smallest pieces of cnnb source, as the lexer produces them.
public enum TokenKind: Hashable, Sendable {
    case identifier(String)
    case integer(Int)
    case float(Double)
    /// A size written `AxBxC` (`32x32x3`, `3x3`); a plain number is an `integer`.
    case size([Int])
    case string(String)
    /// The end of a statement: a line break outside `( )` and `[ ]`.
    case newline
    case semicolon
    case comma
    /// Between a key and its value in `{0: 1.0, 1: 3.5}`.
    case colon
    case dot
    case leftParen, rightParen
    case leftBracket, rightBracket
    case leftBrace, rightBrace
    case plus, minus, star, slash, percent
    /// `//`, Python's floor division.
    case doubleSlash
    case equals
    /// Comparisons: `==`, `!=`, `<`, `<=`, `>`, `>=`.
    case equalEqual, notEqual, less, lessEqual, greater, greaterEqual
    /// `..<`
    case halfOpenRange
    /// `...`
    case closedRange
    /// The end of the text being parsed (always the last token).
    case end
}

public struct Token: Hashable, Sendable {
    public var kind: TokenKind
    public var span: SourceSpan
    /// Whitespace (or the start of a line) comes right before the token. `x[0]` indexes while
    /// `show x [0]` passes a list: postfix `[` and `.` must touch what they apply to.
    public var precededBySpace: Bool
    /// The token is the first one on its line.
    public var startsLine: Bool

    public init(kind: TokenKind, span: SourceSpan, precededBySpace: Bool, startsLine: Bool) {
        self.kind = kind
        self.span = span
        self.precededBySpace = precededBySpace
        self.startsLine = startsLine
    }
}

extension TokenKind {
    /// How the token is named in messages: `'conv'`, `number 3`, `end of line`.
    var described: String {
        switch self {
        case .identifier(let word): return "'\(word)'"
        case .integer(let value): return "number \(value)"
        case .float(let value): return "number \(value)"
        case .size(let axes): return "size \(axes.map(String.init).joined(separator: "x"))"
        case .string: return "a string"
        case .newline: return "end of line"
        case .semicolon: return "';'"
        case .comma: return "','"
        case .colon: return "':'"
        case .dot: return "'.'"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .leftBracket: return "'['"
        case .rightBracket: return "']'"
        case .leftBrace: return "'{'"
        case .rightBrace: return "'}'"
        case .plus: return "'+'"
        case .minus: return "'-'"
        case .star: return "'*'"
        case .slash: return "'/'"
        case .percent: return "'%'"
        case .equals: return "'='"
        case .doubleSlash: return "'//'"
        case .equalEqual: return "'=='"
        case .notEqual: return "'!='"
        case .less: return "'<'"
        case .lessEqual: return "'<='"
        case .greater: return "'>'"
        case .greaterEqual: return "'>='"
        case .halfOpenRange: return "'..<'"
        case .closedRange: return "'...'"
        case .end: return "end of input"
        }
    }

    var identifier: String? {
        if case .identifier(let word) = self { return word }
        return nil
    }
}
