import Basics
import Foundation

/// What one cell produced, in order.
public enum CellOutput: Equatable, Sendable {
    /// Text the cell printed: values, tables, progress lines.
    case text(String)
    /// A picture stored in the report folder, e.g. `figures/03-sample.png` (PNG or SVG).
    case figure(relativePath: String)
    /// The diagnostic that stopped the cell.
    case error(String)
}

/// One cell of a run: its source as written and what it produced.
public struct ReportCell: Equatable, Sendable {
    public enum Kind: String, Equatable, Sendable {
        case markdown
        case code
    }

    public var kind: Kind
    public var source: String
    public var outputs: [CellOutput]
    /// The `In [n]` number of a code cell that ran; nil for cells that did not run and for Markdown.
    public var executionCount: Int?

    public init(kind: Kind, source: String, outputs: [CellOutput] = [], executionCount: Int? = nil) {
        self.kind = kind
        self.source = source
        self.outputs = outputs
        self.executionCount = executionCount
    }

    public static func markdown(_ source: String) -> ReportCell {
        ReportCell(kind: .markdown, source: source)
    }

    public static func code(_ source: String, outputs: [CellOutput] = [], executionCount: Int? = nil) -> ReportCell {
        ReportCell(kind: .code, source: source, outputs: outputs, executionCount: executionCount)
    }
}

/// A run of a notebook as people read it afterwards: a folder holding `figures/`, `index.md`,
/// `index.html` (one self-contained page) and `NAME.ipynb` (nbformat 4.5).
public struct NotebookReport: Equatable, Sendable {
    public var title: String
    public var cells: [ReportCell]
    /// The language version the `.ipynb`'s language_info names (the cnnb that ran it).
    public var languageVersion: String?

    public init(title: String, cells: [ReportCell] = []) {
        self.title = title
        self.cells = cells
    }

    /// The folder inside a report that holds its pictures.
    public static let figuresFolder = "figures"

    /// Writes `index.md`, `index.html` and `NAME.ipynb` into `directory` (created when missing),
    /// each whole: to a temporary name first, then renamed. Every figure an output names must
    /// already be in `directory`; `notebookName` may be given with or without `.ipynb`.
    public func write(to directory: URL, notebookName: String) throws {
        let name = NotebookReport.notebookFileName(notebookName)
        guard !name.isEmpty, name != ".ipynb", !name.contains("/") else {
            throw RenderError.invalidInput("a notebook name must be a plain file name, got \"\(notebookName)\"")
        }
        try AtomicFile.makeFolder(directory.path)
        let figures = try FigureStore(directory: directory, cells: cells)
        // Build every text first, so that a missing figure leaves no file half-updated.
        let markdown = markdownText()
        let html = htmlText(figures: figures)
        let notebook = notebookText(figures: figures)
        try AtomicFile.write(markdown, to: directory.appendingPathComponent("index.md").path)
        try AtomicFile.write(html, to: directory.appendingPathComponent("index.html").path)
        try AtomicFile.write(notebook, to: directory.appendingPathComponent(name).path)
    }

    /// `cifar10` or `cifar10.cnnb` becomes `cifar10.ipynb`.
    public static func notebookFileName(_ name: String) -> String {
        var stem = name
        for suffix in [".ipynb", ".cnnb"] where stem.hasSuffix(suffix) {
            stem.removeLast(suffix.count)
        }
        return stem + ".ipynb"
    }

    /// The path, relative to the report folder, for a figure of cell `cellNumber` (1-based):
    /// `figures/03-sample.png`, then `figures/03-2-sample.png` for the cell's second figure.
    /// `stem` is reduced to lower-case letters, digits and dashes.
    public static func figurePath(cellNumber: Int, ordinal: Int = 1, stem: String, fileExtension: String = "png") -> String {
        var cleaned = ""
        for character in stem.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber) {
                cleaned.append(character)
            } else if !cleaned.isEmpty && cleaned.last != "-" {
                cleaned.append("-")
            }
        }
        while cleaned.last == "-" { cleaned.removeLast() }
        if cleaned.isEmpty { cleaned = "figure" }
        let number = cellNumber < 10 ? "0\(cellNumber)" : "\(cellNumber)"
        let prefix = ordinal > 1 ? "\(number)-\(ordinal)" : number
        return "\(figuresFolder)/\(prefix)-\(cleaned).\(fileExtension)"
    }

    /// `path` (a file inside `directory`, absolute or not) relative to `directory`, as a figure
    /// output names it; nil when the file lies outside the folder.
    public static func relativePath(of path: String, in directory: URL) -> String? {
        let folder = directory.standardizedFileURL.path
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : directory.appendingPathComponent(path)
        let file = url.standardizedFileURL.path
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        guard file.hasPrefix(prefix), file.count > prefix.count else { return nil }
        return String(file.dropFirst(prefix.count))
    }

    /// Draws `figure` as a PNG at `relativePath` inside `directory` (folders made as needed) and
    /// returns the output that shows it.
    public static func saveFigure(_ figure: Figure, in directory: URL, relativePath: String) throws -> CellOutput {
        try FigureStore.checkRelative(relativePath)
        let url = directory.appendingPathComponent(relativePath)
        try AtomicFile.makeFolder(url.deletingLastPathComponent().path)
        if relativePath.lowercased().hasSuffix(".svg") {
            try figure.writeSVG(to: url.path)
        } else {
            try figure.writePNG(to: url.path)
        }
        return .figure(relativePath: relativePath)
    }

    /// The heading a report puts above the cells: the title, unless the first cell is a
    /// Markdown cell that starts with its own top-level heading.
    var leadingHeading: String? {
        let trimmed = title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        if let first = cells.first, first.kind == .markdown,
           first.source.drop(while: { $0 == "\n" || $0 == " " }).hasPrefix("# ") {
            return nil
        }
        return trimmed
    }
}

/// The bytes of every figure the report names, read once and checked before anything is written.
struct FigureStore {
    struct Picture {
        let data: Data
        let mimeType: String
    }

    private(set) var pictures: [String: Picture] = [:]

    init(directory: URL, cells: [ReportCell]) throws {
        for cell in cells {
            for case .figure(let path) in cell.outputs where pictures[path] == nil {
                try FigureStore.checkRelative(path)
                let url = directory.appendingPathComponent(path)
                guard let data = FileManager.default.contents(atPath: url.path) else {
                    throw RenderError.invalidInput("the figure \(path) is not in the report folder \(directory.path); write it before the report")
                }
                pictures[path] = Picture(data: data, mimeType: try FigureStore.mimeType(path))
            }
        }
    }

    subscript(path: String) -> Picture? { pictures[path] }

    static func mimeType(_ path: String) throws -> String {
        let lower = path.lowercased()
        if lower.hasSuffix(".png") { return "image/png" }
        if lower.hasSuffix(".svg") { return "image/svg+xml" }
        throw RenderError.invalidInput("a report figure must be a .png or .svg file, got \(path)")
    }

    /// Figure paths stay inside the report folder.
    static func checkRelative(_ path: String) throws {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !path.isEmpty, !path.hasPrefix("/"), !parts.contains(".."), !parts.contains("") else {
            throw RenderError.invalidInput("a figure path must be relative to the report folder, like figures/03-sample.png; got \"\(path)\"")
        }
        _ = try mimeType(path)
    }
}
