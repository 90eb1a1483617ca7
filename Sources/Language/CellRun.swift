/// What running one cell gave (a REPL entry, a Jupyter cell): outputs in order, the error that
/// stopped it, the source of each statement that ran, and whether an interrupt stopped it.
public struct CellRun {
    public var outputs: [Output] = []
    public var error: Diagnostic?
    /// The text of each statement that finished, in order (for `:save` and history).
    public var ranSources: [String] = []
    /// True when a statement was stopped by an interrupt; the statements after it did not run.
    public var interrupted = false
}

extension Session {
    /// Runs a cell statement by statement, as the REPL and the Jupyter kernel do. A syntax error
    /// runs nothing. A failing statement puts back the seed it drew, so the statements after a
    /// fix make the same weights as in a saved notebook. `interrupted` is asked after each
    /// statement: true (a Ctrl-C or a kernel interrupt stopped training) ends the cell there.
    public func runCell(_ source: String, file: String = "<input>", firstLine: Int = 1,
                        onOutput: (Output) -> Void = { _ in },
                        interrupted: () -> Bool = { false }) -> CellRun {
        var run = CellRun()
        let (statements, diagnostics) = Parser.parseStatements(source, file: file, firstLine: firstLine)
        if let syntax = diagnostics.first(where: { $0.severity == .error }) {
            run.error = syntax
            return run
        }
        let bytes = Array(source.utf8)
        // Warnings show the line they point at.
        self.source = source
        defer { self.source = nil }
        for statement in statements {
            let seed = self.seed
            let (outputs, error) = self.run([statement], onOutput: onOutput)
            run.outputs += outputs
            if let error {
                self.seed = seed
                run.error = error
                return run
            }
            let span = statement.span
            run.ranSources.append(String(decoding: bytes[min(span.offset, bytes.count)..<min(span.end, bytes.count)], as: UTF8.self))
            if interrupted() {
                run.interrupted = true
                return run
            }
        }
        return run
    }
}
