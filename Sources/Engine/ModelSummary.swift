import Foundation

/// One row of a model summary.
public struct LayerSummary: Sendable, Equatable {
    public var name: String
    /// Keras's class name: `Conv2D`.
    public var typeName: String
    /// Output shape of one item, without the batch axis.
    public var outputShape: [Int]
    public var parameterCount: Int

    /// `conv2d (Conv2D)`, the summary's first column.
    public var nameAndType: String { "\(name) (\(typeName))" }
    /// `(None, 30, 30, 32)`, the summary's second column.
    public var outputShapeText: String { kerasShapeText(outputShape) }
}

/// The numbers of Keras's `model.summary()`, as data; `summaryText()` lays them out.
public struct ModelSummary: Sendable, Equatable {
    public var modelName: String
    public var layers: [LayerSummary]
    public var totalParameters: Int
    public var trainableParameters: Int
    public var nonTrainableParameters: Int
    /// Values the optimizer holds once it has taken a step (Keras prints them after
    /// training); nil before.
    public var optimizerParameters: Int?

    /// `478.79 KB`: Keras's size of `count` float32 values (1024-based units, two decimals).
    public static func memoryText(parameters count: Int) -> String {
        var size = Double(count * 4)
        for unit in ["B", "KB", "MB", "GB", "TB"] {
            if size / 1024 < 1 { return String(format: "%.2f %@", size, unit) }
            size /= 1024
        }
        return String(format: "%.2f PB", size)
    }

    /// `122,570`: a count with thousands separators.
    public static func countText(_ count: Int) -> String {
        let digits = String(count.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return count < 0 ? "-" + out : out
    }

    /// The totals lines as Keras prints them below the table, each starting with a space.
    public var totalLines: [String] {
        var lines = [
            " Total params: \(Self.countText(totalParameters + (optimizerParameters ?? 0))) (\(Self.memoryText(parameters: totalParameters + (optimizerParameters ?? 0))))",
            " Trainable params: \(Self.countText(trainableParameters)) (\(Self.memoryText(parameters: trainableParameters)))",
            " Non-trainable params: \(Self.countText(nonTrainableParameters)) (\(Self.memoryText(parameters: nonTrainableParameters)))",
        ]
        if let optimizerParameters {
            lines.append(" Optimizer params: \(Self.countText(optimizerParameters)) (\(Self.memoryText(parameters: optimizerParameters)))")
        }
        return lines
    }
}

extension Model {
    public var summary: ModelSummary {
        let rows = nodes.map {
            LayerSummary(name: $0.layer.name, typeName: $0.layer.typeName, outputShape: $0.shape,
                         parameterCount: $0.layer.parameterCount)
        }
        let total = parameterCount
        let optimizerState = optimizer.map(\.stateCount).flatMap { $0 > 0 ? $0 : nil }
        return ModelSummary(modelName: name, layers: rows, totalParameters: total, trainableParameters: total,
                            nonTrainableParameters: 0, optimizerParameters: optimizerState)
    }

    /// `model.summary()` as Keras 3 prints it for a chain of layers (its "sequential-like"
    /// layout): a box table `lineLength` wide whose columns take 45%, 35% and 20% of it and
    /// are then narrowed together to fit borders and padding, as its table renderer does.
    /// The default 76 is what Keras uses in a notebook or an 80-column terminal.
    public func summaryText(lineLength: Int = 76) -> String {
        let data = summary
        let widths = summaryColumnWidths(lineLength: lineLength)
        let contents = widths.map { max($0 - 2, 1) }
        func rule(_ left: String, _ fill: String, _ middle: String, _ right: String) -> String {
            left + widths.map { String(repeating: fill, count: $0) }.joined(separator: middle) + right
        }
        func row(_ cells: [String], _ bar: String) -> [String] {
            // Cells wider than their column wrap onto further lines, like the table renderer.
            let wrapped = zip(cells, contents).map { wrap($0, width: $1) }
            let height = wrapped.map(\.count).max() ?? 1
            return (0..<height).map { line in
                var text = bar
                for (column, lines) in wrapped.enumerated() {
                    let cell = line < lines.count ? lines[line] : ""
                    let pad = String(repeating: " ", count: max(contents[column] - cell.count, 0))
                    text += " " + (column == 2 ? pad + cell : cell + pad) + " " + bar
                }
                return text
            }
        }
        var lines = ["Model: \"\(data.modelName)\""]
        lines.append(rule("┏", "━", "┳", "┓"))
        lines += row(["Layer (type)", "Output Shape", "Param #"], "┃")
        lines.append(rule("┡", "━", "╇", "┩"))
        for (i, layer) in data.layers.enumerated() {
            if i > 0 { lines.append(rule("├", "─", "┼", "┤")) }
            lines += row([layer.nameAndType, layer.outputShapeText, ModelSummary.countText(layer.parameterCount)], "│")
        }
        lines.append(rule("└", "─", "┴", "┘"))
        lines += data.totalLines
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Column widths (padding included, borders excluded) of Keras's summary table: the
/// requested widths from positions 0.45/0.80/1.0, each plus 2 for padding, reduced evenly
/// (rounding half to even, as Python does) until the table with its 4 borders fits.
func summaryColumnWidths(lineLength: Int) -> [Int] {
    var widths: [Int] = []
    var current = 0
    for position in [0.45, 0.80, 1.0] {
        let width = Int(position * Double(lineLength)) - current
        widths.append(width + 2)
        current += width
    }
    var excess = widths.reduce(0, +) - (lineLength - 4)
    guard excess > 0 else { return widths }
    var remainingRatio = widths.count
    for i in widths.indices {
        let share = (Double(excess) / Double(remainingRatio)).rounded(.toNearestOrEven)
        let cut = min(widths[i], Int(share))
        widths[i] -= cut
        excess -= cut
        remainingRatio -= 1
    }
    return widths
}

/// Splits `text` into lines of at most `width` characters, breaking at spaces when it can.
private func wrap(_ text: String, width: Int) -> [String] {
    guard text.count > width else { return [text] }
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
        var word = word
        if line.isEmpty {
            line = word
        } else if line.count + 1 + word.count <= width {
            line += " " + word
        } else {
            lines.append(line)
            line = word
        }
        while line.count > width {
            lines.append(String(line.prefix(width)))
            word = String(line.dropFirst(width))
            line = word
        }
    }
    if !line.isEmpty { lines.append(line) }
    return lines
}
