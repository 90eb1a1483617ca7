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

    public var syntaxErrors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }

    /// The syntax errors that fall inside `cell`.
    func errors(in cell: Cell) -> [Diagnostic] {
        let range = cell.offset..<(cell.offset + max(cell.source.utf8.count, 1))
        return syntaxErrors.filter { range.contains($0.span.offset) }
    }

    public func rendered(_ diagnostic: Diagnostic, color: Bool = false) -> String {
        diagnostic.rendered(source: source, color: color)
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
