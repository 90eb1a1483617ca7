import Foundation

/// One layer's line in a model summary.
public struct SummaryRow: Equatable, Sendable {
    public var name: String
    public var type: String
    /// As Keras prints it, e.g. `(None, 30, 30, 32)`.
    public var outputShape: String
    public var parameters: Int
    /// For models that are not a plain chain: the inbound layers, e.g. `conv2d[0][0]`; nil otherwise.
    public var connectedTo: String?

    public init(name: String, type: String, outputShape: String, parameters: Int, connectedTo: String? = nil) {
        self.name = name
        self.type = type
        self.outputShape = outputShape
        self.parameters = parameters
        self.connectedTo = connectedTo
    }
}

/// The table `model.summary()` prints in Keras 3: a box-drawn table of layers, output shapes and
/// parameter counts, then the totals with their memory size.
public struct ModelSummary: Equatable, Sendable {
    public var modelName: String
    public var rows: [SummaryRow]
    public var trainableParameters: Int
    public var nonTrainableParameters: Int
    /// Optimizer variables, printed (and added to the total) once the optimizer has been built.
    public var optimizerParameters: Int?
    /// Bytes per parameter (4 for float32).
    public var bytesPerParameter: Int

    public init(modelName: String, rows: [SummaryRow], trainableParameters: Int, nonTrainableParameters: Int,
                optimizerParameters: Int? = nil, bytesPerParameter: Int = 4) {
        self.modelName = modelName
        self.rows = rows
        self.trainableParameters = trainableParameters
        self.nonTrainableParameters = nonTrainableParameters
        self.optimizerParameters = optimizerParameters
        self.bytesPerParameter = bytesPerParameter
    }

    /// Whether the table has Keras's fourth column, "Connected to" (models that are not a chain).
    public var showsConnections: Bool { rows.contains { $0.connectedTo != nil } }

    /// The width Keras picks: its default (88, or 108 with connections) capped at the terminal's
    /// columns minus 4. Without a terminal Keras sees 80 columns, so notebooks get 76.
    public func lineLength(terminalColumns: Int?) -> Int {
        min(showsConnections ? 108 : 88, (terminalColumns ?? 80) - 4)
    }

    /// The summary text, lines separated by "\n", without a final newline.
    public func render(lineLength: Int? = nil) -> String {
        let length = max(lineLength ?? self.lineLength(terminalColumns: nil), showsConnections ? 24 : 18)
        let positions = showsConnections ? [0.3, 0.56, 0.74, 1.0] : [0.45, 0.80, 1.0]
        var header = ["Layer (type)", "Output Shape", "Param #"]
        var alignments: [TextAlignment] = [.left, .left, .right]
        if showsConnections {
            header.append("Connected to")
            alignments.append(.left)
        }
        let body = rows.map { row -> [String] in
            var cells = ["\(row.name) (\(row.type))", row.outputShape, ModelSummary.grouped(row.parameters)]
            if showsConnections { cells.append(row.connectedTo ?? "-") }
            return cells
        }
        var lines = ["Model: \"\(modelName)\""]
        lines += BoxTable(header: header, rows: body, alignments: alignments,
                          widths: BoxTable.columnWidths(positions: positions, lineLength: length)).lines()

        let trainableBytes = Double(trainableParameters * bytesPerParameter)
        let frozenBytes = Double(nonTrainableParameters * bytesPerParameter)
        let optimizer = optimizerParameters ?? 0
        let optimizerBytes = Double(optimizer * bytesPerParameter)
        let total = trainableParameters + nonTrainableParameters + optimizer
        lines.append(" Total params: \(ModelSummary.grouped(total)) (\(ModelSummary.memorySize(trainableBytes + frozenBytes + optimizerBytes)))")
        lines.append(" Trainable params: \(ModelSummary.grouped(trainableParameters)) (\(ModelSummary.memorySize(trainableBytes)))")
        lines.append(" Non-trainable params: \(ModelSummary.grouped(nonTrainableParameters)) (\(ModelSummary.memorySize(frozenBytes)))")
        if let optimizerParameters {
            lines.append(" Optimizer params: \(ModelSummary.grouped(optimizerParameters)) (\(ModelSummary.memorySize(optimizerBytes)))")
        }
        return lines.joined(separator: "\n")
    }

    /// `122570` -> `122,570`.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return value < 0 ? "-" + out : out
    }

    /// Bytes as Keras writes them: two decimals and the largest unit (steps of 1024) below 1024.
    public static func memorySize(_ bytes: Double) -> String {
        let units = ["B", "KB", "MB", "GB", "TB", "PB"]
        var size = bytes
        for unit in units {
            if size / 1024 < 1 { return String(format: "%.2f %@", size, unit) }
            size /= 1024
        }
        return String(format: "%.2f %@", size, units[units.count - 1])
    }
}

public enum TextAlignment: String, Sendable {
    case left, right, center
}

/// A table drawn with box characters the way the `rich` library draws Keras's summary: heavy
/// header, a rule between rows, words wrapped inside their column and cut with "…" when too long.
struct BoxTable {
    let header: [String]
    let rows: [[String]]
    let alignments: [TextAlignment]
    /// Width of each column including its one-space padding on both sides.
    let widths: [Int]

