/// A problem found in a program: what went wrong, where, and what would fix it.
///
/// Lexer, parser and (later) the interpreter all report problems as values of this type; nothing
/// user-reachable traps.
public struct Diagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Hashable, Sendable {
        case error, warning, note
    }

    /// A secondary remark, such as where a bracket was opened.
    public struct Note: Hashable, Sendable {
        public var message: String
        public var span: SourceSpan?
        public init(_ message: String, span: SourceSpan? = nil) {
            self.message = message
            self.span = span
        }
    }

    public var severity: Severity
    public var message: String
    public var span: SourceSpan
    public var hint: String?
    public var notes: [Note]

    public init(_ severity: Severity = .error, _ message: String, at span: SourceSpan,
                hint: String? = nil, notes: [Note] = []) {
        self.severity = severity
        self.message = message
        self.span = span
        self.hint = hint
        self.notes = notes
    }

    public static func error(_ message: String, at span: SourceSpan, hint: String? = nil,
                             notes: [Note] = []) -> Diagnostic {
        Diagnostic(.error, message, at: span, hint: hint, notes: notes)
    }

    /// `FILE:LINE:COL: error: MESSAGE`, without the source excerpt.
    public var description: String { "\(span): \(severity.rawValue): \(message)" }

    /// The full text shown to a person: the header line, the source line, a caret line under the
    /// culprit, then the hint and notes. `source` is the text that was parsed (the whole file).
    public func rendered(source: String, color: Bool = false) -> String {
        DiagnosticRenderer(source: source, color: color).render(self)
    }
}

/// Renders diagnostics in the form compilers use:
///
///     cifar.cnnb:12:5: error: unknown layer kind 'conw'
///         conw 32 3x3 relu
///         ^~~~
///     hint: did you mean 'conv'?
public struct DiagnosticRenderer {
    private let bytes: [UInt8]
    private let color: Bool

    public init(source: String, color: Bool = false) {
        self.bytes = Array(source.utf8)
        self.color = color
    }

    /// All diagnostics, one block each, separated by newlines; ends with a newline when not empty.
    public func render(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map { render($0) + "\n" }.joined()
    }

    public func render(_ diagnostic: Diagnostic) -> String {
        var lines: [String] = []
        let label = diagnostic.severity.rawValue
        let header = "\(diagnostic.span): \(paint(label + ":", diagnostic.severity)) \(diagnostic.message)"
        lines.append(color ? "\u{1B}[1m" + header + "\u{1B}[0m" : header)
        if let excerpt = excerpt(for: diagnostic.span) {
            lines.append(excerpt.line)
            lines.append(color ? "\u{1B}[32;1m" + excerpt.carets + "\u{1B}[0m" : excerpt.carets)
        }
        if let hint = diagnostic.hint {
            lines.append("hint: " + hint)
        }
        for note in diagnostic.notes {
            if let span = note.span {
                lines.append("\(span): note: \(note.message)")
            } else {
                lines.append("note: \(note.message)")
            }
        }
        return lines.joined(separator: "\n")
    }

    private func paint(_ text: String, _ severity: Diagnostic.Severity) -> String {
        guard color else { return text }
        switch severity {
        case .error: return "\u{1B}[31;1m" + text + "\u{1B}[0;1m"
        case .warning: return "\u{1B}[35;1m" + text + "\u{1B}[0;1m"
        case .note: return "\u{1B}[36;1m" + text + "\u{1B}[0;1m"
        }
    }

    /// The source line holding the span's start, and a caret line under the span (cut at the end
    /// of that line). Tabs in the source are kept in the caret line so the carets stay aligned.
    private func excerpt(for span: SourceSpan) -> (line: String, carets: String)? {
        let start = min(max(span.offset, 0), bytes.count)
        var lineStart = start
        while lineStart > 0 && bytes[lineStart - 1] != UInt8(ascii: "\n") { lineStart -= 1 }
        var lineEnd = start
        while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
        var shownEnd = lineEnd
        if shownEnd > lineStart && bytes[shownEnd - 1] == UInt8(ascii: "\r") { shownEnd -= 1 }
        let line = String(decoding: bytes[lineStart..<shownEnd], as: UTF8.self)
        var prefix = ""
        var i = lineStart
        while i < start {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\t") { prefix.append("\t") } else if !isContinuation(byte) { prefix.append(" ") }
            i += 1
        }
        let spanEnd = min(max(span.end, start), lineEnd)
        var width = 0
        i = start
        while i < spanEnd {
            if !isContinuation(bytes[i]) { width += 1 }
            i += 1
        }
        let carets = "^" + String(repeating: "~", count: max(width - 1, 0))
        return (line, prefix + carets)
    }

    private func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }
}

/// Renders diagnostics against the source they refer to (see `DiagnosticRenderer`).
public func renderDiagnostics(_ diagnostics: [Diagnostic], source: String, color: Bool = false) -> String {
    DiagnosticRenderer(source: source, color: color).render(diagnostics)
}
