import Foundation

/// Buffers of one batch size, reused batch after batch so steady-state training allocates
/// nothing.
final class BatchBuffers {
    let inputs: Tensor
    var labels: [Int32]
    let targets: Tensor
    /// dLoss/dOutput (or dLoss/dLogits) of the single output.
    let lossGradient: Tensor
    let targetShape: [Int]?
    let hasGradient: Bool

    init(size: Int, inputShape: [Int], targetShape: [Int]?, outputShape: [Int]?) {
        self.targetShape = targetShape
        hasGradient = outputShape != nil
        inputs = Tensor(zeros: [size] + inputShape)
        labels = [Int32](repeating: 0, count: size)
        targets = Tensor(zeros: targetShape.map { [size] + $0 } ?? [0])
        lossGradient = Tensor(zeros: outputShape.map { [size] + $0 } ?? [0])
    }
}

/// Seconds since `start` (a `DispatchTime` uptime in nanoseconds).
@inline(__always) func secondsSince(_ start: UInt64) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

extension Model {
    /// Sets the optimizer, loss and metrics for `fit` and `evaluate` (Keras's `compile`).
    /// Compiling again replaces them and starts the optimizer afresh.
    public func compile(optimizer: any Optimizer, loss: Loss, metrics: [Metric] = []) {
        optimizer.reset()
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
    }

