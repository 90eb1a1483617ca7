/// Turns cnnb source into tokens, reporting malformed text as diagnostics and going on.
///
/// Line breaks are statement separators except inside `( )` and `[ ]`, where a list or an argument
/// may span lines; inside `{ }` they separate the layers of a model block.
public struct Lexer {
    private let bytes: [UInt8]
    private let file: String
    private let end: Int
    private var index: Int
    private var line: Int
    private var column: Int
    private var brackets: [UInt8] = []
    private var spaceBefore = true
    private var atLineStart = true
    private var tokens: [Token] = []
    private var diagnostics: [Diagnostic] = []

    /// Tokens of `source` (ending with `.end`) and the problems found. `firstLine` numbers the
    /// first line, so a REPL entry or a notebook cell keeps its place in a larger text.
    public static func tokenize(_ source: String, file: String = "<input>", firstLine: Int = 1) -> ([Token], [Diagnostic]) {
        let bytes = Array(source.utf8)
        return tokenize(bytes: bytes, file: file, range: 0..<bytes.count, firstLine: firstLine)
    }

    static func tokenize(bytes: [UInt8], file: String, range: Range<Int>, firstLine: Int) -> ([Token], [Diagnostic]) {
        var lexer = Lexer(bytes: bytes, file: file, range: range, firstLine: firstLine)
        lexer.run()
        return (lexer.tokens, lexer.diagnostics)
    }

    /// How many `(`, `[` and `{` are still open at the end of `source`: a REPL reads more lines
    /// while this is positive.
    public static func openBracketCount(in source: String) -> Int {
        let bytes = Array(source.utf8)
        var lexer = Lexer(bytes: bytes, file: "<input>", range: 0..<bytes.count, firstLine: 1)
        lexer.run()
        return lexer.brackets.count
    }

    private init(bytes: [UInt8], file: String, range: Range<Int>, firstLine: Int) {
        self.bytes = bytes
        self.file = file
        self.index = range.lowerBound
        self.end = range.upperBound
        self.line = firstLine
        self.column = 1
    }

    // MARK: - Scanning

    private func peek(_ ahead: Int = 0) -> UInt8 {
        let i = index + ahead
        return i < end ? bytes[i] : 0
    }

    private var atEnd: Bool { index >= end }

    /// Moves one byte on, keeping the column in Unicode scalars.
    private mutating func advance() {
        let byte = bytes[index]
        index += 1
        if byte == UInt8(ascii: "\n") {
            line += 1
            column = 1
        } else if byte & 0xC0 != 0x80 {
            column += 1
        }
    }

    private func span(from start: (offset: Int, line: Int, column: Int)) -> SourceSpan {
        SourceSpan(file: file, line: start.line, column: start.column, offset: start.offset, length: index - start.offset)
    }

    private var mark: (offset: Int, line: Int, column: Int) { (index, line, column) }

    private mutating func emit(_ kind: TokenKind, from start: (offset: Int, line: Int, column: Int)) {
        tokens.append(Token(kind: kind, span: span(from: start), precededBySpace: spaceBefore, startsLine: atLineStart))
        spaceBefore = false
        atLineStart = false
    }

    private mutating func report(_ message: String, from start: (offset: Int, line: Int, column: Int), hint: String? = nil) {
        diagnostics.append(.error(message, at: span(from: start), hint: hint))
    }

