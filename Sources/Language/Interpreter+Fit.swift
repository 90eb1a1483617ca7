import Datasets
import Engine
import Foundation

/// `fit`'s Keras options beyond data, epochs and batch size: `validation_split`, `shuffle`,
/// `verbose`, `initial_epoch`, `class_weight [W0, W1, …] | balanced`, `lr_schedule cosine|exponential
/// decay_steps N [alpha A | decay_rate R [staircase]]`, and callbacks written as options —
/// `patience N [monitor NAME] [min_delta D] [restore_best]` (EarlyStopping), `checkpoint "FILE"
/// [monitor NAME]` (ModelCheckpoint, best only) and `reduce_lr F [patience N] [monitor NAME]
/// [min_delta D] [min_lr L]` (ReduceLROnPlateau; there patience, monitor and min_delta are its own).
struct FitSettings {
    var verbose = 1
    var shuffle = true
    var validationSplit: Double?
    var initialEpoch: Int?
    let command: Command

    /// The names a callback may watch, validation ones first, as Keras logs them: with
    /// several outputs also each output's (`val_digit_accuracy`). With `measured` only the
    /// accuracies the model was compiled to measure, else every accuracy it could have.
    static func monitors(for model: Model, measured: Bool = false) -> [String] {
        var keys = ["loss"]
        let several = model.outputs.count > 1
        if several { keys += model.outputNames.map { $0 + "_loss" } }
        for (k, name) in model.outputNames.enumerated() where !measured || model.outputMetrics[k].contains(.accuracy) {
            keys.append(several ? name + "_accuracy" : "accuracy")
        }
        return keys.map { "val_" + $0 } + keys
    }

    init(_ command: Command, interpreter: Interpreter, outputs: inout [Output]) throws {
        self.command = command
        if let (value, expr) = try interpreter.option(command, "verbose", outputs: &outputs) {
            guard case .number(let v) = value, [0, 1, 2].contains(v) else {
                throw Diagnostic.error("verbose is 0 (silent), 1 (a progress bar) or 2 (one line per epoch), got \(value.brief)", at: expr.span)
            }
            verbose = Int(v)
        }
        if let (value, expr) = try interpreter.option(command, "shuffle", outputs: &outputs) {
            guard case .word(let w) = value, ["true", "false", "True", "False"].contains(w) else {
                throw Diagnostic.error("shuffle is true or false, got \(value.brief)", at: expr.span, hint: "write shuffle false")
            }
            shuffle = w.lowercased() == "true"
        }
        if let (value, expr) = try interpreter.option(command, "validation_split", outputs: &outputs) {
            guard case .number(let split) = value, split > 0, split < 1 else {
                throw Diagnostic.error("validation_split must be a fraction between 0 and 1, got \(value.brief)", at: expr.span,
                                       hint: "for example validation_split 0.1 (Keras keeps the last 10% apart)")
            }
            validationSplit = split
        }
        if let (value, expr) = try interpreter.option(command, "initial_epoch", outputs: &outputs) {
            initialEpoch = try interpreter.integer(value, at: expr.span, what: "initial_epoch", minimum: 0)
        }
    }

