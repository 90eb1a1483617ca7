import Basics
import Datasets
import Engine
import Foundation
import Render

/// How each kind of value is shown when a statement's result is not assigned.
extension Interpreter {
    func display(_ value: Value, at span: SourceSpan) throws -> [Output] {
        switch value {
        case .none: return []
        case .figure(let figure): return [try session.record(figure, name: figure.title ?? figureName(figure))]
        case .list(let items) where !items.isEmpty && items.allSatisfy({ if case .figure = $0 { return true } else { return false } }):
            return try items.flatMap { try display($0, at: span) }
        case .model(let model): return [summaryOutput(model)]
        case .layerSpec(let spec): return [.text(layerSignature(try makeLayer(spec)))]
        default: return [.text(try text(of: value))]
        }
    }

    /// A file name for an untitled figure: what it shows.
    func figureName(_ figure: Figure) -> String {
        switch figure.content {
        case .imageGrid: return "images"
        case .lineChart: return "chart"
        case .modelGraph: return "model"
        case .panels: return "panels"
        }
    }

    /// A value as text: NumPy's way for arrays, Python's for lists.
    func text(of value: Value) throws -> String {
        switch value {
        case .none: return ""
        case .number(let x): return formatNumber(x)
        case .string(let s): return s
        case .word(let w): return w
        case .size(let s): return s.map(String.init).joined(separator: "x")
        case .list(let items):
            return "[" + (try items.map { item -> String in
                if case .string(let s) = item { return "'\(s)'" }
                return try text(of: item)
            }).joined(separator: ", ") + "]"
        case .dataset(let d) where !d.train.holdsBytes:
            return "\(d.name): \(d.train.count) training and \(d.test.count) test rows of \(d.train.imageShape.map(String.init).joined(separator: "x")) numbers, "
                + "\(d.classNames.count) classes\n" + "from \(d.source)"
        case .dataset(let d):
            return "\(d.name): \(d.train.count) training and \(d.test.count) test images of \(d.train.imageShape.map(String.init).joined(separator: "x")), "
                + "\(d.classNames.count) classes\n" + "from \(d.source)"
        case .images(let split):
            if split.count * split.imageSize <= NumpyFormat.threshold { return try arrayText(split) }
            return "\(split.count) images \(kerasTupleText(split.shape)), "
                + (!split.holdsBytes ? "float32" : split.isScaled ? "float32 (stored as uint8, scaled as each batch is read)" : "uint8")
                + "\nshow a few with: show IMAGES[0..<25] grid 5x5 labels"
        case .image(let split): return try arrayText(split)
        case .labels(let split):
            return try NumpyFormat.repr(split.labels.map { UInt8(clamping: $0) }, shape: split.labelsShape)
        case .tensor(let t): return try NumpyFormat.repr(t.scalars, shape: t.shape, dtype: "float32")
        case .layerSpec(let spec): return layerSignature(try makeLayer(spec))
        case .model(let m): return summaryText(m)
        case .layers(let m, let indices): return layerListText(m, indices)
        case .history(let h): return historyText(h)
        case .figure: return "a figure"
        }
    }

    /// The pixel values of images as NumPy prints them (`train_images[0]`).
    func arrayText(_ split: DatasetSplit) throws -> String {
        let single = split.count == 1
        let shape = single ? split.imageShape : split.shape
        if !split.holdsBytes {
            return try NumpyFormat.repr((0..<split.count).flatMap { split.values(at: $0) }, shape: shape, dtype: "float32")
        }
        if !split.isScaled {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(split.count * split.imageSize)
            for i in 0..<split.count { bytes += split.pixels(at: i) }
            return try NumpyFormat.repr(bytes, shape: shape)
        }
        var values: [Float] = []
        values.reserveCapacity(split.count * split.imageSize)
        for i in 0..<split.count { values += split.pixels(at: i).map { split.value(ofByte: $0) } }
        return try NumpyFormat.repr(values, shape: shape, dtype: "float32")
    }

