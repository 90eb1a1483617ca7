import Datasets
import Engine
import Foundation
import Render

/// `load`, `shape` and `show`: datasets and images.
extension Interpreter {
    /// `load cifar10 [from "DIR"]`, or `load MODEL weights "FILE"`.
    func loadCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let argument = command.arguments[0]
        if let weights = command.option("weights") {
            let model = try self.model(argument, outputs: &outputs)
            let path = try filePath(weights, what: "the weight file", outputs: &outputs)
            outputs.append(.text(try loadWeights(into: model, from: path, at: weights.value?.span ?? weights.span)))
            return .none
        }
        let name: String
        switch try evaluate(argument, outputs: &outputs) {
        case .word(let w), .string(let w): name = w
        case .model:
            throw Diagnostic.error("loading into a model needs the weight file", at: command.span,
                                   hint: "write load \(sourceText(argument)) weights \"model.cnnbw\"")
        case let other:
            throw Diagnostic.error("load needs a dataset name, got \(other.kindName)", at: argument.span,
                                   hint: "one of " + Vocabulary.datasets.joined(separator: ", "))
        }
        guard let kind = DatasetKind(name: name) else {
            var hint = "cnnb knows " + Vocabulary.datasets.joined(separator: ", ")
            if let near = nearestWord(to: name, among: Vocabulary.datasets) { hint = "did you mean '\(near)'? " + hint }
            throw Diagnostic.error("unknown dataset '\(name)'", at: argument.span, hint: hint)
        }
        var options = session.dataOptions
        if let from = command.option("from") {
            if kind == .shapes {
                throw Diagnostic.error("the shapes dataset is generated, not read from a folder", at: from.span,
                                       hint: "write load shapes")
            }
            options.directory = try filePath(from, what: "the data folder", inOutputFolder: false, outputs: &outputs)
        }
        var dataset: Dataset
        do {
            dataset = try DataLoader.load(kind, options: options, shouldStop: session.shouldStop)
        } catch let error as DataError {
            throw Diagnostic.error(error.message, at: command.option("from")?.span ?? argument.span, hint: error.hint)
        }
        if let limit = session.imageLimit {
            dataset = dataset.prefix(train: limit, test: max(limit / 5, 1))
        }
        return .dataset(dataset)
    }

    /// A string option's value as a path to read. Files a run made (weights) are relative to
    /// the session's output folder, beside the figures and the report; data folders are
    /// relative to the working directory.
    func filePath(_ option: NamedOption, what: String, inOutputFolder: Bool = true, outputs: inout [Output]) throws -> String {
        let expanded = (try quotedPath(option, what: what, outputs: &outputs) as NSString).expandingTildeInPath
        guard inOutputFolder, !expanded.hasPrefix("/") else { return expanded }
        return (session.outputDirectory as NSString).appendingPathComponent(expanded)
    }

    /// Runs `write` with the path a statement writes to, resolved by `Session.writablePath`
    /// (inside the output folder unless allowed), and lists the file as this run's once
    /// written. Every statement that writes a file goes through here.
    func writing<T>(_ option: NamedOption, what: String, outputs: inout [Output], _ write: (String) throws -> T) throws -> T {
        let path = try session.writablePath(try quotedPath(option, what: what, outputs: &outputs),
                                            at: option.value?.span ?? option.span)
        let result = try write(path)
        session.recordWritten(path)
        return result
    }

    private func quotedPath(_ option: NamedOption, what: String, outputs: inout [Output]) throws -> String {
        guard let expr = option.value, case .string(let path) = try evaluate(expr, outputs: &outputs) else {
            throw Diagnostic.error("\(what) is written as a quoted path", at: option.value?.span ?? option.span,
                                   hint: "write \(option.name.name) \"path\"")
        }
        return path
    }

    /// The source text of an expression, for hints that repeat what was written.
    func sourceText(_ expr: Expr) -> String {
        switch expr.kind {
        case .name(let n): return n
        case .member(let base, let member): return sourceText(base) + "." + member.name
        default: return "…"
        }
    }

    /// `shape A[, B …]`: each value's shape as Keras prints it.
    func shapeCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        var parts: [String] = []
        for argument in command.arguments {
            let value = try require(argument, outputs: &outputs)
            switch value {
            case .dataset(let d):
                parts.append("train \(kerasTupleText(d.train.shape)) \(kerasTupleText(d.train.labelsShape)), "
                             + "test \(kerasTupleText(d.test.shape)) \(kerasTupleText(d.test.labelsShape))")
            case .images(let s): parts.append("\(kerasTupleText(s.shape)), \(kerasTupleText(s.labelsShape))")
            case .image(let s): parts.append(kerasTupleText(s.imageShape))
            case .labels(let s): parts.append(kerasTupleText(s.labelsShape))
            case .tensor(let t): parts.append(kerasTupleText(t.shape))
            case .model(let m):
                parts.append(kerasTupleText([-1] + m.inputShape) + " → "
                             + m.outputShapes.map { kerasTupleText([-1] + $0) }.joined(separator: ", "))
            case .layers(let m, let indices):
                parts.append(indices.map { kerasTupleText([-1] + m.nodes[$0].shape) }.joined(separator: ", "))
            case .list(let items): parts.append("(\(items.count),)")
            case .size(let s): parts.append(kerasTupleText(s))
            default:
                throw Diagnostic.error("\(value.kindName) has no shape", at: argument.span,
                                       hint: "shape works on datasets, images, labels, tensors and models")
            }
        }
        outputs.append(.text(parts.joined(separator: "\n").replacingOccurrences(of: "(-1,", with: "(None,")))
        return .none
    }

    /// `show IMAGES [grid RxC] [labels]`: images in a grid, with class names under them.
    func showCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let argument = command.arguments[0]
        let value = try require(argument, outputs: &outputs)
        let withLabels = command.option("labels") != nil
        var tiles: [GridImage] = []
        switch value {
        case .images(let split), .image(let split):
            guard split.count > 0 else { throw Diagnostic.error("there are no images to show", at: argument.span) }
            guard split.count <= 400 else {
                throw Diagnostic.error("\(split.count) images are too many for one picture", at: argument.span,
                                       hint: "show a slice, such as \(sourceText(argument))[0..<25]")
            }
            for i in 0..<split.count {
                tiles.append(try gridImage(split, i, caption: withLabels ? split.className(at: i) : nil))
            }
        case .tensor(let t):
            tiles = try tensorTiles(t, at: argument.span)
        default:
            throw Diagnostic.error("show draws images, got \(value.kindName)", at: argument.span,
                                   hint: "for example show data.train[0..<25] grid 5x5 labels")
        }
        let grid = try gridLayout(command, count: tiles.count, defaultColumns: Int(Double(tiles.count).squareRoot().rounded(.up)),
                                  outputs: &outputs)
        let image = try ImageGrid(images: Array(tiles.prefix(grid.rows * grid.columns)), rows: grid.rows, columns: grid.columns)
        return .figure(.imageGrid(image, title: nil))
    }

    /// Image `index` of a split as a grid tile; unscaled bytes are read as 0…255.
    func gridImage(_ split: DatasetSplit, _ index: Int, caption: String?) throws -> GridImage {
        let bytes = split.pixels(at: index)
        if !split.isScaled {
            return try GridImage(width: split.width, height: split.height, channels: split.channels, bytes: Array(bytes), caption: caption)
        }
        return try GridImage(width: split.width, height: split.height, channels: split.channels,
                             pixels: bytes.map { split.value(ofByte: $0) }, caption: caption)
    }

    /// A tensor as tiles: a 2D matrix is one grey tile, (H, W, C) with C of 1 or 3 one image,
    /// (N, H, W, C) N images.
    func tensorTiles(_ t: Tensor, at span: SourceSpan) throws -> [GridImage] {
        let values = t.scalars
        switch t.rank {
        case 2: return [try GridImage(width: t.shape[1], height: t.shape[0], channels: 1, pixels: values)]
        case 3 where t.shape[2] == 1 || t.shape[2] == 3:
            return [try GridImage(width: t.shape[1], height: t.shape[0], channels: t.shape[2], pixels: values)]
        case 4 where t.shape[3] == 1 || t.shape[3] == 3:
            let size = t.shape[1] * t.shape[2] * t.shape[3]
            return try (0..<t.shape[0]).map {
                try GridImage(width: t.shape[2], height: t.shape[1], channels: t.shape[3],
                              pixels: Array(values[($0 * size)..<(($0 + 1) * size)]))
            }
        default:
            throw Diagnostic.error("a tensor of shape \(kerasTupleText(t.shape)) is not an image", at: span,
                                   hint: "images are HxW, HxWx1, HxWx3 or a batch NxHxWx3")
        }
    }

    /// The `grid RxC` option, or a layout with `defaultColumns` columns that fits `count`.
    func gridLayout(_ command: Command, count: Int, defaultColumns: Int, outputs: inout [Output]) throws -> (rows: Int, columns: Int) {
        if let (value, expr) = try option(command, "grid", outputs: &outputs) {
            // A grid smaller than the images shows the first ones, like a loop over range(R*C).
            return try gridSize(value, at: expr.span)
        }
        let columns = max(1, min(defaultColumns, count))
        return ((count + columns - 1) / columns, columns)
    }
}
