import Engine
import Foundation

/// `fit`'s Keras options beyond data, epochs and batch size: `validation_split`, `shuffle`,
/// `verbose`, `initial_epoch`, and callbacks written as options — `patience N [monitor NAME]
/// [min_delta D] [restore_best]` (EarlyStopping) and `checkpoint "FILE" [monitor NAME]`
/// (ModelCheckpoint, best only).
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
        if monitor.hasPrefix("val_"), !validation, command.option("patience") != nil || command.option("checkpoint") != nil {
            let at = command.option("monitor")?.span ?? command.option("patience")?.span ?? command.option("checkpoint")!.span
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
        if let (value, expr) = try interpreter.option(command, "patience", outputs: &outputs) {
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

/// The callbacks of one `fit`, called at each epoch's end.
struct FitCallbacks {
    var earlyStopping: EarlyStopping?
    var checkpoint: ModelCheckpoint?

    /// Runs each callback on the epoch's logs (`epoch` from 0); true asks training to stop.
    func epochEnded(_ epoch: Int, logs: [String: Double], model: Model) throws -> Bool {
        try checkpoint?.epochEnded(epoch, logs: logs, model: model)
        return earlyStopping?.epochEnded(epoch, logs: logs, model: model) ?? false
    }
}
