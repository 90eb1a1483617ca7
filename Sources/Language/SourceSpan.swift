/// A stretch of source text: where a token, an AST node or a diagnostic's culprit sits.
///
/// `line` and `column` are 1-based and count lines of the whole file (cells keep the file's
/// numbering); `column` counts Unicode scalars from the start of the line. `offset` and `length`
/// are in UTF-8 bytes of the text that was parsed.
public struct SourceSpan: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var offset: Int
    public var length: Int

    public init(file: String, line: Int, column: Int, offset: Int, length: Int) {
        self.file = file
        self.line = line
        self.column = column
        self.offset = offset
        self.length = length
    }

    /// The byte offset just past the span.
    public var end: Int { offset + length }

    /// `file:line:column`, the prefix of a diagnostic.
    public var description: String { "\(file):\(line):\(column)" }

    /// The span from the start of `self` to the end of `other`.
    public func through(_ other: SourceSpan) -> SourceSpan {
        through(end: other.end)
    }

    /// The span from the start of `self` to the byte offset `end`.
    public func through(end: Int) -> SourceSpan {
        SourceSpan(file: file, line: line, column: column, offset: offset, length: max(length, end - offset))
    }
}
