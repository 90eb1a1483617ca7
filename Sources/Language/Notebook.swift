/// The `.cnnb` notebook format: `%%` on a line of its own starts a code cell, `%% md` (or
/// `%% markdown`) a Markdown cell; text before the first marker is a code cell. Cells keep the
/// file's line numbers, so diagnostics point into the file.

/// Splits `source` into cells and parses every code cell. Returns the notebook (with the
/// statements that parsed) and every diagnostic, in source order; the notebook is well-formed
/// when the diagnostics hold no error.
public func parseNotebook(source: String, fileName: String) -> (Notebook, [Diagnostic]) {
    let bytes = Array(source.utf8)
    var cells: [Cell] = []
    var diagnostics: [Diagnostic] = []
    for piece in splitCells(bytes, fileName: fileName, diagnostics: &diagnostics) {
        let text = String(decoding: bytes[piece.range], as: UTF8.self)
        var statements: [Statement] = []
        if piece.kind == .code {
            let (tokens, lexical) = Lexer.tokenize(bytes: bytes, file: fileName, range: piece.range, firstLine: piece.line)
            var parser = Parser(tokens: tokens)
            statements = parser.parseStatements()
            diagnostics += Parser.merge(lexical, parser)
        }
        cells.append(Cell(kind: piece.kind, source: text, line: piece.line, offset: piece.range.lowerBound,
                          markerLine: piece.markerLine, statements: statements))
    }
    diagnostics.sort { $0.span.offset < $1.span.offset }
    return (Notebook(fileName: fileName, cells: cells), diagnostics)
}

struct CellPiece {
    var kind: CellKind
    var range: Range<Int>
    var line: Int
    var markerLine: Int?
}

/// Finds the cell markers. A marker is a line starting with `%%`, then optionally a kind word
/// (`md`, `markdown`, `code`) and a `#` comment.
func splitCells(_ bytes: [UInt8], fileName: String, diagnostics: inout [Diagnostic]) -> [CellPiece] {
    var pieces: [CellPiece] = []
    var current = CellPiece(kind: .code, range: 0..<0, line: 1, markerLine: nil)
    var contentStart = 0
    var lineStart = 0
    var line = 1
    // A byte-order mark before the first line does not hide a marker there.
    let bom = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    while lineStart <= bytes.count {
        var lineEnd = lineStart
        while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
        let next = lineEnd < bytes.count ? lineEnd + 1 : bytes.count + 1
        let markerStart = lineStart == 0 ? bom : lineStart
        if lineEnd - markerStart >= 2 && bytes[markerStart] == UInt8(ascii: "%") && bytes[markerStart + 1] == UInt8(ascii: "%") {
            current.range = contentStart..<lineStart
            if current.markerLine != nil || !isBlank(bytes[contentStart..<lineStart]) {
                pieces.append(current)
            }
            let kind = markerKind(bytes, from: markerStart + 2, to: lineEnd, line: line, fileName: fileName, diagnostics: &diagnostics)
            contentStart = min(next, bytes.count)
            current = CellPiece(kind: kind, range: 0..<0, line: line + 1, markerLine: line)
        }
        lineStart = next
        line += 1
    }
    current.range = contentStart..<bytes.count
    if current.markerLine != nil || !isBlank(bytes[contentStart..<bytes.count]) {
        pieces.append(current)
    }
    return pieces
}

private func isBlank(_ bytes: ArraySlice<UInt8>) -> Bool {
    bytes.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
}

/// The kind named after `%%`; an unknown word is reported and the cell is taken as code.
private func markerKind(_ bytes: [UInt8], from start: Int, to end: Int, line: Int, fileName: String,
                        diagnostics: inout [Diagnostic]) -> CellKind {
    var wordStart = start
    while wordStart < end && (bytes[wordStart] == UInt8(ascii: " ") || bytes[wordStart] == UInt8(ascii: "\t")) { wordStart += 1 }
    var wordEnd = wordStart
    while wordEnd < end && bytes[wordEnd] != UInt8(ascii: " ") && bytes[wordEnd] != UInt8(ascii: "\t")
            && bytes[wordEnd] != UInt8(ascii: "#") && bytes[wordEnd] != UInt8(ascii: "\r") { wordEnd += 1 }
    var rest = wordEnd
    while rest < end && (bytes[rest] == UInt8(ascii: " ") || bytes[rest] == UInt8(ascii: "\t") || bytes[rest] == UInt8(ascii: "\r")) { rest += 1 }
    let word = String(decoding: bytes[wordStart..<wordEnd], as: UTF8.self)
    let lineStart = start - 2
    func report(_ message: String, from: Int, to: Int, hint: String) {
        let span = SourceSpan(file: fileName, line: line, column: 1 + bytes[lineStart..<from].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) },
                              offset: from, length: max(to - from, 1))
        diagnostics.append(.error(message, at: span, hint: hint))
    }
    let kind: CellKind
    switch word {
    case "": kind = .code
    case "code": kind = .code
    case "md", "markdown": kind = .markdown
    default:
        let suggestion = nearestWord(to: word, among: ["md", "markdown", "code"])
        report("unknown cell kind '\(word)'", from: wordStart, to: wordEnd,
               hint: suggestion.map { "did you mean '%% \($0)'?" } ?? "write '%%' for a code cell or '%% md' for a Markdown cell")
        return .code
    }
    if rest < end && bytes[rest] != UInt8(ascii: "#") {
        report("unexpected text after the cell marker", from: rest, to: end,
               hint: "a marker is '%%' or '%% md' on a line of its own; comments start with '#'")
    }
    return kind
}
