import Basics
import Foundation

/// Buffers of one batch size, reused batch after batch so steady-state training allocates
/// nothing.
final class BatchBuffers {
    let inputs: Tensor
    /// Per output: class indices, target values and dLoss/dOutput (or dLoss/dLogits).
    var labels: [[Int32]]
    let targets: [Tensor]
    let lossGradients: [Tensor?]
    let targetShapes: [[Int]?]
    let hasGradient: Bool

    init(size: Int, inputShape: [Int], targetShapes: [[Int]?], outputShapes: [[Int]]?) {
        self.targetShapes = targetShapes
        hasGradient = outputShapes != nil
        inputs = Tensor(zeros: [size] + inputShape)
        labels = targetShapes.map { _ in [Int32](repeating: 0, count: size) }
        targets = targetShapes.map { shape in Tensor(zeros: shape.map { [size] + $0 } ?? [0]) }
        lossGradients = outputShapes?.map { Tensor(zeros: [size] + $0) } ?? targetShapes.map { _ in nil }
    }
}

/// Seconds since `start` (a `DispatchTime` uptime in nanoseconds).
@inline(__always) func secondsSince(_ start: UInt64) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// How `fit` goes over the data (Keras's keyword arguments of `fit`), gathered so that more
/// options can join without changing every caller.
public struct FitOptions {
    public var epochs: Int
    public var batchSize: Int
    /// Shuffle the items before each epoch.
    public var shuffle: Bool
    /// Restarts the shuffle generator; nil continues it from the last `fit`.
    public var seed: UInt64?
    /// Evaluated after each epoch.
    public var validation: BatchSource?
    /// Keras's `class_weight`: each training item's loss is scaled by its class's weight (1 for
    /// a class not named); the reported loss is the weighted one, accuracy is not weighted.
    public var classWeights: [Int: Float]?
    /// Sets the learning rate before every step; the rate before `fit` is put back after it.
    public var schedule: LearningRateSchedule?
    /// Records `learning_rate` in each epoch's values and the history (as Keras 3's
    /// learning-rate callbacks log it); always done with a schedule.
    public var recordsLearningRate = false

    public init(epochs: Int = 1, batchSize: Int = 32, shuffle: Bool = true, seed: UInt64? = nil,
                validation: BatchSource? = nil, classWeights: [Int: Float]? = nil, schedule: LearningRateSchedule? = nil,
                recordsLearningRate: Bool = false) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.validation = validation
        self.classWeights = classWeights
        self.schedule = schedule
        self.recordsLearningRate = recordsLearningRate
    }
}

/// Keras's `class_weight_to_sample_weights`: each item's class — its label, the largest entry
/// of a one-hot target, or a single target rounded — looked up, 1 for a class not given.
func sampleWeights(_ classWeights: [Int: Float], labels: UnsafeBufferPointer<Int32>?, targets: Tensor?, items: Int) -> [Float] {
    (0..<items).map { r in
        let label: Int
        if let labels {
            label = Int(labels[r])
        } else if let targets {
            let width = targets.count / max(items, 1)
            let row = targets.pointer + r * width
            label = width == 1 ? Int(row[0].rounded()) : Metric.argmax(row, width)
        } else {
            return 1
        }
        return classWeights[label] ?? 1
    }
}

/// One batch of items, filled into reused buffers.
struct Batch {
    /// 0-based position in the epoch.
    let index: Int
    /// Items in this batch.
    let count: Int
    let buffers: BatchBuffers
}

/// What an output is trained with: its loss and metrics, and whether its gradient can enter
/// its layer's pre-softmax values directly (the fused softmax + cross-entropy path).
struct OutputObjective {
    let loss: Loss
    let wantsAccuracy: Bool
    var fused = false
}

/// Running sums of each output's loss and accuracy over the batches seen so far.
struct MetricTotals {
    var lossSums: [Double]
    var correct: [Int]
    var rows: [Int]
    var seen = 0

    init(outputs: Int) {
        lossSums = Array(repeating: 0, count: outputs)
        correct = Array(repeating: 0, count: outputs)
        rows = Array(repeating: 0, count: outputs)
    }

