import Basics
import Datasets
import Engine
import Foundation
import Render

/// `compile`, `fit`, `evaluate`, `predict` and `save`: training a model and using it.
extension Interpreter {
    /// `compile MODEL optimizer adam loss sparse_categorical_crossentropy metrics accuracy [lr 0.001]`;
    /// with several outputs the loss and metrics are for all of them or per output name:
    /// `loss digit sparse_categorical_crossentropy, odd binary_crossentropy metrics accuracy`.
    func compileCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let model = try self.model(command.arguments[0], outputs: &outputs)
        var optimizerName = "rmsprop"  // Keras's default optimizer
        if let (value, expr) = try option(command, "optimizer", outputs: &outputs) {
            optimizerName = try word(value, at: expr.span, what: "the optimizer")
        }
        guard let optimizer = makeOptimizer(kerasName: optimizerName) else {
            var hint = "use one of " + optimizerNames.joined(separator: ", ")
            if let near = nearestWord(to: optimizerName, among: optimizerNames) { hint = "did you mean '\(near)'? " + hint }
            throw Diagnostic.error("unknown optimizer '\(optimizerName)'", at: command.option("optimizer")?.value?.span ?? command.span, hint: hint)
        }
        for name in Vocabulary.optimizerOptions {
            guard let given = command.option(name) else { continue }
            var number: Float = 1  // a flag (nesterov) is on
            if let (value, expr) = try option(command, name, outputs: &outputs), given.value != nil {
                guard case .number(let x) = value else {
                    throw Diagnostic.error("\(name) must be a number, got \(value.brief)", at: expr.span)
                }
                number = Float(x)
            }
            do {
                try optimizer.set(name, number)
            } catch {
                throw Diagnostic.error(error.message, at: given.value?.span ?? given.span, hint: error.hint)
            }
        }
        guard let lossExprs = try everyOutput(command, "loss", model: model, what: "loss", example: "NAME") else {
            throw Diagnostic.error("compile needs a loss", at: command.span,
                                   hint: "add loss sparse_categorical_crossentropy (integer labels) or loss categorical_crossentropy (one-hot)")
        }
        let fromLogits = command.option("from_logits") != nil
        var losses: [Loss] = []
        for lossExpr in lossExprs {
            let lossName = try word(try evaluate(lossExpr, outputs: &outputs), at: lossExpr.span, what: "the loss")
            guard let loss = Loss(kerasName: lossName, fromLogits: fromLogits) else {
                let known = Loss.allCases.map(\.rawValue) + Loss.aliasNames
                var hint = "use one of " + known.joined(separator: ", ")
                if let near = nearestWord(to: lossName, among: known) { hint = "did you mean '\(near)'? " + hint }
                throw Diagnostic.error("unknown loss '\(lossName)'", at: lossExpr.span, hint: hint)
            }
            losses.append(loss)
        }
        if fromLogits && !losses.contains(where: \.isCrossEntropy), let option = command.option("from_logits") {
            throw Diagnostic.error("from_logits applies to the cross-entropy losses, not \(losses[0].rawValue)", at: option.span,
                                   hint: "remove from_logits")
        }
        var metrics = [[Metric]](repeating: [], count: model.outputs.count)
        for (k, expr) in (try perOutput(command, "metrics", model: model) ?? []).enumerated() {
            guard let expr else { continue }  // Keras: an output left out of the metrics has none
            let value = try evaluate(expr, outputs: &outputs)
            let names: [String]
            if case .list(let items) = value {
                names = try items.map { try word($0, at: expr.span, what: "a metric") }
            } else {
                names = [try word(value, at: expr.span, what: "a metric")]
            }
            for name in names {
                guard let metric = Metric(rawValue: name == "acc" ? "accuracy" : name) else {
                    let known = Metric.allCases.map(\.rawValue)
                    var hint = "use " + known.joined(separator: ", ")
                    if let near = nearestWord(to: name, among: known) { hint = "did you mean '\(near)'? " + hint }
                    throw Diagnostic.error("unknown metric '\(name)'", at: expr.span, hint: hint)
                }
                metrics[k].append(metric)
            }
        }
        if command.option("lr") != nil && command.option("learning_rate") != nil, let option = command.option("learning_rate") {
            throw Diagnostic.error("the learning rate is given twice", at: option.span, hint: "keep lr or learning_rate, not both")
        }
        if let (value, expr) = try option(command, "lr", outputs: &outputs) ?? option(command, "learning_rate", outputs: &outputs) {
            guard case .number(let rate) = value, rate > 0, rate < 10 else {
                throw Diagnostic.error("the learning rate must be a positive number, got \(value.brief)", at: expr.span,
                                       hint: "for example lr 0.001")
            }
            optimizer.learningRate = Float(rate)
        }
        do {
            try model.compile(optimizer: optimizer, losses: losses, metrics: metrics)
        } catch {
            throw Diagnostic.error(error.message, at: command.span, hint: error.hint)
        }
        // One loss (or list of metrics) for every output is written once, as it was given.
        func perOutputText<T>(_ values: [T], _ text: (T) -> String) -> String {
            let texts = values.map(text)
            if Set(texts).count == 1 { return texts[0] }
            return zip(model.outputNames, texts).filter { !$0.1.isEmpty }.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        }
        var text = "\(model.name): optimizer \(optimizer.name) (learning rate \(optimizer.learningRate)), loss "
            + perOutputText(losses) { $0.rawValue + ($0.fromLogits ? " from logits" : "") }
        if metrics.contains(where: { !$0.isEmpty }) {
            text += ", metrics " + perOutputText(metrics) { $0.map(\.rawValue).joined(separator: " ") }
        }
        outputs.append(.text(text))
        for (k, loss) in losses.enumerated() {
            guard let mismatch = model.lossOutputMismatch(loss, output: k) else { continue }
            outputs.append(warning(mismatch.message, at: command.option("from_logits")?.span ?? lossExprs[k].span, hint: mismatch.hint))
        }
        return .none
    }

    /// Images with labels for training or evaluation: a split (or part of one).
    func labelledImages(_ option: NamedOption?, command: Command, what: String, outputs: inout [Output]) throws -> DatasetSplit {
        guard let option, let expr = option.value else {
            throw Diagnostic.error("\(command.keyword.name) needs the images to \(what)", at: command.span,
                                   hint: "add on data.train")
        }
        let value = try require(expr, outputs: &outputs)
        switch value {
        case .images(let split), .image(let split):
            guard split.count > 0 else {
                throw Diagnostic.error("\(command.keyword.name) got no images to \(what)", at: expr.span,
                                       hint: "this range is empty; pick at least one image")
            }
            return split
        case .dataset:
            throw Diagnostic.error("\(command.keyword.name) needs one split, got a whole dataset", at: expr.span,
                                   hint: "write \(sourceText(expr)).train or \(sourceText(expr)).test")
        default:
            throw Diagnostic.error("\(command.keyword.name) needs images with labels, got \(value.kindName)", at: expr.span,
                                   hint: "for example on data.train")
        }
    }

    /// The split with its labels in the form the compiled loss reads: as Keras accepts labels of
    /// shape (N,) for a single-unit output, `binary_crossentropy`, `mse` and `mae` read each
    /// label as that unit's target. Categorical cross-entropy needs labels made one-hot first.
    func targetsForLoss(_ model: Model, _ split: DatasetSplit, at span: SourceSpan) throws -> DatasetSplit {
        guard let loss = model.loss, split.labelEncoding != .oneHot else { return split }
        if loss.kind == .categoricalCrossentropy {
            throw Diagnostic.error("categorical_crossentropy needs one-hot targets, these images have class labels", at: span,
                                   hint: "one-hot encode them first (Keras's to_categorical): data = onehot data; or compile with sparse_categorical_crossentropy")
        }
        if !loss.usesClassIndices, model.outputShapes.first == [1] { return split.encodingLabels(as: .value) }
        return split
    }

    /// Checks that a model can take images of a split before any work starts; with `labels`
    /// (training, evaluation) also that its outputs cover the classes. Predicting needs no labels.
    func checkFits(_ model: Model, _ split: DatasetSplit, at span: SourceSpan, labels: Bool = true) throws {
        guard split.imageShape == model.inputShape else {
            let wanted = model.inputShape.map(String.init).joined(separator: "x")
            // The same values in another shape (rows of a CSV file for a Conv1D): reshape them.
            let hint = split.imageSize == model.inputShape.reduce(1, *)
                ? "reshape them to the model's input: \(spanText(span) ?? "x").reshape \(wanted), or change the model's input to input \(split.imageShape.map(String.init).joined(separator: "x"))"
                : "change the model's input to input \(split.imageShape.map(String.init).joined(separator: "x"))"
            throw Diagnostic.error("the model takes inputs of \(kerasShapeText(model.inputShape)) but these images are \(kerasShapeText(split.imageShape))",
                                   at: span, hint: hint)
        }
        if labels, let last = model.outputShapes.first?.last, let loss = model.loss, loss.usesClassIndices,
           split.classNames.count > last {
            throw Diagnostic.error("the model has \(last) outputs but the data has \(split.classNames.count) classes", at: span,
                                   hint: "end the model with dense \(split.classNames.count) softmax")
        }
    }

    /// `fit MODEL on DATA epochs N [batch_size N] [validate DATA] …`: trains, printing Keras's
    /// progress; the Keras options and callbacks are in `FitSettings`.
    func fitCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let model = try self.model(command.arguments[0], outputs: &outputs)
        guard model.optimizer != nil else {
            throw Diagnostic.error("\(model.name) is not compiled", at: command.arguments[0].span,
                                   hint: "first: compile \(model.name) optimizer adam loss sparse_categorical_crossentropy metrics accuracy")
        }
        let onSpan = command.option("on")?.value?.span ?? command.span
        var trainSplit = try labelledImages(command.option("on"), command: command, what: "train on", outputs: &outputs)
        var epochs = 1
        if let (value, expr) = try option(command, "epochs", outputs: &outputs) {
            epochs = try integer(value, at: expr.span, what: "the number of epochs")
        }
        if let limit = session.epochLimit { epochs = min(epochs, limit) }
        var batchSize = 32
        if command.option("batch") != nil, let option = command.option("batch_size") {
            throw Diagnostic.error("the batch size is given twice", at: option.span, hint: "keep batch_size or batch, not both")
        }
        if let (value, expr) = try option(command, "batch_size", outputs: &outputs) ?? option(command, "batch", outputs: &outputs) {
            batchSize = try integer(value, at: expr.span, what: "the batch size")
        }
        var validationSplit: (DatasetSplit, SourceSpan)?
        if let option = command.option("validate") {
            validationSplit = (try labelledImages(option, command: command, what: "validate on", outputs: &outputs), option.value!.span)
        }
        let settings = try FitSettings(command, interpreter: self, outputs: &outputs)
        if let fraction = settings.validationSplit {
            if validationSplit != nil, let option = command.option("validation_split") {
                throw Diagnostic.error("fit validates on given data or on a split of the training data, not both", at: option.span,
                                       hint: "keep validate DATA or validation_split F")
            }
            // Keras holds out the last fraction, before any shuffling.
            let kept = Int((Double(trainSplit.count) * (1 - fraction)).rounded(.down))
            validationSplit = (trainSplit[kept..<trainSplit.count], onSpan)
            trainSplit = trainSplit[0..<kept]
        }
        let train = try trainingSource(model, trainSplit, command: command, at: onSpan, outputs: &outputs)
        let validation = try validationSplit.map { try trainingSource(model, $0.0, command: command, at: $0.1, outputs: &outputs) }
        if let initial = settings.initialEpoch, initial >= epochs, let option = command.option("initial_epoch") {
            throw Diagnostic.error("initial_epoch \(initial) leaves no epoch to train of \(epochs)", at: option.span,
                                   hint: "epochs counts up to the last epoch, as Keras's: initial_epoch 2 epochs 5 trains epochs 3 to 5")
        }
        let offset = settings.initialEpoch ?? 0
        let callbacks = try settings.callbacks(for: model, validation: validation != nil, interpreter: self, outputs: &outputs)
        var fitOptions = FitOptions(epochs: epochs - offset, batchSize: batchSize, shuffle: settings.shuffle, validation: validation)
        fitOptions.classWeights = try settings.classWeights(for: trainSplit, model: model, interpreter: self, outputs: &outputs)
        fitOptions.schedule = try settings.schedule(for: model, interpreter: self, outputs: &outputs)
        fitOptions.recordsLearningRate = callbacks.reduceLR != nil
        var stopRequested = false
        try checkTrainingMemory(model, batch: max(min(batchSize, train.count), 1),
                                at: command.option("batch")?.value?.span ?? command.span)
        let observer = session.trainingObserver
        var log: [String] = []
        func emit(_ line: String) {
            log.append(line)
            if settings.verbose > 0 { observer?.line(line) }
        }
        var history: History
        var callbackError: Error?
        do {
            var line = ProgressLine(target: 1)
            var perStep = 0.0
            history = try model.fit(train, options: fitOptions,
                                     progress: { progress in
                                         if progress.batch == 1 {
                                             // verbose 2 prints the epoch's line alone, as Keras.
                                             if settings.verbose != 2 {
                                                 emit(ProgressLine.epochHeader(epoch: progress.epoch + offset, of: epochs))
                                             }
                                             line = ProgressLine(target: progress.batchCount)
                                         }
                                         if progress.batch == progress.batchCount {
                                             perStep = line.secondsPerStep(current: progress.batch, now: progress.elapsed)
                                             return
                                         }
                                         guard let observer, observer.isLive, settings.verbose == 1 else {
                                             if progress.batch == 1 { _ = line.secondsPerStep(current: 1, now: progress.elapsed) }
                                             return
                                         }
                                         let metrics = Interpreter.metrics(progress.values)
                                         line.colour = observer.colour
                                         defer { line.colour = false }
                                         if let text = line.update(current: progress.batch, now: progress.elapsed, metrics: metrics) {
                                             observer.live(text)
                                         }
                                     },
                                     epochEnd: { summary in
                                         let metrics = Interpreter.metrics(summary.values)
                                         emit(line.finalLine(elapsedSeconds: summary.seconds, secondsPerStep: perStep, metrics: metrics))
                                         observer?.epochEnded(summary.epoch, metrics: metrics)
                                         do {
                                             if try callbacks.epochEnded(summary.epoch - 1 + offset, logs: summary.logs, model: model) {
                                                 stopRequested = true
                                             }
                                         } catch {
                                             callbackError = error
                                             stopRequested = true
                                         }
                                     },
                                     shouldStop: { stopRequested || self.session.shouldStop() })
        } catch {
            throw Diagnostic.error(error.message, at: command.span, hint: error.hint)
        }
        if let callbackError { throw callbackError }
        if stopRequested, history.cancelled, history.batchesInCancelledEpoch == 0 {
            // A callback's stop is the end of training, not a cancellation.
            history.cancelled = false
            if let stopped = callbacks.earlyStopping?.stoppedEpoch { emit("Epoch \(stopped + 1): early stopping") }
        }
        if let early = callbacks.earlyStopping, early.trainingEnded(model: model) {
            emit("Restoring model weights from the end of the best epoch: \(early.bestEpoch + 1).")
        }
        if history.cancelled {
            emit("stopped after \(history.batchesInCancelledEpoch) batches of epoch \(history.epochs + 1); the weights keep every update so far")
        }
        outputs.append(.progress(log.joined(separator: "\n")))
        return .history(history)
    }

    /// `freeze MODEL` or `freeze MODEL.layers[0..<3]` (Keras's `trainable = False`): `fit`
    /// leaves those weights exactly as they are and the summary counts them non-trainable;
    /// `unfreeze` undoes it. A model used as a layer in another is frozen there too.
    func freezeCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let frozen = command.keyword.name == "freeze"
        let (model, indices) = try chosenLayers(command.arguments[0], outputs: &outputs)
        var seen: Set<ObjectIdentifier> = []
        let layers = indices.map { model.layers[$0] }.filter { seen.insert(ObjectIdentifier($0)).inserted }
        for layer in layers { layer.setFrozen(frozen) }
        let weights = layers.reduce(0) { $0 + $1.parameterCount - ($1.parameters.filter(\.isState).reduce(0) { $0 + $1.value.count }) }
        let names = layers.filter { !$0.parameters.isEmpty }.map(\.name)
        let what = names.isEmpty ? "no layer with weights" : names.count == 1 ? names[0] : "\(names.count) layers"
        outputs.append(.text("\(frozen ? "froze" : "unfroze") \(what) of \(model.name): \(Render.ModelSummary.grouped(weights)) weights "
                             + (frozen ? "fit leaves as they are" : "train again")))
        return .none
    }

    /// `evaluate MODEL on DATA`: loss and metrics over every image, then `accuracy: 69.84%`.
    func evaluateCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let model = try self.model(command.arguments[0], outputs: &outputs)
        guard model.loss != nil else {
            throw Diagnostic.error("\(model.name) is not compiled", at: command.arguments[0].span,
                                   hint: "compile it first, with the loss to measure")
        }
        let split = try labelledImages(command.option("on"), command: command, what: "evaluate on", outputs: &outputs)
        let data = try trainingSource(model, split, command: command, at: command.option("on")!.value!.span, outputs: &outputs)
        try checkEvaluationMemory(model, count: data.count, at: command.option("on")!.value!.span)
        let start = DispatchTime.now().uptimeNanoseconds
        let result: Evaluation
        do {
            result = try model.evaluate(data, shouldStop: session.shouldStop)
        } catch {
            throw Diagnostic.error(error.message, at: command.span, hint: error.hint)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let batches = (data.count + 31) / 32
        var text = ProgressLine(target: batches).finalLine(elapsedSeconds: seconds, secondsPerStep: seconds / Double(max(batches, 1)),
                                                           metrics: Interpreter.metrics(result.values))
        let names = model.outputs.count > 1 ? model.outputNames : [""]
        let keys = names.map { $0.isEmpty ? "accuracy" : $0 + "_accuracy" }.filter { result.values[$0] != nil }
        for key in keys { text += "\n\(key.replacingOccurrences(of: "_accuracy", with: " accuracy")): " + String(format: "%.2f%%", result.values[key]! * 100) }
        outputs.append(.text(text))
        // As Keras's evaluate: the loss alone without metrics or outputs of their own, else
        // [loss, each output's loss, each accuracy] (`[loss, accuracy]` for one output).
        let losses = model.outputs.count > 1 ? names.map { result.values[$0 + "_loss"] ?? .nan } : []
        guard !losses.isEmpty || !keys.isEmpty else { return .number(result.loss) }
        return .list(([result.loss] + losses + keys.map { result.values[$0]! }).map { .number($0) })
    }

    /// Keras 3's metric names and order in the progress line: the training values by name
    /// (`accuracy`, `digit_loss`, `loss`, …), then the validation ones.
    static func metrics(_ values: [String: Double]) -> [(String, Double)] {
        ProgressLine.kerasOrder(values.map { ($0.key, $0.value) })
    }

    /// `predict MODEL INPUTS [to "FILE"]`: the outputs for every input (one tensor per output).
    func predictCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let model = try self.model(command.arguments[0], outputs: &outputs)
        let start = DispatchTime.now().uptimeNanoseconds
        let results = try predictions(model, command.arguments[1], outputs: &outputs)
        // Keras's predict prints its progress line too: batches of 32, no metrics.
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let batches = max(1, ((results.first?.shape.first ?? 1) + 31) / 32)
        let line = ProgressLine(target: batches).finalLine(elapsedSeconds: seconds, secondsPerStep: seconds / Double(batches), metrics: [])
        session.trainingObserver?.line(line)
        outputs.append(.progress(line))
        if let option = command.option("to") {
            let line = try writing(option, what: "the predictions file", outputs: &outputs) { path in
                try savePredictions(results, of: model, to: path, at: option.span)
            }
            outputs.append(.text(line))
            return .none
        }
        return results.count == 1 ? .tensor(results[0]) : .list(results.map { .tensor($0) })
    }

    /// Runs `model` on the images (or tensor) `expr` names.
    func predictions(_ model: Model, _ expr: Expr, outputs: inout [Output]) throws -> [Tensor] {
        let value = try require(expr, outputs: &outputs)
        do {
            switch value {
            case .images(let split), .image(let split):
                try checkFits(model, split, at: expr.span, labels: false)
                try checkPredictionMemory(model, count: split.count, at: expr.span)
                return try model.predict(split, shouldStop: session.shouldStop)
            case .tensor(let t):
                let batch = t.shape == model.inputShape ? t.reshaped([1] + t.shape) : t
                return try model.predict(batch, shouldStop: session.shouldStop)
            default:
                throw Diagnostic.error("predict needs images or a tensor, got \(value.kindName)", at: expr.span,
                                       hint: "for example predict \(model.name) data.test[0..<10]")
            }
        } catch let error as ModelError {
            throw Diagnostic.error(error.message, at: expr.span, hint: error.hint)
        } catch {
            throw error
        }
    }

    /// `save MODEL weights "FILE"`, or `save MODEL "FILE.keras"`.
    func saveCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        if let option = command.option("images") { return try saveImages(command, option, outputs: &outputs) }
        let model = try self.model(command.arguments[0], outputs: &outputs)
        if command.arguments.count == 2 {
            if command.option("weights") != nil {
                throw Diagnostic.error("save writes the whole model or its weights, not both", at: command.arguments[1].span,
                                       hint: "write save \(model.name) \"\(model.name).keras\" or save \(model.name) weights \"\(model.name).weights.h5\"")
            }
            let file = command.arguments[1]
            guard case .string(let text) = try evaluate(file, outputs: &outputs) else {
                throw Diagnostic.error("the model file is written as a quoted path", at: file.span, hint: "write save \(model.name) \"\(model.name).keras\"")
            }
            let path = try session.writablePath(text, at: file.span)
            outputs.append(.text(try saveKerasArchive(model, to: path, at: file.span)))
            session.recordWritten(path)
            return .none
        }
        guard let option = command.option("weights") else {
            throw Diagnostic.error("save needs what to write", at: command.span, hint: "write save \(model.name) weights \"\(model.name).cnnbw\"")
        }
        let line = try writing(option, what: "the weight file", outputs: &outputs) { path in
            try saveWeights(of: model, to: path, at: option.span)
        }
        outputs.append(.text(line))
        return .none
    }
}
