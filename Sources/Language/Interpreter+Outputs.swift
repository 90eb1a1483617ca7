import Basics
import Datasets
import Engine

/// Models with several outputs in `compile`, `fit` and `evaluate`: an option given once for
/// every output or per output name (`loss digit sparse_categorical_crossentropy, odd
/// binary_crossentropy`), and the targets each output learns (`targets digit labels, odd
/// labels % 2`, a bare `labels` being the labels of the images read).
extension Interpreter {
    /// Each output's expression for option `name`, in the order of `model.outputs`: the one
    /// value for every output, or each output's own (nil for an output not named). A name that
    /// is not one of the model's outputs is an error at that name. Nil when the option is absent.
    func perOutput(_ command: Command, _ name: String, model: Model) throws -> [Expr?]? {
        guard let option = command.option(name) else { return nil }
        if let value = option.value { return Array(repeating: value, count: model.outputs.count) }
        let names = model.outputNames
        var result = [Expr?](repeating: nil, count: names.count)
        for pair in option.perOutput {
            guard let k = names.firstIndex(of: pair.output.name) else {
                var hint = (names.count == 1 ? "its output is " : "its outputs are ") + names.joined(separator: ", ")
                    + " (an output is named after its layer: dense 1 sigmoid name \"odd\")"
                if let near = nearestWord(to: pair.output.name, among: names) { hint = "did you mean '\(near)'? " + hint }
                throw Diagnostic.error("model \(model.name) has no output named '\(pair.output.name)'", at: pair.output.span, hint: hint)
            }
            result[k] = pair.value
        }
        return result
    }

    /// Every output's expression for option `name`, which each output must have.
    func everyOutput(_ command: Command, _ name: String, model: Model, what: String, example: String) throws -> [Expr]? {
        guard let exprs = try perOutput(command, name, model: model) else { return nil }
        return try exprs.enumerated().map { k, expr in
            guard let expr else {
                let names = model.outputNames
                throw Diagnostic.error("output '\(names[k])' of \(model.name) has no \(what)", at: command.option(name)!.span,
                                       hint: "give every output its \(what): \(name) " + names.map { "\($0) \(example)" }.joined(separator: ", "))
            }
            return expr
        }
    }

    /// What `fit` or `evaluate` reads from `split`: the split itself for a model with one output
    /// and no `targets`; else its images with each output's targets, from `targets` (evaluated
    /// with a bare `labels` standing for the split's labels) or the split's own labels.
    func trainingSource(_ model: Model, _ split: DatasetSplit, command: Command, at span: SourceSpan,
                        outputs: inout [Output]) throws -> BatchSource {
        guard model.outputs.count > 1 || command.option("targets") != nil else {
            try checkFits(model, split, at: span)
            return try targetsForLoss(model, split, at: span)
        }
        try checkFits(model, split, at: span, labels: false)
        let exprs = try everyOutput(command, "targets", model: model, what: "targets", example: "labels")
        var sets: [TargetSet] = []
        for k in model.outputs.indices {
            var value = Value.images(split), at = span
            if let expr = exprs?[k] {
                let saved = indexedSplit
                indexedSplit = split
                defer { indexedSplit = saved }
                value = try require(expr, outputs: &outputs)
                at = expr.span
            }
            sets.append(try targetSet(value, model: model, output: k, count: split.count, at: at))
        }
        return SplitTargets(split, targetSets: sets)
    }

    /// One output's targets from labels (class indices, or their values for a single-unit
    /// output) or a tensor with one row per image, checked against the output and its loss.
    private func targetSet(_ value: Value, model: Model, output k: Int, count: Int, at span: SourceSpan) throws -> TargetSet {
        let loss = model.losses[k], shape = model.outputs[k].shape, name = model.outputNames[k]
        let which = model.outputs.count > 1 ? "output \(name)" : model.name
        switch value {
        case .labels(let split), .images(let split):
            guard split.count == count else {
                throw Diagnostic.error("the targets of \(which) are \(split.count) labels for \(count) images", at: span,
                                       hint: "write a bare labels: it stands for the labels of the images read")
            }
            if split.labelEncoding == .oneHot {
                let values = Tensor(zeros: [count, split.oneHotWidth])
                var unused = [Int32](repeating: 0, count: count)
                unused.withUnsafeMutableBufferPointer { split.fillTargets(indices: Array(0..<count)[...], labels: $0, values: values) }
                return try targetSet(.tensor(values), model: model, output: k, count: count, at: span)
            }
            if loss.usesClassIndices {
                let labels = split.labels
                if let top = labels.max(), let units = shape.last, Int(top) >= units || labels.contains(where: { $0 < 0 }) {
                    throw Diagnostic.error("\(which) has \(units) units but its labels run from \(labels.min()!) to \(top)", at: span,
                                           hint: "give \(name) \(Int(top) + 1) units, or labels from 0 to \(units - 1)")
                }
                return .labels(labels)
            }
            if loss.kind == .categoricalCrossentropy {
                throw Diagnostic.error("categorical_crossentropy needs one-hot targets, these are class labels", at: span,
                                       hint: "one-hot encode them (onehot labels), or use sparse_categorical_crossentropy for \(name)")
            }
            return try targetSet(.tensor(Tensor(shape: [count], values: split.labels.map { Float($0) })),
                                 model: model, output: k, count: count, at: span)
        case .tensor(let t):
            guard t.rank >= 1, t.shape[0] == count else {
                throw Diagnostic.error("the targets of \(which) have shape \(kerasTupleText(t.shape)), one row per image needs \(count) rows",
                                       at: span, hint: "compute them from a bare labels: it stands for the labels of the images read")
            }
            if loss.usesClassIndices {
                let values = t.scalars
                guard t.count == count, values.allSatisfy({ $0.rounded() == $0 && $0 >= 0 && Int($0) < (shape.last ?? 0) }) else {
                    throw Diagnostic.error("\(loss.rawValue) needs one class index per image from 0 to \((shape.last ?? 1) - 1), got a tensor of shape \(kerasTupleText(t.shape))",
                                           at: span, hint: "give labels, or use categorical_crossentropy for one-hot rows")
                }
                return .labels(values.map { Int32($0) })
            }
            // As Keras reads y of shape (N,) for an output of shape (None, 1).
            let rows = t.rank == 1 && shape == [1] ? t.reshaped([count, 1]) : t
            guard Array(rows.shape.dropFirst()) == shape else {
                let whose = model.outputs.count > 1 ? "output \(name)" : "the output of \(model.name)"
                throw Diagnostic.error("targets of shape \(kerasTupleText(Array(rows.shape.dropFirst()))) do not match \(whose), of shape \(kerasShapeText(shape))",
                                       at: span, hint: shape == [1] ? "give one number per image" : "give one row of \(kerasTupleText(shape)) per image")
            }
            return .values(rows)
        default:
            throw Diagnostic.error("the targets of \(which) are labels or a tensor, got \(value.kindName)", at: span,
                                   hint: "for example targets \(name) labels % 2")
        }
    }
}