    /// The means under Keras's names: `loss` and `accuracy` for one output; for several,
    /// `NAME_loss` and `NAME_accuracy` per output name and `loss` as the sum of the losses.
    func values(names: [String], objectives: [OutputObjective]) -> [String: Double] {
        let seen = Double(max(self.seen, 1))
        var values: [String: Double] = ["loss": lossSums.reduce(0, +) / seen]
        for (k, objective) in objectives.enumerated() {
            let prefix = objectives.count > 1 ? names[k] + "_" : ""
            if objectives.count > 1 { values[prefix + "loss"] = lossSums[k] / seen }
            if objective.wantsAccuracy { values[prefix + "accuracy"] = Double(correct[k]) / Double(max(rows[k], 1)) }
        }
        return values
    }
}

extension Model {
    /// Sets the optimizer, loss and metrics for `fit` and `evaluate` (Keras's `compile`), the
    /// same loss and metrics for every output. Compiling again replaces them and starts the
    /// optimizer afresh.
    public func compile(optimizer: any Optimizer, loss: Loss, metrics: [Metric] = []) {
        optimizer.reset()
        self.optimizer = optimizer
        losses = Array(repeating: loss, count: outputs.count)
        outputMetrics = Array(repeating: metrics, count: outputs.count)
    }

    /// `compile` with a loss and metrics per output name (Keras's dictionaries:
    /// `loss={"digit": …, "odd": …}`); an output missing from `metrics` gets none.
    public func compile(optimizer: any Optimizer, losses: [String: Loss], metrics: [String: [Metric]] = [:]) throws(ModelError) {
        let names = outputNames
        for name in losses.keys.sorted() + metrics.keys.sorted() where !names.contains(name) {
            throw ModelError("model \(self.name) has no output named '\(name)'",
                             hint: "its outputs are " + names.joined(separator: ", "))
        }
        var chosen: [Loss] = []
        for name in names {
            guard let loss = losses[name] else {
                throw ModelError("output '\(name)' of model \(self.name) has no loss",
                                 hint: "give a loss for each output: " + names.joined(separator: ", "))
            }
            chosen.append(loss)
        }
        try compile(optimizer: optimizer, losses: chosen, metrics: names.map { metrics[$0] ?? [] })
    }

    /// `compile` with a loss and metrics per output, in the order of `outputs` (Keras's lists).
    public func compile(optimizer: any Optimizer, losses: [Loss], metrics: [[Metric]]) throws(ModelError) {
        guard losses.count == outputs.count, metrics.count == outputs.count else {
            throw ModelError("model \(name) has \(outputs.count) outputs, \(losses.count) losses and \(metrics.count) metric lists were given",
                             hint: "give one loss and one list of metrics per output")
        }
        optimizer.reset()
        self.optimizer = optimizer
        self.losses = losses
        outputMetrics = metrics
    }