    func summaryText(_ model: Model) -> String { summaryTable(model).render() }

    /// The summary as text and as an HTML table.
    func summaryOutput(_ model: Model) -> Output {
        let table = summaryTable(model)
        return .table(text: table.render(), html: table.html())
    }

    func summaryTable(_ model: Model) -> Render.ModelSummary {
        let data = model.summary
        let rows = data.layers.map { layer -> SummaryRow in
            SummaryRow(name: layer.name, type: layer.typeName, outputShape: layer.outputShapeText, parameters: layer.parameterCount,
                       connectedTo: data.isSequentialLike ? nil : layer.connectedTo.isEmpty ? "-" : layer.connectedTo.joined(separator: ", "))
        }
        return Render.ModelSummary(modelName: model.name, rows: rows, trainableParameters: data.trainableParameters,
                                   nonTrainableParameters: data.nonTrainableParameters,
                                   optimizerParameters: data.optimizerParameters)
    }

    /// The layers with their output shapes and receptive fields: how much of the input one
    /// output value sees, which grows with every convolution and pooling.
    func layerListText(_ model: Model, _ indices: [Int]) -> String {
        let fields = receptiveFields(model)
        let rows = indices.map { index -> [String] in
            let node = model.node(ofLayer: index)
            let field = model.nodes.firstIndex { $0 === node }.map { fields[$0] } ?? "-"
            return [String(index), node.layer.name, node.layer.typeName, kerasShapeText(node.shape), field]
        }
        let header = ["#", "name", "type", "output shape", "receptive field"]
        let widths = (0..<header.count).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column] + 2, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n")
    }

    /// Per node, the input window one output value depends on (`3x3`), or `all` once a layer
    /// mixes every position. Each window layer adds (kernel - 1) x jump, and its stride
    /// multiplies the jump between neighbouring outputs; nodes come in topological order, so
    /// every input's field is known before the node's.
    func receptiveFields(_ model: Model) -> [String] {
        let rank = max(model.inputShape.count - 1, 1)
        var field: [Int: [Int]] = [:], jump: [Int: [Int]] = [:]
        var texts: [String] = []
        for (index, node) in model.nodes.enumerated() {
            // A merge sees as far as its widest input: the field grows along the longest path.
            let parents = node.inputs.compactMap { p in model.nodes.firstIndex { $0 === p } }
            var f = [Int](repeating: 1, count: rank), j = [Int](repeating: 1, count: rank)
            for p in parents {
                if let pf = field[p] { f = zip(f, pf).map { max($0, $1) } }
                if let pj = jump[p] { j = zip(j, pj).map { max($0, $1) } }
            }
            var whole = parents.contains { texts[$0] == "all" }
            switch (node.layer as? ReceptiveFieldLayer)?.receptiveField ?? .unchanged {
            case .window(let size, let strides):
                for a in 0..<min(rank, size.count) { f[a] += (size[a] - 1) * j[a]; j[a] *= strides[a] }
            case .whole:
                whole = true
            case .unchanged:
                break
            }
            field[index] = f
            jump[index] = j
            texts.append(whole ? "all" : f.map(String.init).joined(separator: "x"))
        }
        return texts
    }

    func historyText(_ history: History) -> String {
        let keys = history.keys
        var lines = [(["epoch"] + keys).map { $0.padding(toLength: 14, withPad: " ", startingAt: 0) }.joined()]
        for epoch in 0..<history.epochs {
            var cells = [String(epoch + 1)]
            for key in keys {
                let series = history[key] ?? []
                cells.append(epoch < series.count ? String(format: "%.4f", series[epoch]) : "-")
            }
            lines.append(cells.map { $0.padding(toLength: 14, withPad: " ", startingAt: 0) }.joined())
        }
        if history.cancelled { lines.append("(stopped during epoch \(history.epochs + 1), after \(history.batchesInCancelledEpoch) batches)") }
        return lines.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }.joined(separator: "\n")
    }
}