    /// The callbacks the options ask for, checked before training starts.
    func callbacks(for model: Model, validation: Bool, interpreter: Interpreter, outputs: inout [Output]) throws -> FitCallbacks {
        var monitor = "val_loss"
        if let (value, expr) = try interpreter.option(command, "monitor", outputs: &outputs) {
            let name = try interpreter.word(value, at: expr.span, what: "the monitored metric")
            let monitors = FitSettings.monitors(for: model)
            guard monitors.contains(name) else {
                var hint = "monitor one of " + monitors.joined(separator: ", ")
                if let near = nearestWord(to: name, among: monitors) { hint = "did you mean '\(near)'? " + hint }
                throw Diagnostic.error("cannot monitor '\(name)'", at: expr.span, hint: hint)
            }
            monitor = name
        }
        if !FitSettings.monitors(for: model, measured: true).contains(monitor), let option = command.option("monitor") {
            throw Diagnostic.error("\(monitor) is not measured: \(model.name) was compiled without metrics accuracy", at: option.span,
                                   hint: "compile with metrics accuracy, or monitor \(monitor.hasPrefix("val_") ? "val_loss" : "loss")")
        }
        if monitor.hasPrefix("val_"), !validation, let callback = command.option("patience") ?? command.option("checkpoint") ?? command.option("reduce_lr") {
            let at = command.option("monitor")?.span ?? callback.span
            throw Diagnostic.error("\(monitor) is measured on validation data, and this fit has none", at: at,
                                   hint: "add validate DATA or validation_split 0.2, or monitor loss")
        }
        var minDelta = 0.0
        if let (value, expr) = try interpreter.option(command, "min_delta", outputs: &outputs) {
            guard case .number(let d) = value, d >= 0 else {
                throw Diagnostic.error("min_delta must be a number of at least 0, got \(value.brief)", at: expr.span)
            }
            minDelta = d
        }
        var result = FitCallbacks()
        if let (value, expr) = try interpreter.option(command, "reduce_lr", outputs: &outputs) {
            guard case .number(let factor) = value, factor > 0, factor < 1 else {
                throw Diagnostic.error("reduce_lr takes the factor the learning rate is multiplied by, between 0 and 1, got \(value.brief)",
                                       at: expr.span, hint: "for example reduce_lr 0.5 patience 2")
            }
            if let option = command.option("restore_best") {
                throw Diagnostic.error("restore_best belongs to early stopping; with reduce_lr, patience is the learning rate's", at: option.span,
                                       hint: "train with reduce_lr in one fit and patience … restore_best in another")
            }
            if let option = command.option("lr_schedule") {
                throw Diagnostic.error("a learning-rate schedule and reduce_lr cannot both set the rate", at: option.span,
                                       hint: "keep lr_schedule or reduce_lr, as Keras does not reduce a scheduled rate")
            }
            var patience = 10
            if let (value, expr) = try interpreter.option(command, "patience", outputs: &outputs) {
                patience = try interpreter.integer(value, at: expr.span, what: "the patience", minimum: 0)
            }
            var minLR = 0.0
            if let (value, expr) = try interpreter.option(command, "min_lr", outputs: &outputs) {
                guard case .number(let rate) = value, rate >= 0 else {
                    throw Diagnostic.error("min_lr must be a number of at least 0, got \(value.brief)", at: expr.span)
                }
                minLR = rate
            }
            // Keras's ReduceLROnPlateau defaults: min_delta 1e-4, patience 10.
            let delta = command.option("min_delta") == nil ? 1e-4 : minDelta
            result.reduceLR = ReduceLROnPlateau(monitor: Monitor(monitor, minDelta: delta), factor: factor, patience: patience, minLR: minLR)
        } else if let option = command.option("min_lr") {
            throw Diagnostic.error("min_lr belongs to reduce_lr", at: option.span, hint: "add reduce_lr 0.5: lower the rate when training stalls")
        } else if let (value, expr) = try interpreter.option(command, "patience", outputs: &outputs) {
            let patience = try interpreter.integer(value, at: expr.span, what: "the patience", minimum: 0)
            result.earlyStopping = EarlyStopping(monitor: Monitor(monitor, minDelta: minDelta), patience: patience,
                                                 restoreBest: command.option("restore_best") != nil)
        } else if let option = command.option("restore_best") ?? command.option("min_delta") {
            throw Diagnostic.error("\(option.name.name) belongs to early stopping, which patience turns on", at: option.span,
                                   hint: "add patience N: stop after N epochs without improvement")
        }
        if let option = command.option("checkpoint") {
            // Checked for writing now, before training starts; written at the best epochs.
            let span = option.value?.span ?? option.span
            guard let expr = option.value, case .string(let written) = try interpreter.evaluate(expr, outputs: &outputs) else {
                throw Diagnostic.error("the checkpoint file is written as a quoted path", at: span, hint: "write checkpoint \"best.npz\"")
            }
            let path = try interpreter.session.writablePath(written, at: span)
            interpreter.session.recordWritten(path)
            result.checkpoint = ModelCheckpoint(monitor: Monitor(monitor)) { model in
                if (path as NSString).pathExtension.lowercased() == "keras" {
                    _ = try interpreter.saveKerasArchive(model, to: path, at: span)
                } else {
                    _ = try interpreter.saveWeights(of: model, to: path, at: span)
                }
            }
        }
        return result
    }
}

extension FitSettings {
    /// `class_weight [W0, W1, …]` (Keras's `{0: W0, 1: W1, …}`) or `class_weight balanced`
    /// (scikit-learn's `compute_class_weight("balanced")` on the items trained on: items /
    /// (classes present · items of the class)); nil when not given.
    func classWeights(for train: DatasetSplit, model: Model, interpreter: Interpreter, outputs: inout [Output]) throws -> [Int: Float]? {
        guard let (value, expr) = try interpreter.option(command, "class_weight", outputs: &outputs) else { return nil }
        switch value {
        case .word("balanced"):
            let counts = train.classCounts
            let present = counts.filter { $0 > 0 }.count
            var weights: [Int: Float] = [:]
            for (label, count) in counts.enumerated() where count > 0 {
                weights[label] = Float(Double(train.count) / Double(present * count))
            }
            return weights
        case .list(let items):
            var weights: [Int: Float] = [:]
            for (label, item) in items.enumerated() {
                guard case .number(let w) = item, w >= 0, w.isFinite else {
                    throw Diagnostic.error("class weight \(label) must be a number of at least 0, got \(item.brief)", at: expr.span)
                }
                weights[label] = Float(w)
            }
            if let classes = model.outputShapes.first?.last, classes > 1, items.count > classes {
                throw Diagnostic.error("\(items.count) class weights for a model with \(classes) classes", at: expr.span,
                                       hint: "give one weight per class, in the order of the labels")
            }
            return weights
        default:
            throw Diagnostic.error("class_weight is a list of weights, one per class, or balanced; got \(value.brief)", at: expr.span,
                                   hint: "for example class_weight [1.0, 3.5] (class 0 weighs 1, class 1 weighs 3.5) or class_weight balanced")
        }
    }

