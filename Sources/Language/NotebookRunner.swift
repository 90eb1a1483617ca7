import Foundation

/// What running one cell gave: its outputs in order, and the error that stopped it.
public struct CellResult {
    public var cell: Cell
    public var outputs: [Output]
    /// The diagnostic, rendered with the source line and caret.
    public var error: String?
    /// False for cells that were not run (after a failure, without `--keep-going`).
    public var ran: Bool
}

/// Runs a `.cnnb` notebook's cells in order against a session (`cnnb run`).
public struct NotebookRunner {
    public let source: String
    public let fileName: String
    public let notebook: Notebook
    /// Syntax errors, each already placed in its cell.
    public let diagnostics: [Diagnostic]

    public init(source: String, fileName: String) {
        self.source = source
        self.fileName = fileName
        (notebook, diagnostics) = parseNotebook(source: source, fileName: fileName)
    }

    /// Set for a notebook read from an `.ipynb` (whose `.cnnb` text nobody sees): diagnostics
    /// name the cell and count lines within it, `lesson.ipynb[3]:2:5`.
    public var numbersCells = false

    public var syntaxErrors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }

    /// Where a cell is, as a person finds it: `FILE:LINE`, or `FILE[N]` for an `.ipynb`.
    public func location(of cell: Cell) -> String {
        guard numbersCells, let index = notebook.cells.firstIndex(where: { $0.offset == cell.offset }) else { return "\(fileName):\(cell.line)" }
        return "\(fileName)[\(index + 1)]"
    }

    /// A span in the `.cnnb` text as the cell's own: `FILE[N]`, the line counted from the cell's first.
    func cellRelative(_ span: SourceSpan) -> SourceSpan {
        guard numbersCells, let index = notebook.cells.lastIndex(where: { $0.offset <= span.offset }) else { return span }
        var relative = span
        relative.file = "\(fileName)[\(index + 1)]"
        relative.line = span.line - notebook.cells[index].line + 1
        return relative
    }

    /// The syntax errors that fall inside `cell`.
    func errors(in cell: Cell) -> [Diagnostic] {
        let range = cell.offset..<(cell.offset + max(cell.source.utf8.count, 1))
        return syntaxErrors.filter { range.contains($0.span.offset) }
    }

    public func rendered(_ diagnostic: Diagnostic, color: Bool = false) -> String {
        var shown = diagnostic
        shown.span = cellRelative(diagnostic.span)
        shown.notes = diagnostic.notes.map { note in
            var moved = note
            moved.span = note.span.map(cellRelative)
            return moved
        }
        return shown.rendered(source: source, color: color)
    }

    /// Runs every cell; after a failing cell the rest are skipped unless `keepGoing`.
    /// `willRun` is called before each cell, `onOutput` with each output as it is made.
    public func run(in session: Session, keepGoing: Bool, color: Bool = false,
                    willRun: (Int, Cell) -> Void = { _, _ in },
                    onOutput: (Output) -> Void = { _ in },
                    onError: (String) -> Void = { _ in }) -> [CellResult] {
        var results: [CellResult] = []
        var failed = false
        session.source = source
        defer { session.source = nil }
        for (index, cell) in notebook.cells.enumerated() {
            if cell.kind == .markdown || (failed && !keepGoing) {
                results.append(CellResult(cell: cell, outputs: [], error: nil, ran: cell.kind == .markdown))
                continue
            }
            willRun(index, cell)
            let syntax = errors(in: cell)
            if !syntax.isEmpty {
                let text = syntax.map { rendered($0, color: color) }.joined(separator: "\n")
                onError(text)
                results.append(CellResult(cell: cell, outputs: [], error: text, ran: true))
                failed = true
                continue
            }
            let (outputs, error) = session.run(cell.statements, onOutput: onOutput)
            let text = error.map { rendered($0, color: color) }
            if let text { onError(text) }
            results.append(CellResult(cell: cell, outputs: outputs, error: text, ran: true))
            if error != nil { failed = true }
        }
        return results
    }
}