    /// Keras's string form: `compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])`.
    public func compile(optimizer: String, loss: String, metrics: [String] = []) throws(ModelError) {
        guard let made = makeOptimizer(kerasName: optimizer) else {
            throw ModelError("unknown optimizer '\(optimizer)'", hint: "use " + optimizerNames.joined(separator: ", "))
        }
        guard let lossValue = Loss(kerasName: loss) else {
            throw ModelError("unknown loss '\(loss)'",
                             hint: "use " + Loss.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var metricValues: [Metric] = []
        for name in metrics {
            guard let metric = Metric(rawValue: name == "acc" ? "accuracy" : name) else {
                throw ModelError("unknown metric '\(name)'", hint: "use accuracy")
            }
            metricValues.append(metric)
        }
        compile(optimizer: made, loss: lossValue, metrics: metricValues)
    }

    /// Keras's names of the outputs: their layers' names (`digit`, `odd`).
    public var outputNames: [String] { outputs.map(\.layer.name) }

    /// Each output's loss and metrics, checked against the targets `source` gives, or why
    /// training cannot start.
    private func objectives(for source: BatchSource, needsOptimizer: Bool) throws(ModelError) -> [OutputObjective] {
        guard losses.count == outputs.count, !needsOptimizer || optimizer != nil else {
            throw ModelError("model \(name) is not compiled", hint: "compile it with an optimizer and a loss first")
        }
        try checkInputs(source)
        guard source.targetSetCount == outputs.count else {
            throw ModelError("model \(name) has \(outputs.count) output\(outputs.count == 1 ? "" : "s") (\(outputNames.joined(separator: ", "))), the data gives \(source.targetSetCount) set\(source.targetSetCount == 1 ? "" : "s") of targets",
                             hint: "give one set of targets per output, in the order of the outputs")
        }
        var result: [OutputObjective] = []
        for (k, output) in outputs.enumerated() {
            let loss = losses[k], targetShape = source.targetShape(ofSet: k)
            let which = outputs.count > 1 ? " (output \(output.layer.name))" : ""
            if loss.usesClassIndices {
                guard targetShape == nil else {
                    throw ModelError("\(loss.rawValue) needs class indices as targets, the data has targets of shape \(kerasShapeText(targetShape ?? []))\(which)",
                                     hint: "use categorical_crossentropy for one-hot targets")
                }
                guard output.shape.count == 1 else {
                    throw ModelError("\(loss.rawValue) needs an output of shape (None, classes), the model's is \(output.shapeDescription)\(which)",
                                     hint: "end the model with Flatten and Dense(classes, activation: softmax)")
                }
            } else {
                guard let targetShape else {
                    throw ModelError("\(loss.rawValue) needs targets of the output's shape \(output.shapeDescription), the data has class indices\(which)",
                                     hint: "use sparse_categorical_crossentropy for integer class labels")
                }
                guard targetShape == output.shape else {
                    throw ModelError("targets of shape \(kerasShapeText(targetShape)) do not match the model's output \(output.shapeDescription)\(which)")
                }
            }
            result.append(OutputObjective(loss: loss, wantsAccuracy: outputMetrics[k].contains(.accuracy)))
        }
        return result
    }

    private func checkInputs(_ source: BatchSource) throws(ModelError) {
        guard source.itemShape == inputShape else {
            throw ModelError("the data's items have shape \(kerasShapeText(source.itemShape)), model \(name) takes \(kerasShapeText(inputShape))",
                             hint: "reshape the data or build the model on an input of shape \(source.itemShape.map(String.init).joined(separator: "x"))")
        }
    }

    private func buffers(size: Int, source: BatchSource, targets: Bool, gradient: Bool) -> BatchBuffers {
        let shapes = targets ? (0..<source.targetSetCount).map { source.targetShape(ofSet: $0) } : []
        if let existing = batchBuffers[size], existing.targetShapes == shapes, existing.hasGradient || !gradient {
            return existing
        }
        let made = BatchBuffers(size: size, inputShape: inputShape, targetShapes: shapes,
                                outputShapes: gradient ? outputShapes : nil)
        batchBuffers[size] = made
        return made
    }

    /// The one batch iterator of `fit`, `evaluate` and `predict`: the items of `order` in
    /// batches of `batchSize`, inputs (and targets) filled into reused buffers. `body` returns
    /// false to stop; the result says whether every batch was seen.
    private func forEachBatch(_ source: BatchSource, batchSize: Int, order: [Int], targets: Bool, gradient: Bool,
                              _ body: (Batch) throws(ModelError) -> Bool) throws(ModelError) -> Bool {
        // The whole step, the loss and the optimizer included, computes as the engine's chunks do.
        try withSubnormalsFlushed { () throws(ModelError) -> Bool in
            let count = order.count
            for index in 0..<((count + batchSize - 1) / batchSize) {
                let start = index * batchSize, n = min(batchSize, count - start)
                let indices = order[start..<(start + n)]
                let buffers = buffers(size: n, source: source, targets: targets, gradient: gradient)
                source.fillInputs(indices: indices, into: buffers.inputs)
                for set in buffers.targetShapes.indices {
                    buffers.labels[set].withUnsafeMutableBufferPointer {
                        source.fillTargets(ofSet: set, indices: indices, labels: $0, values: buffers.targets[set])
                    }
                }
                guard try body(Batch(index: index, count: n, buffers: buffers)) else { return false }
            }
            return true
        }
    }

    /// Adds a batch's losses and accuracy to `totals`; with `gradients`, writes each output's
    /// dLoss/dOutput (dLoss/dLogits where fused) into the batch's buffers.
    private func measure(_ predictions: [Tensor], _ batch: Batch, _ objectives: [OutputObjective],
                         _ totals: inout MetricTotals, gradients: Bool, classWeights: [Int: Float]? = nil) throws(ModelError) {
        let buffers = batch.buffers
        for (k, objective) in objectives.enumerated() {
            let prediction = predictions[k], loss = objective.loss
            let batchLoss = try buffers.labels[k].withUnsafeBufferPointer { (labels) throws(ModelError) -> Double in
                let l = loss.usesClassIndices ? labels : nil
                let t = loss.usesClassIndices ? nil : buffers.targets[k]
                try loss.check(predictions: prediction, labels: l, targets: t)
                if objective.wantsAccuracy {
                    totals.correct[k] += Metric.correctCount(predictions: prediction, labels: l, targets: t)
                    totals.rows[k] += prediction.count / prediction.shape[prediction.rank - 1]
                }
                return loss.compute(predictions: prediction, labels: l, targets: t,
                                    gradient: gradients ? buffers.lossGradients[k] : nil,
                                    logitsGradient: gradients && objective.fused,
                                    weights: classWeights.map { sampleWeights($0, labels: l, targets: t, items: batch.count) })
            }
            totals.lossSums[k] += batchLoss * Double(batch.count)
        }
        totals.seen += batch.count
    }

    /// What a `fit` steps: the trainable weights, the nodes the backward pass must visit, and
    /// the outputs whose softmax and cross-entropy fuse.
    private struct TrainingPlan {
        var objectives: [OutputObjective]
        var classWeights: [Int: Float]?
        var schedule: LearningRateSchedule?
        let parameters: [Parameter]
        /// Gradients cleared before each step: every weight a visited node adds into.
        let cleared: [Parameter]
        let needs: [Bool]
    }

    private func trainingPlan(_ objectives: [OutputObjective]) -> TrainingPlan {
        let needs = runner.gradientPlan(inputGradient: false)
        var objectives = objectives
        for (k, index) in runner.outputIndices.enumerated() {
            let layer = runner.nodes[index].layer
            // Fusing needs the output to be read by the loss alone.
            objectives[k].fused = objectives[k].loss.fusesWithSoftmaxOutput && runner.consumerCounts[index] == 1
                && !runner.isShared[index] && (layer as? any SoftmaxOutputLayer)?.endsInSoftmax == true
        }
        var seen: Set<ObjectIdentifier> = []
        let cleared = runner.nodes.indices.filter { needs[$0] }.flatMap { i in
            seen.insert(ObjectIdentifier(runner.nodes[i].layer)).inserted ? runner.nodes[i].layer.parameters.filter { !$0.isState } : []
        }
        return TrainingPlan(objectives: objectives, parameters: trainableParameters, cleared: cleared, needs: needs)
    }

    /// One optimisation step on a batch: zero the gradients, forward, loss, backward, step.
    private func trainStep(_ batch: Batch, _ plan: TrainingPlan, _ optimizer: any Optimizer,
                           _ totals: inout MetricTotals) throws(ModelError) {
        for parameter in plan.cleared { parameter.gradient.fill(0) }
        let predictions = runner.forward(batch.buffers.inputs, training: true)
        try measure(predictions, batch, plan.objectives, &totals, gradients: true, classWeights: plan.classWeights)
        runner.backward(seeds: batch.buffers.lossGradients, logits: plan.objectives.map(\.fused), needs: plan.needs)
        if let schedule = plan.schedule { optimizer.learningRate = schedule.rate(at: optimizer.iterations) }
        optimizer.step(plan.parameters)
    }

    /// Trains over `source` as `options` say, shuffled each epoch unless told not to (Keras's
    /// `fit`). `progress` is called after every batch, `epochEnd` after every epoch.
    /// `shouldStop` is asked before every batch: when it returns true training stops there,
    /// the weights keep every update made so far, and the history of the completed epochs is
    /// returned with `cancelled` set. Frozen weights are left exactly as they are.
    @discardableResult
    public func fit(_ source: BatchSource, options: FitOptions,
                    progress: ((BatchProgress) -> Void)? = nil,
                    epochEnd: ((EpochSummary) -> Void)? = nil,
                    shouldStop: (() -> Bool)? = nil) throws(ModelError) -> History {
        let objectives = try objectives(for: source, needsOptimizer: true)
        guard let optimizer else { throw ModelError("model \(name) is not compiled") }
        if let validation = options.validation { _ = try self.objectives(for: validation, needsOptimizer: false) }
        let epochs = options.epochs, batchSize = options.batchSize
        guard epochs >= 0, batchSize >= 1 else {
            throw ModelError("epochs must be at least 0 and the batch size at least 1 (got \(epochs) and \(batchSize))")
        }
        if let seed = options.seed { shuffleGenerator = SeededGenerator(seed: seed) }
        if options.classWeights != nil, outputs.count > 1 {
            throw ModelError("class weights apply to a model with one output; \(name) has \(outputs.count)",
                             hint: "train without class_weight, as Keras does for several outputs")
        }
        var plan = trainingPlan(objectives)
        plan.classWeights = options.classWeights
        plan.schedule = options.schedule
        let rateBefore = optimizer.learningRate
        defer { if options.schedule != nil { optimizer.learningRate = rateBefore } }
        let names = outputNames
        let batchCount = (source.count + batchSize - 1) / batchSize
        var order = Array(0..<source.count)
        var history = History()

        return try runner.skippingUnusedInputGradients(plan.needs) { () throws(ModelError) -> History in
            for epoch in stride(from: 1, through: epochs, by: 1) {
                let epochStart = DispatchTime.now().uptimeNanoseconds
                if options.shuffle { order.shuffle(using: &shuffleGenerator) }
                var totals = MetricTotals(outputs: outputs.count)
                let finished = try forEachBatch(source, batchSize: batchSize, order: order, targets: true, gradient: true) {
                    (batch) throws(ModelError) -> Bool in
                    if let shouldStop, shouldStop() {
                        history.cancelled = true
                        history.batchesInCancelledEpoch = batch.index
                        return false
                    }
                    try trainStep(batch, plan, optimizer, &totals)
                    if let progress {
                        let values = totals.values(names: names, objectives: objectives)
                        progress(BatchProgress(epoch: epoch, epochs: epochs, batch: batch.index + 1, batchCount: batchCount,
                                               loss: values["loss"] ?? .nan, accuracy: values["accuracy"], values: values,
                                               elapsed: secondsSince(epochStart)))
                    }
                    return true
                }
                guard finished else { return history }
                var values = totals.values(names: names, objectives: objectives)
                history.append(values)
                var validationResult: Evaluation?
                if let validation = options.validation {
                    let result = try evaluate(validation, batchSize: batchSize)
                    history.append(result.values, prefix: "val_")
                    for (key, value) in result.values { values["val_" + key] = value }
                    validationResult = result
                }
                if options.recordsLearningRate || options.schedule != nil {
                    // What Keras reads as `optimizer.learning_rate` at the epoch's end.
                    let rate = Double(options.schedule?.rate(at: optimizer.iterations) ?? optimizer.learningRate)
                    history.append(["learning_rate": rate])
                    values["learning_rate"] = rate
                }
                epochEnd?(EpochSummary(epoch: epoch, epochs: epochs, loss: values["loss"] ?? .nan, accuracy: values["accuracy"],
                                       valLoss: validationResult?.loss, valAccuracy: validationResult?.accuracy, values: values,
                                       seconds: secondsSince(epochStart), batchCount: batchCount))
            }
            return history
        }
    }

    /// `fit` with Keras's keyword arguments spelled out.
    @discardableResult
    public func fit(_ source: BatchSource, epochs: Int = 1, batchSize: Int = 32, shuffle: Bool = true,
                    seed: UInt64? = nil, validation: BatchSource? = nil,
                    progress: ((BatchProgress) -> Void)? = nil,
                    epochEnd: ((EpochSummary) -> Void)? = nil,
                    shouldStop: (() -> Bool)? = nil) throws(ModelError) -> History {
        try fit(source, options: FitOptions(epochs: epochs, batchSize: batchSize, shuffle: shuffle, seed: seed, validation: validation),
                progress: progress, epochEnd: epochEnd, shouldStop: shouldStop)
    }

    /// `fit` on in-memory inputs with class labels.
    @discardableResult
    public func fit(x: Tensor, y: [Int32], epochs: Int = 1, batchSize: Int = 32, shuffle: Bool = true,
                    seed: UInt64? = nil, validationData: (x: Tensor, y: [Int32])? = nil,
                    progress: ((BatchProgress) -> Void)? = nil,
                    epochEnd: ((EpochSummary) -> Void)? = nil,
                    shouldStop: (() -> Bool)? = nil) throws(ModelError) -> History {
        let source = try TensorBatchSource(inputs: x, labels: y)
        let validation = try validationData.map { (data) throws(ModelError) in try TensorBatchSource(inputs: data.x, labels: data.y) }
        return try fit(source, epochs: epochs, batchSize: batchSize, shuffle: shuffle, seed: seed,
                       validation: validation, progress: progress, epochEnd: epochEnd, shouldStop: shouldStop)
    }

    /// Mean loss (weighted by batch size) and metrics over `source` in inference mode
    /// (Keras's `evaluate`). `progress` is called after every batch. `shouldStop` is asked
    /// before every batch: true abandons the evaluation with an error that says so.
    public func evaluate(_ source: BatchSource, batchSize: Int = 32,
                         progress: ((BatchProgress) -> Void)? = nil,
                         shouldStop: (() -> Bool)? = nil) throws(ModelError) -> Evaluation {
        let objectives = try objectives(for: source, needsOptimizer: false)
        guard batchSize >= 1 else { throw ModelError("the batch size must be at least 1 (got \(batchSize))") }
        let names = outputNames
        let batchCount = (source.count + batchSize - 1) / batchSize
        let startTime = DispatchTime.now().uptimeNanoseconds
        var totals = MetricTotals(outputs: outputs.count)
        _ = try forEachBatch(source, batchSize: batchSize, order: Array(0..<source.count), targets: true, gradient: false) {
            (batch) throws(ModelError) -> Bool in
            if let shouldStop, shouldStop() { throw ModelError.stopped("evaluate", batch: batch.index, of: batchCount) }
            let predictions = runner.forward(batch.buffers.inputs, training: false)
            try measure(predictions, batch, objectives, &totals, gradients: false)
            if let progress {
                let values = totals.values(names: names, objectives: objectives)
                progress(BatchProgress(epoch: 1, epochs: 1, batch: batch.index + 1, batchCount: batchCount,
                                       loss: values["loss"] ?? .nan, accuracy: values["accuracy"], values: values,
                                       elapsed: secondsSince(startTime)))
            }
            return true
        }
        let values = totals.values(names: names, objectives: objectives)
        return Evaluation(loss: values["loss"] ?? .nan, accuracy: values["accuracy"], values: values)
    }

    /// `evaluate` on in-memory inputs with class labels.
    public func evaluate(x: Tensor, y: [Int32], batchSize: Int = 32) throws(ModelError) -> Evaluation {
        try evaluate(TensorBatchSource(inputs: x, labels: y), batchSize: batchSize)
    }

    /// Every output of the model for every item of `source`, in inference mode, one tensor
    /// per output of shape `[source.count] + outputShape` (Keras's `predict`). `shouldStop` is
    /// asked before every batch: true abandons the predictions with an error that says so.
    public func predict(_ source: BatchSource, batchSize: Int = 32,
                        shouldStop: (() -> Bool)? = nil) throws(ModelError) -> [Tensor] {
        try checkInputs(source)
        guard batchSize >= 1 else { throw ModelError("the batch size must be at least 1 (got \(batchSize))") }
        let count = source.count
        let results = outputs.map { Tensor(zeros: [count] + $0.shape) }
        _ = try forEachBatch(source, batchSize: batchSize, order: Array(0..<count), targets: false, gradient: false) {
            (batch) throws(ModelError) -> Bool in
            if let shouldStop, shouldStop() {
                throw ModelError.stopped("predict", batch: batch.index, of: (count + batchSize - 1) / batchSize)
            }
            let predictions = runner.forward(batch.buffers.inputs, training: false)
            for (result, prediction) in zip(results, predictions) {
                let item = result.count / max(count, 1)
                (result.pointer + batch.index * batchSize * item).update(from: prediction.pointer, count: batch.count * item)
            }
            return true
        }
        return results
    }

    /// `predict` on an in-memory batch of inputs (shape `[N] + inputShape`).
    public func predict(_ x: Tensor, batchSize: Int = 32, shouldStop: (() -> Bool)? = nil) throws(ModelError) -> [Tensor] {
        guard x.rank == inputShape.count + 1 else {
            throw ModelError("inputs of shape \(x.shape) need a batch axis before the item shape \(kerasShapeText(inputShape))",
                             hint: "pass a batch of shape [N, " + inputShape.map(String.init).joined(separator: ", ") + "]")
        }
        return try predict(TensorInputs(x), batchSize: batchSize, shouldStop: shouldStop)
    }
}

/// An in-memory tensor of inputs with no targets.
private struct TensorInputs: BatchSource {
    let inputs: Tensor
    init(_ inputs: Tensor) { self.inputs = inputs }
    var count: Int { inputs.shape[0] }
    var itemShape: [Int] { Array(inputs.shape.dropFirst()) }
    var targetShape: [Int]? { nil }
    func fillInputs(indices: ArraySlice<Int>, into batch: Tensor) {
        let item = inputs.count / max(count, 1)
        for (row, index) in indices.enumerated() {
            (batch.pointer + row * item).update(from: inputs.pointer + index * item, count: item)
        }
    }
    func fillTargets(indices: ArraySlice<Int>, labels: UnsafeMutableBufferPointer<Int32>, values: Tensor) {}
}
