import Datasets
import Engine
import Foundation
import Render

/// `compile`, `fit`, `evaluate`, `predict` and `save`: training a model and using it.
extension Interpreter {
    /// `compile MODEL optimizer adam loss sparse_categorical_crossentropy metrics accuracy [lr 0.001]`
    func compileCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let model = try self.model(command.arguments[0], outputs: &outputs)
        var optimizerName = "rmsprop"  // Keras's default optimizer
        if let (value, expr) = try option(command, "optimizer", outputs: &outputs) {
            optimizerName = try word(value, at: expr.span, what: "the optimizer")
        }
        guard let optimizer = makeOptimizer(kerasName: optimizerName) else {
            let known = ["adam", "sgd", "rmsprop"]
            var hint = "use one of " + known.joined(separator: ", ")
            if let near = nearestWord(to: optimizerName, among: known) { hint = "did you mean '\(near)'? " + hint }
            throw Diagnostic.error("unknown optimizer '\(optimizerName)'", at: command.option("optimizer")?.value?.span ?? command.span, hint: hint)
        }
        guard let (lossValue, lossExpr) = try option(command, "loss", outputs: &outputs) else {
            throw Diagnostic.error("compile needs a loss", at: command.span,
                                   hint: "add loss sparse_categorical_crossentropy (integer labels) or loss categorical_crossentropy (one-hot)")
        }
        let lossName = try word(lossValue, at: lossExpr.span, what: "the loss")
        guard let loss = Loss(kerasName: lossName) else {
            let known = Loss.allCases.map(\.rawValue)
            var hint = "use one of " + known.joined(separator: ", ")
            if let near = nearestWord(to: lossName, among: known) { hint = "did you mean '\(near)'? " + hint }
            throw Diagnostic.error("unknown loss '\(lossName)'", at: lossExpr.span, hint: hint)
        }
        var metrics: [Metric] = []
        if let (value, expr) = try option(command, "metrics", outputs: &outputs) {
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
                metrics.append(metric)
            }
        }
        if let (value, expr) = try option(command, "lr", outputs: &outputs) {
            guard case .number(let rate) = value, rate > 0, rate < 10 else {
                throw Diagnostic.error("the learning rate must be a positive number, got \(value.brief)", at: expr.span,
                                       hint: "for example lr 0.001")
            }
            optimizer.learningRate = Float(rate)
        }
        model.compile(optimizer: optimizer, loss: loss, metrics: metrics)
        var text = "\(model.name): optimizer \(optimizer.name) (learning rate \(optimizer.learningRate)), loss \(loss.rawValue)"
        if !metrics.isEmpty { text += ", metrics " + metrics.map(\.rawValue).joined(separator: ", ") }
        outputs.append(.text(text))
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

    /// Checks that a model can take images of a split before any work starts; with `labels`
    /// (training, evaluation) also that its outputs cover the classes. Predicting needs no labels.
    func checkFits(_ model: Model, _ split: DatasetSplit, at span: SourceSpan, labels: Bool = true) throws {
        guard split.imageShape == model.inputShape else {
            throw Diagnostic.error("the model takes inputs of \(kerasShapeText(model.inputShape)) but these images are \(kerasShapeText(split.imageShape))",
                                   at: span, hint: "change the model's input to input \(split.imageShape.map(String.init).joined(separator: "x"))")
        }
        if labels, let last = model.outputShapes.first?.last, let loss = model.loss, loss.usesClassIndices,
           split.classNames.count > last {
            throw Diagnostic.error("the model has \(last) outputs but the data has \(split.classNames.count) classes", at: span,
                                   hint: "end the model with dense \(split.classNames.count) softmax")
        }
    }

    /// `fit MODEL on DATA epochs N [batch N] [validate DATA]`: trains, printing Keras's progress.
    func fitCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let model = try self.model(command.arguments[0], outputs: &outputs)
        guard model.optimizer != nil else {
            throw Diagnostic.error("\(model.name) is not compiled", at: command.arguments[0].span,
                                   hint: "first: compile \(model.name) optimizer adam loss sparse_categorical_crossentropy metrics accuracy")
        }
        guard model.outputs.count == 1 else {
            throw Diagnostic.error("\(model.name) has \(model.outputs.count) outputs; fit trains a model with one", at: command.arguments[0].span)
        }
        let train = try labelledImages(command.option("on"), command: command, what: "train on", outputs: &outputs)
        try checkFits(model, train, at: command.option("on")!.value!.span)
        var epochs = 1
        if let (value, expr) = try option(command, "epochs", outputs: &outputs) {
            epochs = try integer(value, at: expr.span, what: "the number of epochs")
        }
        if let limit = session.epochLimit { epochs = min(epochs, limit) }
        var batchSize = 32
        if let (value, expr) = try option(command, "batch", outputs: &outputs) {
            batchSize = try integer(value, at: expr.span, what: "the batch size")
        }
        var validation: DatasetSplit?
        if let option = command.option("validate") {
            validation = try labelledImages(option, command: command, what: "validate on", outputs: &outputs)
            try checkFits(model, validation!, at: option.value!.span)
        }
        try checkTrainingMemory(model, batch: max(min(batchSize, train.count), 1),
                                at: command.option("batch")?.value?.span ?? command.span)
        let observer = session.trainingObserver
        var log: [String] = []
        func emit(_ line: String) {
            log.append(line)
            observer?.line(line)
        }
        let history: History
        do {
            var line = ProgressLine(target: 1)
            var perStep = 0.0
            history = try model.fit(train, epochs: epochs, batchSize: batchSize, shuffle: true, validation: validation,
                                     progress: { progress in
                                         if progress.batch == 1 {
                                             emit(ProgressLine.epochHeader(epoch: progress.epoch, of: progress.epochs))
                                             line = ProgressLine(target: progress.batchCount)
                                         }
                                         if progress.batch == progress.batchCount {
                                             perStep = line.secondsPerStep(current: progress.batch, now: progress.elapsed)
                                             return
                                         }
                                         guard let observer, observer.isLive else {
                                             if progress.batch == 1 { _ = line.secondsPerStep(current: 1, now: progress.elapsed) }
                                             return
                                         }
                                         let metrics = Interpreter.metrics(loss: progress.loss, accuracy: progress.accuracy)
                                         if let text = line.update(current: progress.batch, now: progress.elapsed, metrics: metrics) {
                                             observer.live(text)
                                         }
                                     },
                                     epochEnd: { summary in
                                         let metrics = Interpreter.metrics(loss: summary.loss, accuracy: summary.accuracy,
                                                                           valLoss: summary.valLoss, valAccuracy: summary.valAccuracy)
                                         emit(line.finalLine(elapsedSeconds: summary.seconds, secondsPerStep: perStep, metrics: metrics))
                                     },
                                     shouldStop: session.shouldStop)
        } catch {
            throw Diagnostic.error(error.message, at: command.span, hint: error.hint)
        }
        if history.cancelled {
            emit("stopped after \(history.batchesInCancelledEpoch) batches of epoch \(history.epochs + 1); the weights keep every update so far")
        }
        outputs.append(.progress(log.joined(separator: "\n")))
        return .history(history)
    }

    /// `evaluate MODEL on DATA`: loss and metrics over every image, then `accuracy: 69.84%`.
    func evaluateCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let model = try self.model(command.arguments[0], outputs: &outputs)
        guard model.loss != nil else {
            throw Diagnostic.error("\(model.name) is not compiled", at: command.arguments[0].span,
                                   hint: "compile it first, with the loss to measure")
        }
        let data = try labelledImages(command.option("on"), command: command, what: "evaluate on", outputs: &outputs)
        try checkFits(model, data, at: command.option("on")!.value!.span)
        let start = DispatchTime.now().uptimeNanoseconds
        let result: Evaluation
        do {
            result = try model.evaluate(data)
        } catch {
            throw Diagnostic.error(error.message, at: command.span, hint: error.hint)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let batches = (data.count + 31) / 32
        var text = ProgressLine(target: batches).finalLine(elapsedSeconds: seconds, secondsPerStep: seconds / Double(max(batches, 1)),
                                                           metrics: Interpreter.metrics(loss: result.loss, accuracy: result.accuracy))
        if let accuracy = result.accuracy { text += "\naccuracy: " + String(format: "%.2f%%", accuracy * 100) }
        outputs.append(.text(text))
        // As Keras's evaluate: the loss alone without metrics, else [loss, accuracy].
        guard let accuracy = result.accuracy else { return .number(result.loss) }
        return .list([.number(result.loss), .number(accuracy)])
    }

    /// Keras's metric names and order in the progress line.
    static func metrics(loss: Double, accuracy: Double?, valLoss: Double? = nil, valAccuracy: Double? = nil) -> [(String, Double)] {
        var list = [("loss", loss)]
        if let accuracy { list.append(("accuracy", accuracy)) }
        if let valLoss { list.append(("val_loss", valLoss)) }
        if let valAccuracy { list.append(("val_accuracy", valAccuracy)) }
        return list
    }

    /// `predict MODEL INPUTS [to "FILE"]`: the outputs for every input (one tensor per output).
    func predictCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let model = try self.model(command.arguments[0], outputs: &outputs)
        let results = try predictions(model, command.arguments[1], outputs: &outputs)
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
                return try model.predict(split)
            case .tensor(let t):
                let batch = t.shape == model.inputShape ? t.reshaped([1] + t.shape) : t
                return try model.predict(batch)
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

    /// `save MODEL weights "FILE"`.
    func saveCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let model = try self.model(command.arguments[0], outputs: &outputs)
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