    /// Keras's string form: `compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])`.
    public func compile(optimizer: String, loss: String, metrics: [String] = []) throws(ModelError) {
        guard let made = makeOptimizer(kerasName: optimizer) else {
            throw ModelError("unknown optimizer '\(optimizer)'", hint: "use adam, sgd or rmsprop")
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

    /// The compiled loss and the single output it applies to, or why training cannot start.
    private func trainingSetup(_ source: BatchSource, needsOptimizer: Bool) throws(ModelError) -> Loss {
        guard let loss, !needsOptimizer || optimizer != nil else {
            throw ModelError("model \(name) is not compiled", hint: "compile it with an optimizer and a loss first")
        }
        guard outputs.count == 1 else {
            throw ModelError("model \(name) has \(outputs.count) outputs; training and evaluation need exactly one",
                             hint: "train the model with one output; sub-models that share its layers see the trained weights")
        }
        try checkInputs(source)
        if loss.usesClassIndices {
            guard source.targetShape == nil else {
                throw ModelError("\(loss.rawValue) needs class indices as targets, the data has targets of shape \(kerasShapeText(source.targetShape ?? []))",
                                 hint: "use categorical_crossentropy for one-hot targets")
            }
            guard outputs[0].shape.count == 1 else {
                throw ModelError("\(loss.rawValue) needs an output of shape (None, classes), the model's is \(outputs[0].shapeDescription)",
                                 hint: "end the model with Flatten and Dense(classes, activation: softmax)")
            }
        } else {
            guard let targetShape = source.targetShape else {
                throw ModelError("\(loss.rawValue) needs targets of the output's shape \(outputs[0].shapeDescription), the data has class indices",
                                 hint: "use sparse_categorical_crossentropy for integer class labels")
            }
            guard targetShape == outputs[0].shape else {
                throw ModelError("targets of shape \(kerasShapeText(targetShape)) do not match the model's output \(outputs[0].shapeDescription)")
            }
        }
        return loss
    }

    private func checkInputs(_ source: BatchSource) throws(ModelError) {
        guard source.itemShape == inputShape else {
            throw ModelError("the data's items have shape \(kerasShapeText(source.itemShape)), model \(name) takes \(kerasShapeText(inputShape))",
                             hint: "reshape the data or build the model on an input of shape \(source.itemShape.map(String.init).joined(separator: "x"))")
        }
    }

    func buffers(size: Int, source: BatchSource, withGradient: Bool) -> BatchBuffers {
        if let existing = batchBuffers[size], existing.targetShape == source.targetShape,
           existing.hasGradient || !withGradient {
            return existing
        }
        let made = BatchBuffers(size: size, inputShape: inputShape, targetShape: source.targetShape,
                                outputShape: withGradient ? outputs[0].shape : nil)
        batchBuffers[size] = made
        return made
    }

    /// Runs the chain from the input to the single output.
    @inline(__always) private func forwardChain(_ inputs: Tensor, training: Bool) -> Tensor {
        var x = inputs
        for i in 1..<nodes.count { x = nodes[i].layer.forward(x, training: training) }
        return x
    }

    /// Trains for `epochs` over `source` in batches of `batchSize`, shuffled each epoch
    /// (Keras's `fit`). `validation` is evaluated after each epoch. `progress` is called after
    /// every batch, `epochEnd` after every epoch. `shouldStop` is asked before every batch:
    /// when it returns true training stops there, the weights keep every update made so far,
    /// and the history of the completed epochs is returned with `cancelled` set.
    /// `seed` restarts the shuffle generator; nil continues it from the last `fit`.
    @discardableResult
    public func fit(_ source: BatchSource, epochs: Int = 1, batchSize: Int = 32, shuffle: Bool = true,
                    seed: UInt64? = nil, validation: BatchSource? = nil,
                    progress: ((BatchProgress) -> Void)? = nil,
                    epochEnd: ((EpochSummary) -> Void)? = nil,
                    shouldStop: (() -> Bool)? = nil) throws(ModelError) -> History {
        let loss = try trainingSetup(source, needsOptimizer: true)
        guard let optimizer else { throw ModelError("model \(name) is not compiled") }
        if let validation { _ = try trainingSetup(validation, needsOptimizer: false) }
        guard epochs >= 0, batchSize >= 1 else {
            throw ModelError("epochs must be at least 0 and the batch size at least 1 (got \(epochs) and \(batchSize))")
        }
        if let seed { shuffleGenerator = SeededGenerator(seed: seed) }

        let wantsAccuracy = metrics.contains(.accuracy)
        let parameters = trainableParameters
        let last = nodes[nodes.count - 1].layer
        let softmaxLayer = loss.isCrossEntropy ? (last as? SoftmaxOutputLayer).flatMap { $0.endsInSoftmax ? $0 : nil } : nil
        // Nobody reads the gradient of the input data: the first layer may skip computing it.
        let first = nodes.count > 1 ? nodes[1].layer as? InputGradientOptional : nil
        let firstComputedInputGradient = first?.computesInputGradient ?? true
        first?.computesInputGradient = false
        defer { first?.computesInputGradient = firstComputedInputGradient }
        let count = source.count
        let batchCount = (count + batchSize - 1) / batchSize
        var order = Array(0..<count)
        var history = History()

        for epoch in stride(from: 1, through: epochs, by: 1) {
            let epochStart = DispatchTime.now().uptimeNanoseconds
            if shuffle { order.shuffle(using: &shuffleGenerator) }
            var lossSum = 0.0, seen = 0, correct = 0, rows = 0
            for batch in 0..<batchCount {
                if let shouldStop, shouldStop() {
                    history.cancelled = true
                    history.batchesInCancelledEpoch = batch
                    return history
                }
                let start = batch * batchSize
                let n = min(batchSize, count - start)
                let indices = order[start..<(start + n)]
                let buffers = buffers(size: n, source: source, withGradient: true)
                source.fillInputs(indices: indices, into: buffers.inputs)
                buffers.labels.withUnsafeMutableBufferPointer {
                    source.fillTargets(indices: indices, labels: $0, values: buffers.targets)
                }
                let prediction = forwardChain(buffers.inputs, training: true)
                let batchLoss = try buffers.labels.withUnsafeBufferPointer { (labels) throws(ModelError) -> Double in
                    let l = loss.usesClassIndices ? labels : nil
                    let t = loss.usesClassIndices ? nil : buffers.targets
                    try loss.check(predictions: prediction, labels: l, targets: t)
                    if wantsAccuracy {
                        correct += Metric.correctCount(predictions: prediction, labels: l, targets: t)
                        rows += prediction.count / prediction.shape[prediction.rank - 1]
                    }
                    return loss.compute(predictions: prediction, labels: l, targets: t,
                                        gradient: buffers.lossGradient, logitsGradient: softmaxLayer != nil)
                }
                lossSum += batchLoss * Double(n)
                seen += n

                for parameter in parameters { parameter.gradient.fill(0) }
                var gradient = softmaxLayer?.backward(logitsGradient: buffers.lossGradient) ?? last.backward(buffers.lossGradient)
                var i = nodes.count - 2
                while i >= 1 {
                    gradient = nodes[i].layer.backward(gradient)
                    i -= 1
                }
                optimizer.step(parameters)

                progress?(BatchProgress(epoch: epoch, epochs: epochs, batch: batch + 1, batchCount: batchCount,
                                        loss: lossSum / Double(seen),
                                        accuracy: wantsAccuracy ? Double(correct) / Double(max(rows, 1)) : nil,
                                        elapsed: secondsSince(epochStart)))
            }
            let trainLoss = lossSum / Double(max(seen, 1))
            history.loss.append(trainLoss)
            let trainAccuracy = wantsAccuracy ? Double(correct) / Double(max(rows, 1)) : nil
            if let trainAccuracy { history.accuracy.append(trainAccuracy) }
            var validationResult: Evaluation?
            if let validation {
                let result = try evaluate(validation, batchSize: batchSize)
                history.valLoss.append(result.loss)
                if let accuracy = result.accuracy { history.valAccuracy.append(accuracy) }
                validationResult = result
            }
            epochEnd?(EpochSummary(epoch: epoch, epochs: epochs, loss: trainLoss, accuracy: trainAccuracy,
                                   valLoss: validationResult?.loss, valAccuracy: validationResult?.accuracy,
                                   seconds: secondsSince(epochStart), batchCount: batchCount))
        }
        return history
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

    /// Mean loss (weighted by batch size) and accuracy over `source` in inference mode
    /// (Keras's `evaluate`). `progress` is called after every batch. `shouldStop` is asked
    /// before every batch: true abandons the evaluation with an error that says so.
    public func evaluate(_ source: BatchSource, batchSize: Int = 32,
                         progress: ((BatchProgress) -> Void)? = nil,
                         shouldStop: (() -> Bool)? = nil) throws(ModelError) -> Evaluation {
        let loss = try trainingSetup(source, needsOptimizer: false)
        guard batchSize >= 1 else { throw ModelError("the batch size must be at least 1 (got \(batchSize))") }
        let wantsAccuracy = metrics.contains(.accuracy)
        let count = source.count
        let batchCount = (count + batchSize - 1) / batchSize
        let order = Array(0..<count)
        let startTime = DispatchTime.now().uptimeNanoseconds
        var lossSum = 0.0, correct = 0, rows = 0
        for batch in 0..<batchCount {
            if let shouldStop, shouldStop() { throw ModelError.stopped("evaluate", batch: batch, of: batchCount) }
            let start = batch * batchSize
            let n = min(batchSize, count - start)
            let indices = order[start..<(start + n)]
            let buffers = buffers(size: n, source: source, withGradient: false)
            source.fillInputs(indices: indices, into: buffers.inputs)
            buffers.labels.withUnsafeMutableBufferPointer {
                source.fillTargets(indices: indices, labels: $0, values: buffers.targets)
            }
            let prediction = forwardChain(buffers.inputs, training: false)
            try buffers.labels.withUnsafeBufferPointer { (labels) throws(ModelError) in
                let l = loss.usesClassIndices ? labels : nil
                let t = loss.usesClassIndices ? nil : buffers.targets
                try loss.check(predictions: prediction, labels: l, targets: t)
                lossSum += loss.compute(predictions: prediction, labels: l, targets: t, gradient: nil,
                                        logitsGradient: false) * Double(n)
                if wantsAccuracy {
                    correct += Metric.correctCount(predictions: prediction, labels: l, targets: t)
                    rows += prediction.count / prediction.shape[prediction.rank - 1]
                }
            }
            progress?(BatchProgress(epoch: 1, epochs: 1, batch: batch + 1, batchCount: batchCount,
                                    loss: lossSum / Double(start + n),
                                    accuracy: wantsAccuracy ? Double(correct) / Double(max(rows, 1)) : nil,
                                    elapsed: secondsSince(startTime)))
        }
        return Evaluation(loss: lossSum / Double(max(count, 1)),
                          accuracy: wantsAccuracy ? Double(correct) / Double(max(rows, 1)) : nil)
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
        let outputIndices = outputs.map { output in nodes.firstIndex { $0 === output } ?? 0 }
        var nodeOutputs = [Tensor](repeating: Tensor(zeros: [0]), count: nodes.count)
        let order = Array(0..<count)
        let inputOnly = InputsOnly(source)
        let parents = nodes.map { node in node.input.map { p in nodes.firstIndex { $0 === p } ?? 0 } ?? 0 }
        var start = 0
        while start < count {
            if let shouldStop, shouldStop() {
                throw ModelError.stopped("predict", batch: start / batchSize, of: (count + batchSize - 1) / batchSize)
            }
            let n = min(batchSize, count - start)
            let buffers = buffers(size: n, source: inputOnly, withGradient: false)
            source.fillInputs(indices: order[start..<(start + n)], into: buffers.inputs)
            nodeOutputs[0] = buffers.inputs
            for i in 1..<max(nodes.count, 1) {
                nodeOutputs[i] = nodes[i].layer.forward(nodeOutputs[parents[i]], training: false)
            }
            for (result, index) in zip(results, outputIndices) {
                let item = result.count / max(count, 1)
                (result.pointer + start * item).update(from: nodeOutputs[index].pointer, count: n * item)
            }
            start += n
        }
        return results
    }

    /// `predict` on an in-memory batch of inputs (shape `[N] + inputShape`).
    public func predict(_ x: Tensor, batchSize: Int = 32, shouldStop: (() -> Bool)? = nil) throws(ModelError) -> [Tensor] {
        guard x.rank == inputShape.count + 1 else {
            throw ModelError("inputs of shape \(x.shape) need a batch axis before the item shape \(kerasShapeText(inputShape))",
                             hint: "pass a batch of shape [N, " + inputShape.map(String.init).joined(separator: ", ") + "]")
        }
        return try predict(InputsOnly(TensorInputs(x)), batchSize: batchSize, shouldStop: shouldStop)
    }
}

/// A source's inputs without its targets (for `predict`).
private struct InputsOnly: BatchSource {
    let base: BatchSource
    init(_ base: BatchSource) { self.base = base }
    var count: Int { base.count }
    var itemShape: [Int] { base.itemShape }
    var targetShape: [Int]? { nil }
    func fillInputs(indices: ArraySlice<Int>, into inputs: Tensor) { base.fillInputs(indices: indices, into: inputs) }
    func fillTargets(indices: ArraySlice<Int>, labels: UnsafeMutableBufferPointer<Int32>, values: Tensor) {}
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