    private mutating func run() {
        while !atEnd {
            let byte = peek()
            let start = mark
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                advance()
                spaceBefore = true
            case 0xEF where peek(1) == 0xBB && peek(2) == 0xBF:
                // U+FEFF, a byte-order mark some editors write at the start of a file: a blank.
                advance(); advance(); advance()
                spaceBefore = true
            case UInt8(ascii: "\n"):
                advance()
                if brackets.last != UInt8(ascii: "(") && brackets.last != UInt8(ascii: "[") {
                    tokens.append(Token(kind: .newline, span: SourceSpan(file: file, line: start.line, column: start.column, offset: start.offset, length: 1),
                                        precededBySpace: spaceBefore, startsLine: atLineStart))
                }
                spaceBefore = true
                atLineStart = true
            case UInt8(ascii: "#"):
                while !atEnd && peek() != UInt8(ascii: "\n") { advance() }
                spaceBefore = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                lexNumber()
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
                while isIdentifierByte(peek()) && !atEnd { advance() }
                emit(.identifier(String(decoding: bytes[start.offset..<index], as: UTF8.self)), from: start)
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                lexString()
            case UInt8(ascii: "."):
                if peek(1) == UInt8(ascii: ".") && peek(2) == UInt8(ascii: "<") {
                    advance(); advance(); advance()
                    emit(.halfOpenRange, from: start)
                } else if peek(1) == UInt8(ascii: ".") && peek(2) == UInt8(ascii: ".") {
                    advance(); advance(); advance()
                    emit(.closedRange, from: start)
                } else if peek(1) == UInt8(ascii: ".") {
                    advance(); advance()
                    report("'..' is not an operator", from: start,
                           hint: "write '..<' for a range without its end (0..<25) or '...' for one with it (0...24)")
                    spaceBefore = true
                } else if isDigit(peek(1)) && (spaceBefore || !(tokens.last.map(\.kind).map(endsOperand) ?? false)) {
                    lexLeadingDotNumber()
                } else {
                    advance()
                    emit(.dot, from: start)
                }
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"):
                advance()
                brackets.append(byte)
                emit(byte == UInt8(ascii: "(") ? .leftParen : byte == UInt8(ascii: "[") ? .leftBracket : .leftBrace, from: start)
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
                advance()
                let opener: UInt8 = byte == UInt8(ascii: ")") ? UInt8(ascii: "(") : byte == UInt8(ascii: "]") ? UInt8(ascii: "[") : UInt8(ascii: "{")
                if let depth = brackets.lastIndex(of: opener) { brackets.removeSubrange(depth...) }
                emit(byte == UInt8(ascii: ")") ? .rightParen : byte == UInt8(ascii: "]") ? .rightBracket : .rightBrace, from: start)
            default:
                if let kind = twoCharacterOperator(byte, peek(1)) {
                    advance(); advance()
                    emit(kind, from: start)
                } else if let kind = punctuation(byte) {
                    advance()
                    emit(kind, from: start)
                } else if byte == UInt8(ascii: ":"), brackets.last == UInt8(ascii: "{"),
                          case .integer = tokens.last?.kind {
                    // `{0: 1.0, 1: 3.5}`: a class's weight after its number, Keras's dictionary.
                    // Anywhere else a colon stays an unexpected character with its hint.
                    advance()
                    emit(.colon, from: start)
                } else {
                    lexUnknownCharacter()
                }
            }
        }
        tokens.append(Token(kind: .end, span: SourceSpan(file: file, line: line, column: column, offset: index, length: 0),
                            precededBySpace: true, startsLine: atLineStart))
    }

    /// `//`, `==`, `!=`, `<=`, `>=`.
    private func twoCharacterOperator(_ byte: UInt8, _ next: UInt8) -> TokenKind? {
        switch (byte, next) {
        case (UInt8(ascii: "/"), UInt8(ascii: "/")): return .doubleSlash
        case (UInt8(ascii: "="), UInt8(ascii: "=")): return .equalEqual
        case (UInt8(ascii: "!"), UInt8(ascii: "=")): return .notEqual
        case (UInt8(ascii: "<"), UInt8(ascii: "=")): return .lessEqual
        case (UInt8(ascii: ">"), UInt8(ascii: "=")): return .greaterEqual
        default: return nil
        }
    }

    private func punctuation(_ byte: UInt8) -> TokenKind? {
        switch byte {
        case UInt8(ascii: ";"): return .semicolon
        case UInt8(ascii: ","): return .comma
        case UInt8(ascii: "+"): return .plus
        case UInt8(ascii: "-"): return .minus
        case UInt8(ascii: "*"): return .star
        case UInt8(ascii: "/"): return .slash
        case UInt8(ascii: "%"): return .percent
        case UInt8(ascii: "="): return .equals
        case UInt8(ascii: "<"): return .less
        case UInt8(ascii: ">"): return .greater
        default: return nil
        }
    }

    private func isIdentifierByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// Tokens after which a touching '.' is a member access (`data.train`, `x[0].y`).
    private func endsOperand(_ kind: TokenKind) -> Bool {
        switch kind {
        case .identifier, .integer, .float, .size, .string, .rightParen, .rightBracket: return true
        default: return false
        }
    }

    /// `.5`: reported (numbers start with a digit) and read as the number it means.
    private mutating func lexLeadingDotNumber() {
        let start = mark
        advance()
        while isDigit(peek()) && !atEnd { advance() }
        let digits = String(decoding: bytes[start.offset..<index], as: UTF8.self)
        report("a number must start with a digit: '\(digits)'", from: start, hint: "write 0\(digits)")
        emit(.float(Double("0" + digits) ?? 0), from: start)
    }

    private mutating func lexUnknownCharacter() {
        let start = mark
        advance()
        while !atEnd && peek() & 0xC0 == 0x80 { advance() }
        let text = String(decoding: bytes[start.offset..<index], as: UTF8.self)
        let shown: String
        if let scalar = text.unicodeScalars.first, scalar.value < 0x20 || scalar.value == 0x7F {
            shown = "U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
        } else {
            shown = "'\(text)'"
        }
        let hint: String?
        switch text {
        case ":": hint = "ranges are written 0..<25, and options without ':' (stride 2)"
        case "\u{201C}", "\u{201D}", "\u{2018}", "\u{2019}": hint = "use straight quotes: \"text\""
        case "\u{00D7}": hint = "sizes are written with the letter x: 3x3"
        case "!", "&", "|", "<", ">": hint = "cnnb has no comparison or logic operators"
        default: hint = "remove it: cnnb is written with letters, digits, quotes and ( ) [ ] { } , ; . = + - * / % #"
        }
        report("unexpected character \(shown)", from: start, hint: hint)
        spaceBefore = true
    }

    // MARK: - Numbers and sizes

    /// `42`, `0.5`, `1e-3`, and sizes `32x32x3`. Letters glued to a number are an error
    /// (`32x` is an unfinished size, `3px` is not a number).
    private mutating func lexNumber() {
        let start = mark
        var axes: [Int] = []
        var partStart = index
        while isDigit(peek()) && !atEnd { advance() }
        if peek() == UInt8(ascii: "x") && isDigit(peek(1)) {
            while true {
                axes.append(integerValue(partStart..<index, from: start))
                guard peek() == UInt8(ascii: "x") && index + 1 < end && isDigit(peek(1)) else { break }
                advance()
                partStart = index
                while isDigit(peek()) && !atEnd { advance() }
            }
            if !atEnd && isIdentifierByte(peek()) {
                return badNumber(from: start, size: true)
            }
            emit(.size(axes), from: start)
            return
        }
        var isFloat = false
        if peek() == UInt8(ascii: ".") && isDigit(peek(1)) && index + 1 < end {
            isFloat = true
            advance()
            while isDigit(peek()) && !atEnd { advance() }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            let sign = peek(1) == UInt8(ascii: "+") || peek(1) == UInt8(ascii: "-") ? 1 : 0
            if index + 1 + sign < end && isDigit(peek(1 + sign)) {
                isFloat = true
                advance()
                if sign == 1 { advance() }
                while isDigit(peek()) && !atEnd { advance() }
            }
        }
        if !atEnd && isIdentifierByte(peek()) {
            return badNumber(from: start, size: peek() == UInt8(ascii: "x"))
        }
        let text = String(decoding: bytes[start.offset..<index], as: UTF8.self)
        if isFloat {
            if let value = Double(text), value.isFinite {
                emit(.float(value), from: start)
            } else {
                report("number '\(text)' is out of range", from: start, hint: "numbers go up to about 1.8e308")
                emit(.float(0), from: start)
            }
        } else {
            emit(.integer(integerValue(start.offset..<index, from: start)), from: start)
        }
    }

    private mutating func integerValue(_ range: Range<Int>, from start: (offset: Int, line: Int, column: Int)) -> Int {
        let text = String(decoding: bytes[range], as: UTF8.self)
        if let value = Int(text) { return value }
        diagnostics.append(.error("number '\(text)' is too large", at: SourceSpan(
            file: file, line: start.line, column: start.column + (range.lowerBound - start.offset),
            offset: range.lowerBound, length: range.count), hint: "whole numbers go up to \(Int.max)"))
        return 0
    }

    /// A number with letters glued on: reported once, with the whole glued word underlined.
    private mutating func badNumber(from start: (offset: Int, line: Int, column: Int), size: Bool) {
        while !atEnd && (isIdentifierByte(peek()) || (peek() == UInt8(ascii: ".") && isDigit(peek(1)))) { advance() }
        let text = String(decoding: bytes[start.offset..<index], as: UTF8.self)
        if size && text.hasSuffix("x") {
            report("incomplete size '\(text)': a number must follow the last 'x'", from: start,
                   hint: "a size is numbers joined by 'x', such as 32x32x3 or 3x3; one number stands for every axis")
        } else if size {
            report("malformed size '\(text)'", from: start,
                   hint: "a size is numbers joined by 'x', such as 32x32x3 or 3x3; one number stands for every axis")
        } else {
            report("malformed number '\(text)'", from: start,
                   hint: "separate a number from the next word with a space")
        }
        // A stand-in keeps the parser from reporting a missing value where the lexer already
        // reported a malformed one.
        emit(.integer(0), from: start)
    }

    // MARK: - Strings

    /// `"…"` or `'…'` on one line, with escapes \n \t \r \0 \\ \" \'.
    private mutating func lexString() {
        let start = mark
        let quote = peek()
        advance()
        var value: [UInt8] = []
        while true {
            if atEnd || peek() == UInt8(ascii: "\n") {
                report("unterminated string", from: start,
                       hint: "end the string with \(quote == UInt8(ascii: "\"") ? "\"" : "'") on the same line")
                emit(.string(String(decoding: value, as: UTF8.self)), from: start)
                return
            }
            let byte = peek()
            if byte == quote {
                advance()
                break
            }
            if byte == UInt8(ascii: "\\") {
                let escapeStart = mark
                advance()
                if atEnd || peek() == UInt8(ascii: "\n") { continue }
                let escaped = peek()
                advance()
                switch escaped {
                case UInt8(ascii: "n"): value.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "t"): value.append(UInt8(ascii: "\t"))
                case UInt8(ascii: "r"): value.append(UInt8(ascii: "\r"))
                case UInt8(ascii: "0"): value.append(0)
                case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): value.append(escaped)
                default:
                    while !atEnd && peek() & 0xC0 == 0x80 { advance() }
                    let text = String(decoding: bytes[escapeStart.offset..<index], as: UTF8.self)
                    report("unknown escape '\(text)' in string", from: escapeStart,
                           hint: "known escapes are \\n \\t \\r \\0 \\\\ \\\" \\'")
                    value.append(contentsOf: bytes[(escapeStart.offset + 1)..<index])
                }
                continue
            }
            value.append(byte)
            advance()
        }
        emit(.string(String(decoding: value, as: UTF8.self)), from: start)
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