    /// `lr_schedule cosine decay_steps N [alpha A]` (Keras's CosineDecay) or `lr_schedule
    /// exponential decay_steps N decay_rate R [staircase]` (ExponentialDecay), from the rate the
    /// model was compiled with; nil when not given.
    func schedule(for model: Model, interpreter: Interpreter, outputs: inout [Output]) throws -> LearningRateSchedule? {
        let cosineWords = ["alpha"], exponentialWords = ["decay_rate", "staircase"]
        guard let (value, expr) = try interpreter.option(command, "lr_schedule", outputs: &outputs) else {
            if let option = (["decay_steps"] + cosineWords + exponentialWords).lazy.compactMap({ self.command.option($0) }).first {
                throw Diagnostic.error("\(option.name.name) belongs to lr_schedule", at: option.span,
                                       hint: "add lr_schedule cosine decay_steps 1000, or lr_schedule exponential decay_steps 1000 decay_rate 0.96")
            }
            return nil
        }
        let kinds = ["cosine", "exponential"]
        guard case .word(let kind) = value, kinds.contains(kind) else {
            var hint = "lr_schedule cosine decay_steps 1000, or lr_schedule exponential decay_steps 1000 decay_rate 0.96"
            if case .word(let w) = value, let near = nearestWord(to: w, among: kinds) { hint = "did you mean '\(near)'? " + hint }
            throw Diagnostic.error("lr_schedule is cosine or exponential, got \(value.brief)", at: expr.span, hint: hint)
        }
        guard let (stepsValue, stepsExpr) = try interpreter.option(command, "decay_steps", outputs: &outputs) else {
            throw Diagnostic.error("the \(kind) schedule needs decay_steps: the training steps (batches) it decays over", at: expr.span,
                                   hint: kind == "cosine" ? "for example lr_schedule cosine decay_steps 1000" : "for example lr_schedule exponential decay_steps 1000 decay_rate 0.96")
        }
        let steps = try interpreter.integer(stepsValue, at: stepsExpr.span, what: "decay_steps")
        let initial = model.optimizer?.learningRate ?? 0.001
        if kind == "cosine" {
            if let option = exponentialWords.lazy.compactMap({ self.command.option($0) }).first {
                throw Diagnostic.error("\(option.name.name) belongs to the exponential schedule", at: option.span,
                                       hint: "the cosine schedule takes decay_steps and alpha")
            }
            var alpha = 0.0
            if let (value, expr) = try interpreter.option(command, "alpha", outputs: &outputs) {
                guard case .number(let a) = value, a >= 0, a <= 1 else {
                    throw Diagnostic.error("alpha is the fraction of the rate left at the end, between 0 and 1, got \(value.brief)", at: expr.span)
                }
                alpha = a
            }
            return .cosine(initial: initial, decaySteps: steps, alpha: Float(alpha))
        }
        if let option = command.option("alpha") {
            throw Diagnostic.error("alpha belongs to the cosine schedule", at: option.span,
                                   hint: "the exponential schedule takes decay_steps, decay_rate and staircase")
        }
        guard let (rateValue, rateExpr) = try interpreter.option(command, "decay_rate", outputs: &outputs) else {
            throw Diagnostic.error("the exponential schedule needs decay_rate: the factor per decay_steps", at: expr.span,
                                   hint: "for example lr_schedule exponential decay_steps 1000 decay_rate 0.96")
        }
        guard case .number(let rate) = rateValue, rate > 0 else {
            throw Diagnostic.error("decay_rate must be a number above 0, got \(rateValue.brief)", at: rateExpr.span)
        }
        return .exponential(initial: initial, decaySteps: steps, decayRate: Float(rate), staircase: command.option("staircase") != nil)
    }
}

/// The callbacks of one `fit`, called at each epoch's end.
struct FitCallbacks {
    var earlyStopping: EarlyStopping?
    var checkpoint: ModelCheckpoint?
    var reduceLR: ReduceLROnPlateau?

    /// Runs each callback on the epoch's logs (`epoch` from 0); true asks training to stop.
    func epochEnded(_ epoch: Int, logs: [String: Double], model: Model) throws -> Bool {
        try checkpoint?.epochEnded(epoch, logs: logs, model: model)
        if let reduceLR, let optimizer = model.optimizer { reduceLR.epochEnded(epoch, logs: logs, optimizer: optimizer) }
        return earlyStopping?.epochEnded(epoch, logs: logs, model: model) ?? false
    }
}