    /// Column widths from Keras's relative positions, shrunk evenly until the table with its
    /// borders fits `lineLength`.
    static func columnWidths(positions: [Double], lineLength: Int) -> [Int] {
        var widths: [Int] = []
        var current = 0
        for position in positions {
            let width = Int(position * Double(lineLength)) - current
            widths.append(width + 2)
            current += width
        }
        let available = lineLength - (positions.count + 1)
        let excess = widths.reduce(0, +) - available
        guard excess > 0 else { return widths }
        // Spread the excess over the columns in turn, rounding halves to even as Python does.
        var remaining = excess
        var columnsLeft = widths.count
        for index in widths.indices {
            let share = (Double(remaining) / Double(columnsLeft)).rounded(.toNearestOrEven)
            let cut = min(widths[index], Int(share))
            widths[index] -= cut
            remaining -= cut
            columnsLeft -= 1
        }
        return widths
    }

    func lines() -> [String] {
        func rule(_ left: String, _ fill: String, _ middle: String, _ right: String) -> String {
            left + widths.map { String(repeating: fill, count: $0) }.joined(separator: middle) + right
        }
        var out = [rule("┏", "━", "┳", "┓")]
        out += cells(header, border: "┃")
        out.append(rule("┡", "━", "╇", "┩"))
        for (index, row) in rows.enumerated() {
            if index > 0 { out.append(rule("├", "─", "┼", "┤")) }
            out += cells(row, border: "│")
        }
        out.append(rule("└", "─", "┴", "┘"))
        return out
    }

    private func cells(_ row: [String], border: String) -> [String] {
        let wrapped = widths.indices.map { index in
            BoxTable.wrap(index < row.count ? row[index] : "", width: widths[index] - 2)
        }
        let height = wrapped.map(\.count).max() ?? 1
        var out: [String] = []
        for lineIndex in 0..<height {
            var line = border
            for column in widths.indices {
                let text = lineIndex < wrapped[column].count ? wrapped[column][lineIndex] : ""
                line += " " + BoxTable.justify(text, width: widths[column] - 2, alignments[column]) + " " + border
            }
            out.append(line)
        }
        return out
    }

    static func justify(_ text: String, width: Int, _ alignment: TextAlignment) -> String {
        let gap = max(0, width - text.count)
        switch alignment {
        case .left: return text + String(repeating: " ", count: gap)
        case .right: return String(repeating: " ", count: gap) + text
        case .center: return String(repeating: " ", count: gap / 2) + text + String(repeating: " ", count: gap - gap / 2)
        }
    }

    /// Breaks `text` into lines of at most `width` characters at spaces; a word longer than a
    /// line keeps a line to itself and is cut with "…".
    static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [""] }
        // Words carry the spaces that follow them, as rich splits them.
        var words: [String] = []
        var current = ""
        var inSpace = false
        for character in text {
            if character == " " {
                inSpace = true
            } else if inSpace {
                words.append(current)
                current = ""
                inSpace = false
            }
            current.append(character)
        }
        if !current.isEmpty || words.isEmpty { words.append(current) }

        var lines: [String] = []
        var line = ""
        for word in words {
            let length = trimmedTrailing(word).count
            if width - line.count >= length {
                line += word
            } else if !line.isEmpty {
                lines.append(line)
                line = word
            } else {
                line = word
            }
        }
        lines.append(line)
        return lines.map { raw in
            let trimmed = trimmedTrailing(raw)
            return trimmed.count > width ? String(trimmed.prefix(width - 1)) + "…" : trimmed
        }
    }

    private static func trimmedTrailing(_ text: String) -> String {
        var end = text.endIndex
        while end > text.startIndex, text[text.index(before: end)].isWhitespace { end = text.index(before: end) }
        return String(text[..<end])
    }
}

extension ModelSummary {
    /// The summary as an HTML table (a notebook's `text/html`): the same columns and totals as
    /// the text, which stays beside it for readers without HTML.
    public func html() -> String {
        var header = ["Layer (type)", "Output Shape", "Param #"]
        if showsConnections { header.append("Connected to") }
        func cell(_ tag: String, _ text: String, right: Bool = false) -> String {
            "<\(tag)\(right ? " style=\"text-align:right\"" : " style=\"text-align:left\"")>\(Markup.escape(text))</\(tag)>"
        }
        var html = "<p><b>Model: \"\(Markup.escape(modelName))\"</b></p>\n<table>\n<thead><tr>"
        html += header.enumerated().map { cell("th", $1, right: $0 == 2) }.joined() + "</tr></thead>\n<tbody>\n"
        for row in rows {
            var cells = [cell("td", "\(row.name) (\(row.type))"), cell("td", row.outputShape),
                         cell("td", ModelSummary.grouped(row.parameters), right: true)]
            if showsConnections { cells.append(cell("td", row.connectedTo ?? "-")) }
            html += "<tr>" + cells.joined() + "</tr>\n"
        }
        html += "</tbody>\n</table>\n"
        // The totals are the text's last lines, word for word.
        let totals = render().split(separator: "\n").filter { $0.hasPrefix(" ") && $0.contains("params:") }
        html += "<p>" + totals.map { Markup.escape($0.trimmingCharacters(in: .whitespaces)) }.joined(separator: "<br>\n") + "</p>"
        return html
    }
}
