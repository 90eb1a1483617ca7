import Basics
import Foundation
import Render

/// `.cnnb` ↔ `.ipynb` (`cnnb convert`, `cnnb run X.ipynb`): Markdown cells are `%% md`, code
/// cells `%%`. Cell sources round-trip exactly, except trailing blank lines, which a `.cnnb`
/// file cannot tell from the space between cells.
public enum NotebookConversion {
    public struct ConversionError: ExplainedError {
        public var message: String
        public var hint: String?
    }

    /// The cells of a `.cnnb` text, sources without the newlines that end them.
    public static func cells(ofCNNB source: String, fileName: String) -> [ReportCell] {
        var ignored: [Diagnostic] = []
        let bytes = Array(source.utf8)
        return splitCells(bytes, fileName: fileName, diagnostics: &ignored).map { piece in
            var text = String(decoding: bytes[piece.range], as: UTF8.self)
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            return piece.kind == .markdown ? .markdown(text) : .code(text)
        }
    }

    /// A `.cnnb` text of the cells: each after its marker, a blank line between cells.
    public static func cnnbText(_ cells: [ReportCell], fileName: String) throws -> String {
        try cells.enumerated().map { index, cell -> String in
            // A line starting with %% inside a cell would split it when read back.
            if let line = cell.source.split(separator: "\n", omittingEmptySubsequences: false).firstIndex(where: { $0.hasPrefix("%%") }) {
                throw ConversionError(message: "\(fileName): cell \(index + 1), line \(line + 1) starts with %%, which .cnnb reads as a cell marker",
                                      hint: "indent the line or change its first characters")
            }
            return (cell.kind == .markdown ? "%% md\n" : "%%\n") + cell.source + "\n"
        }.joined(separator: "\n")
    }

    /// An `.ipynb` (nbformat 4.5) of the cells, without outputs, naming the cnnb kernel.
    public static func ipynbText(_ cells: [ReportCell], title: String) throws -> String {
        var report = NotebookReport(title: title, cells: cells)
        report.languageVersion = CNNBVersion.string
        return try report.notebookText(figuresIn: URL(fileURLWithPath: NSTemporaryDirectory()))
    }

    /// The Markdown and code cells of an `.ipynb`; raw cells become Markdown, outputs are dropped.
    public static func cells(ofIPYNB data: Data, fileName: String) throws -> [ReportCell] {
        let hint = "an .ipynb file is a Jupyter notebook (nbformat 4)"
        guard let document = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ConversionError(message: "\(fileName) is not JSON", hint: hint)
        }
        guard let cells = document["cells"] as? [[String: Any]] else {
            throw ConversionError(message: "\(fileName) has no list of cells", hint: hint)
        }
        return try cells.enumerated().map { index, cell in
            let source: String
            if let text = cell["source"] as? String {
                source = text
            } else if let lines = cell["source"] as? [String] {
                source = lines.joined()
            } else {
                throw ConversionError(message: "\(fileName): cell \(index + 1) has no source", hint: hint)
            }
            return (cell["cell_type"] as? String) == "code" ? .code(source) : .markdown(source)
        }
    }

    /// Reads a notebook file of either kind as `.cnnb` text (what `cnnb run` parses).
    public static func cnnbSource(ofFile path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConversionError(message: "cannot read \(path): no such file or not readable", hint: nil)
        }
        if path.lowercased().hasSuffix(".ipynb") {
            return try cnnbText(try cells(ofIPYNB: data, fileName: path), fileName: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConversionError(message: "\(path) is not UTF-8 text", hint: nil)
        }
        return text
    }

    /// `cnnb convert FROM TO`: the kinds are told by the extensions. The file is written whole.
    public static func convert(_ from: String, to: String) throws -> Int {
        let fromNotebook = from.lowercased().hasSuffix(".ipynb"), toNotebook = to.lowercased().hasSuffix(".ipynb")
        guard fromNotebook != toNotebook, from.lowercased().hasSuffix(".cnnb") || to.lowercased().hasSuffix(".cnnb") else {
            throw ConversionError(message: "cnnb convert turns a .cnnb file into an .ipynb or back, got \(from) and \(to)",
                                  hint: "cnnb convert lesson.cnnb lesson.ipynb")
        }
        let cells: [ReportCell]
        if fromNotebook {
            guard let data = FileManager.default.contents(atPath: from) else {
                throw ConversionError(message: "cannot read \(from): no such file or not readable", hint: nil)
            }
            cells = try self.cells(ofIPYNB: data, fileName: from)
            try AtomicFile.write(try cnnbText(cells, fileName: from), to: to)
        } else {
            cells = self.cells(ofCNNB: try cnnbSource(ofFile: from), fileName: from)
            let title = ((from as NSString).lastPathComponent as NSString).deletingPathExtension
            try AtomicFile.write(try ipynbText(cells, title: title), to: to)
        }
        return cells.count
    }
}
