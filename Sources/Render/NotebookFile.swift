import Foundation

extension NotebookReport {
    /// The nbformat minor version written; ids on cells arrived in 4.5.
    public static let nbformatMinor = 5

    /// `NAME.ipynb` (nbformat 4.5) for the run: Markdown and code cells with ids; text outputs as
    /// `stream` (stdout), except a code cell's last text, which is its `execute_result` as in
    /// Jupyter; figures as `display_data` with the picture base64-encoded; errors as `error`
    /// outputs. Reads the figures from `directory`.
    public func notebookText(figuresIn directory: URL) throws -> String {
        notebookText(figures: try FigureStore(directory: directory, cells: cells))
    }

    func notebookText(figures: FigureStore) -> String {
        var jsonCells: [JSONText] = []
        for (index, cell) in cells.enumerated() {
            let id = JSONText.string("cell-\(index + 1)")
            let source = JSONText.array(NotebookReport.jupyterLines(cell.source).map(JSONText.string))
            switch cell.kind {
            case .markdown:
                jsonCells.append(.object([
                    ("cell_type", .string("markdown")),
                    ("id", id),
                    ("metadata", .object([])),
                    ("source", source),
                ]))
            case .code:
                let count: JSONText = cell.executionCount.map { .int($0) } ?? .null
                let lastText = cell.outputs.lastIndex { if case .text = $0 { return true } else { return false } }
                let resultIndex = lastText == cell.outputs.count - 1 && cell.executionCount != nil ? lastText : nil
                var outputs: [JSONText] = []
                for (k, output) in cell.outputs.enumerated() {
                    outputs.append(NotebookReport.json(for: output, executionCount: count,
                                                       isResult: k == resultIndex, figures: figures))
                }
                jsonCells.append(.object([
                    ("cell_type", .string("code")),
                    ("execution_count", count),
                    ("id", id),
                    ("metadata", .object([])),
                    ("outputs", .array(outputs)),
                    ("source", source),
                ]))
            }
        }
        var metadata: [(String, JSONText)] = [
            ("kernelspec", .object([
                ("display_name", .string("cnnb")),
                ("language", .string("cnnb")),
                ("name", .string("cnnb")),
            ])),
            ("language_info", .object([
                ("file_extension", .string(".cnnb")),
                ("mimetype", .string("text/x-cnnb")),
                ("name", .string("cnnb")),
            ] + (languageVersion.map { [("version", JSONText.string($0))] } ?? []))),
        ]
        let title = self.title.trimmingCharacters(in: .whitespacesAndNewlines)
        if !title.isEmpty { metadata.append(("title", .string(title))) }
        let document = JSONText.object([
            ("cells", .array(jsonCells)),
            ("metadata", .object(metadata)),
            ("nbformat", .int(4)),
            ("nbformat_minor", .int(NotebookReport.nbformatMinor)),
        ])
        return document.rendered(indent: 1)
    }

    private static func json(for output: CellOutput, executionCount: JSONText, isResult: Bool, figures: FigureStore) -> JSONText {
        switch output {
        case .text(let text):
            let lines = JSONText.array(jupyterLines(text).map(JSONText.string))
            if isResult {
                return .object([
                    ("data", .object([("text/plain", lines)])),
                    ("execution_count", executionCount),
                    ("metadata", .object([])),
                    ("output_type", .string("execute_result")),
                ])
            }
            // Stream text keeps its final newline, so consecutive outputs stay on their own lines.
            let streamed = text.hasSuffix("\n") ? text : text + "\n"
            return .object([
                ("name", .string("stdout")),
                ("output_type", .string("stream")),
                ("text", .array(jupyterLines(streamed).map(JSONText.string))),
            ])
        case .figure(let path):
            let name = (path as NSString).lastPathComponent
            var data: [(String, JSONText)] = []
            var metadata: [(String, JSONText)] = []
            if let picture = figures[path] {
                if picture.mimeType == "image/png" {
                    data.append(("image/png", .string(picture.data.base64EncodedString())))
                    if let size = pngSize(picture.data) {
                        metadata.append(("image/png", .object([("height", .int(size.height)), ("width", .int(size.width))])))
                    }
                } else {
                    let svg = String(decoding: picture.data, as: UTF8.self)
                    data.append((picture.mimeType, .array(jupyterLines(svg).map(JSONText.string))))
                }
            }
            data.append(("text/plain", .array([.string("<figure \(name)>")])))
            return .object([
                ("data", .object(data)),
                ("metadata", .object(metadata)),
                ("output_type", .string("display_data")),
            ])
        case .error(let message):
            let plain = stripTerminalCodes(message)
            let firstLine = plain.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
            let value: String
            if let range = firstLine.range(of: ": error: ") {
                value = String(firstLine[range.upperBound...])
            } else {
                value = firstLine
            }
            let traceback = trimmingTrailingNewlines(message).split(separator: "\n", omittingEmptySubsequences: false).map { JSONText.string(String($0)) }
            return .object([
                ("ename", .string("Error")),
                ("evalue", .string(value)),
                ("output_type", .string("error")),
                ("traceback", .array(traceback)),
            ])
        }
    }

    /// Jupyter's multi-line strings: a list of lines, each but the last ending in a newline.
    static func jupyterLines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = ""
        for scalar in text.unicodeScalars {
            current.unicodeScalars.append(scalar)
            if scalar == "\n" {
                lines.append(current)
                current = ""
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// Width and height from a PNG's header, or nil when the bytes are not a PNG.
    static func pngSize(_ data: Data) -> (width: Int, height: Int)? {
        let bytes = [UInt8](data.prefix(24))
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard bytes.count == 24, Array(bytes[0..<8]) == signature, bytes[12..<16].elementsEqual("IHDR".utf8) else { return nil }
        func word(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (word(16), word(20))
    }

    /// Text without ANSI escape sequences (colours, cursor moves), as files other than a terminal want it.
    public static func stripTerminalCodes(_ text: String) -> String {
        guard text.unicodeScalars.contains("\u{1B}") else { return text }
        var out = String.UnicodeScalarView()
        var iterator = text.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            guard scalar == "\u{1B}" else {
                out.append(scalar)
                continue
            }
            guard let next = iterator.next() else { break }
            if next == "[" {
                // CSI: parameters and intermediates up to a final byte in @...~.
                while let c = iterator.next(), !(0x40...0x7E).contains(c.value) {}
            }
        }
        return String(out)
    }
}
