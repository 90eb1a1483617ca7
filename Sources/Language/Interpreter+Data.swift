import Basics
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
        if case .name("images") = argument.kind { return try loadImageFolder(command, outputs: &outputs) }
        if case .name("model") = argument.kind { return try loadKerasModel(command, outputs: &outputs) }
        if case .name(let word) = argument.kind, word == "csv" || word == "tsv", session[word] == nil {
            return try loadNumberTable(command, separator: word == "tsv" ? .tab : nil, outputs: &outputs)
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
        // Where the files came from and whether they are the published ones (a generated
        // dataset has nothing to tell).
        if kind != .shapes {
            let provenance = Provenance.check(kind, folder: dataset.source)
            outputs.append(.text("\(kind.rawValue): \(dataset.train.count) training and \(dataset.test.count) test images "
                                 + provenance.sentence))
        }
        return .dataset(dataset)
    }

    /// `load images from "DIR" size HxW [validation_split F] [seed N] [grayscale] [skip_invalid]`:
    /// a folder of class subfolders, as Keras's `image_dataset_from_directory`.
    func loadImageFolder(_ command: Command, outputs: inout [Output]) throws -> Value {
        guard let from = command.option("from") else {
            throw Diagnostic.error("load images needs the folder", at: command.span,
                                   hint: "write load images from \"DIR\" size 64x64 (one subfolder per class)")
        }
        var directory = try filePath(from, what: "the image folder", inOutputFolder: false, outputs: &outputs)
        // A folder this run wrote (`save … images "DIR"`) is in the output folder.
        let written = try filePath(from, what: "the image folder", outputs: &outputs)
        if !FileManager.default.fileExists(atPath: directory), FileManager.default.fileExists(atPath: written) { directory = written }
        guard let (sizeValue, sizeExpr) = try option(command, "size", outputs: &outputs) else {
            throw Diagnostic.error("load images needs the size to resize every image to", at: command.span,
                                   hint: "add size 64x64 (Keras's image_size; its default is 256x256)")
        }
        let size: (Int, Int)
        switch sizeValue {
        case .size(let s) where s.count == 2 && s.allSatisfy({ $0 > 0 && $0 <= 4096 }): size = (s[0], s[1])
        case .number(let n) where n.rounded() == n && n > 0 && n <= 4096: size = (Int(n), Int(n))
        default:
            throw Diagnostic.error("an image size is HEIGHTxWIDTH of at most 4096 each, got \(sizeValue.brief)", at: sizeExpr.span,
                                   hint: "for example size 64x64")
        }
        var seed = UInt32(truncatingIfNeeded: session.seed)
        if let (value, expr) = try option(command, "seed", outputs: &outputs) {
            seed = UInt32(try integer(value, at: expr.span, what: "the seed", minimum: 0) & 0xFFFF_FFFF)
        }
        var options = ImageFolderOptions(height: size.0, width: size.1, seed: seed)
        options.grayscale = command.option("grayscale") != nil
        options.skipInvalid = command.option("skip_invalid") != nil
        if let (value, expr) = try option(command, "validation_split", outputs: &outputs) {
            guard case .number(let split) = value, split > 0, split < 1 else {
                throw Diagnostic.error("validation_split must be a fraction between 0 and 1, got \(value.brief)", at: expr.span,
                                       hint: "for example validation_split 0.2")
            }
            options.validationSplit = split
        }
        let result: ImageFolderResult
        do {
            result = try ImageFolder.read(directory, options: options, shouldStop: session.shouldStop)
        } catch let error as DataError {
            throw Diagnostic.error(error.message, at: from.value?.span ?? from.span, hint: error.hint)
        }
        var dataset = result.dataset
        if let limit = session.imageLimit {
            dataset = dataset.prefix(train: limit, test: max(limit / 5, 1))
        }
        let d = result.dataset
        var text = "Found \(d.train.count + d.test.count) files belonging to \(d.classNames.count) classes."
        if options.validationSplit != nil { text += "\nUsing \(d.train.count) files for training, \(d.test.count) for validation." }
        outputs.append(.text(text))
        if !result.skipped.isEmpty {
            outputs.append(warning("skipped \(result.skipped.count) file\(result.skipped.count == 1 ? "" : "s") that did not decode: "
                                   + result.skipped.prefix(3).joined(separator: "; ") + (result.skipped.count > 3 ? "; …" : ""),
                                   at: from.value?.span ?? from.span))
        }
        return .dataset(dataset)
    }

    /// `load csv "F" [label COLUMN] [header] [test "F2"]`: rows of numbers with a label each, as
    /// tabular and time-series lessons read them (`.tsv`: the UCR archive's tab-separated files).
    func loadNumberTable(_ command: Command, separator: NumberTableOptions.Separator?, outputs: inout [Output]) throws -> Value {
        let kind = sourceText(command.arguments[0])
        guard command.arguments.count == 2, case .string(let written) = try evaluate(command.arguments[1], outputs: &outputs) else {
            throw Diagnostic.error("load \(kind) needs the file, as a quoted path", at: command.span,
                                   hint: "write data = load \(kind) \"data.\(kind)\" [label COLUMN] [header] [test \"test.\(kind)\"]")
        }
        let fileSpan = command.arguments[1].span
        if let other = command.options.first(where: { !["label", "header", "test"].contains($0.name.name) }) {
            throw Diagnostic.error("load \(kind) takes label, header and test, not \(other.name.name)", at: other.name.span,
                                   hint: "write data = load \(kind) \"data.\(kind)\" [label COLUMN] [header] [test \"test.\(kind)\"]")
        }
        var options = NumberTableOptions()
        options.separator = separator ?? NumberTableOptions.separator(forPath: written)
        options.header = command.option("header") != nil
        if let (value, expr) = try option(command, "label", outputs: &outputs) {
            switch value {
            case .number(let x) where x.rounded() == x && abs(x) < 1e9: options.label = .index(Int(x))
            case .string(let name), .word(let name): options.label = .name(name)
            default:
                throw Diagnostic.error("the label column is a position (0 is the first, -1 the last) or a name from the header, got \(value.brief)",
                                       at: expr.span, hint: "for example label 0, label -1 or label \"species\"")
            }
        }
        var testPath: String?
        var testSpan = fileSpan
        if let test = command.option("test") {
            testPath = try filePath(test, what: "the test file", inOutputFolder: false, outputs: &outputs)
            testSpan = test.value?.span ?? test.span
        }
        func read(_ path: String, at span: SourceSpan) throws -> NumberTable {
            do {
                return try NumberTable.read(path, options: options)
            } catch let error as LabelColumnError {
                throw Diagnostic.error(error.problem.message, at: command.option("label")?.value?.span ?? span, hint: error.problem.hint)
            } catch let error as DataError {
                throw Diagnostic.error(error.message, at: span, hint: error.hint)
            }
        }
        let train = try read(resolvedPath(written, inOutputFolder: false), at: fileSpan)
        let test = try testPath.map { try read($0, at: testSpan) }
        var dataset: Dataset
        let numbering: ClassNumbering
        do {
            (dataset, numbering) = try NumberTable.dataset(train: train, test: test)
        } catch let error as DataError {
            throw Diagnostic.error(error.message, at: test != nil && error.hint == NumberTable.widthMismatchHint ? testSpan : fileSpan, hint: error.hint)
        }
        if let limit = session.imageLimit {
            dataset = dataset.prefix(train: limit, test: max(limit / 5, 1))
        }
        let classes = numbering.classNames
        var text = "\((written as NSString).lastPathComponent): \(dataset.train.count) rows of \(dataset.train.imageSize) values"
        if let testPath { text += ", \((testPath as NSString).lastPathComponent): \(dataset.test.count) rows" }
        text += ", \(classes.count) class\(classes.count == 1 ? "" : "es")"
        if numbering.renumbered {
            let shown = classes.prefix(10).enumerated().map { "\($1) as \($0)" }.joined(separator: ", ")
            text += " (labels \(shown)\(classes.count > 10 ? ", …" : ""); .classes keeps them)"
        }
        outputs.append(.text(text))
        return .dataset(dataset)
    }

    /// `save IMAGES images "DIR"`: PNG files in one folder per class, which `load images` reads.
    func saveImages(_ command: Command, _ option: NamedOption, outputs: inout [Output]) throws -> Value {
        let split = try images(command.arguments[0], outputs: &outputs)
        if command.arguments.count > 1 || command.option("weights") != nil {
            throw Diagnostic.error("save writes images or a model, not both", at: command.span,
                                   hint: "write save data.train[0..<2000] images \"DIR\"")
        }
        let (directory, written) = try writing(option, what: "the image folder", outputs: &outputs) { directory in
            do {
                return (directory, try ImageFolder.write(split, to: directory))
            } catch let error as any ExplainedError {
                throw Diagnostic.error(error.message, at: option.value?.span ?? option.span, hint: error.hint)
            }
        }
        outputs.append(.text("wrote \(written) PNG image\(written == 1 ? "" : "s") in \(split.classCounts.filter { $0 > 0 }.count) class folders under \(directory)"))
        return .none
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

    /// A path as written, resolved as `filePath` resolves a path to read.
    func resolvedPath(_ path: String, inOutputFolder: Bool = true) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        guard inOutputFolder, !expanded.hasPrefix("/") else { return expanded }
        return (session.outputDirectory as NSString).appendingPathComponent(expanded)
    }

    /// The source text of an expression, for hints that repeat what was written.
    func sourceText(_ expr: Expr) -> String {
        switch expr.kind {
        case .name(let n): return n
        case .member(let base, let member), .method(let base, let member, _): return sourceText(base) + "." + member.name
        default: return "…"
        }
    }

    /// `shape A[, B …]`: each value's shape as Keras prints it.
    func shapeCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        var parts: [String] = []
        for argument in command.arguments {
            let value = try require(argument, outputs: &outputs)
            switch value {
            // Images with their labels are a pair, printed as Python prints a tuple of tuples.
            case .dataset(let d):
                parts.append("train (\(kerasTupleText(d.train.shape)), \(kerasTupleText(d.train.labelsShape))), "
                             + "test (\(kerasTupleText(d.test.shape)), \(kerasTupleText(d.test.labelsShape)))")
            case .images(let s): parts.append("(\(kerasTupleText(s.shape)), \(kerasTupleText(s.labelsShape)))")
            case .image(let s): parts.append(kerasTupleText(s.imageShape))
            case .labels(let s): parts.append(kerasTupleText(s.labelsShape))
            case .tensor(let t): parts.append(kerasTupleText(t.shape))
            case .model(let m):
                parts.append(kerasTupleText([-1] + m.inputShape) + " → "
                             + m.outputShapes.map { kerasTupleText([-1] + $0) }.joined(separator: ", "))
            case .layers(let m, let indices):
                parts.append(indices.map { kerasTupleText([-1] + m.node(ofLayer: $0).shape) }.joined(separator: ", "))
            case .list(let items):
                // Several outputs of predict: each array's shape, as `[a.shape for a in p]` prints them.
                let shapes = items.compactMap { item -> String? in if case .tensor(let t) = item { return kerasTupleText(t.shape) } else { return nil } }
                parts.append(shapes.count == items.count && !items.isEmpty ? "[" + shapes.joined(separator: ", ") + "]" : "(\(items.count),)")
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
        guard split.holdsBytes else {
            return try GridImage(width: split.width, height: split.height, channels: split.channels,
                                 pixels: split.values(at: index), caption: caption)
        }
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

// MARK: - Reshaping

extension Interpreter {
    func isWord(_ value: Value) -> Bool { if case .word = value { return true } else { return false } }

    /// `x.reshape 500x1`: a dataset's or images' items take the new shape as Keras's `Reshape`
    /// does (the batch axis stays), a tensor as NumPy's `reshape` (every axis); a list such as
    /// `[-1, 1]` lets one axis follow from the others. Copies nothing for images.
    func reshape(_ value: Value, to shapeValue: Value, base: Expr, argument: Expr, expr: Expr) throws -> Value {
        let size: Int
        switch value {
        case .dataset(let d): size = d.train.imageSize
        case .images(let s), .image(let s): size = s.imageSize
        case .tensor(let t): size = t.count
        default:
            throw Diagnostic.error("reshape works on datasets, images and tensors, not on \(value.kindName)", at: base.span,
                                   hint: "for example data.train.reshape 140x1")
        }
        var axes: [Int]
        switch shapeValue {
        case .size(let s): axes = s
        case .number(let x) where x.rounded() == x && abs(x) < 1e9: axes = [Int(x)]
        case .list(let items):
            axes = try items.map { item in
                guard case .number(let x) = item, x.rounded() == x, abs(x) < 1e9 else {
                    throw Diagnostic.error("a shape holds whole numbers, got \(item.brief)", at: argument.span, hint: "for example [-1, 1]")
                }
                return Int(x)
            }
        default:
            throw Diagnostic.error("a shape is written 500x1 or [-1, 1], got \(shapeValue.kindName)", at: argument.span)
        }
        let itemShape: [Int] = {
            switch value {
            case .dataset(let d): return d.train.imageShape
            case .images(let s), .image(let s): return s.imageShape
            case .tensor(let t): return t.shape
            default: return []
            }
        }()
        let what = { () -> String in if case .tensor = value { return "a tensor of shape" } else { return "items of shape" } }()
        guard !axes.isEmpty, axes.allSatisfy({ $0 > 0 || $0 == -1 }), axes.filter({ $0 == -1 }).count <= 1 else {
            throw Diagnostic.error("\(kerasTupleText(axes)) is not a shape: axes are positive, with at most one -1", at: argument.span,
                                   hint: "for example \(size)x1 or [-1, 1]")
        }
        // Counted in Double: a slip such as 99999999x99999999 must not overflow.
        let product = axes.filter { $0 != -1 }.reduce(1.0) { $0 * Double($1) }
        let known = product < Double(Int.max / 2) ? Int(product) : Int.max
        if let free = axes.firstIndex(of: -1) {
            guard known > 0, size % known == 0, size / known > 0 else {
                throw Diagnostic.error("cannot reshape \(what) \(kerasTupleText(itemShape)) (\(size) values) into \(kerasTupleText(axes)): "
                                       + "\(size) is not a multiple of \(known)", at: expr.span,
                                       hint: "the axes other than -1 must divide \(size)")
            }
            axes[free] = size / known
        } else if known != size {
            throw Diagnostic.error("cannot reshape \(what) \(kerasTupleText(itemShape)) (\(size) values) into \(kerasTupleText(axes)) (\(countText(product)) values)",
                                   at: expr.span, hint: "the new shape must hold the same \(size) values, such as \(size)x1")
        }
        switch value {
        case .dataset(let d):
            return .dataset(Dataset(name: d.name, train: d.train.reshaped(axes), test: d.test.reshaped(axes), source: d.source))
        case .images(let s): return .images(s.reshaped(axes))
        case .image(let s): return .image(s.reshaped(axes))
        case .tensor(let t): return .tensor(t.copy().reshaped(axes))
        default: return value
        }
    }
}
