import Basics
import Foundation

/// A layer whose last step is a softmax over its last axis (Dense or a convolution with
/// `activation: softmax`, `Activation(softmax)`). Cross-entropy losses then send
/// dLoss/dLogits = (p - y) / N straight into the pre-softmax values, the stable path Keras
/// takes, instead of dividing by probabilities that may underflow to zero.
public protocol SoftmaxOutputLayer: Layer {
    /// Whether the layer currently ends in softmax.
    var endsInSoftmax: Bool { get }
    /// `backward` given dLoss/d(pre-softmax values) of the last `forward`, skipping the
    /// softmax's Jacobian.
    func backward(logitsGradient: Tensor) -> Tensor
}

/// A Keras loss, with mean reduction over the batch (Keras's `sum_over_batch_size`): its kind
/// and, for the cross-entropies, whether the predictions are logits (`from_logits=True`).
public struct Loss: Hashable, Sendable {
    public enum Kind: String, CaseIterable, Sendable {
        /// Targets are class indices; predictions are probabilities over the last axis.
        case sparseCategoricalCrossentropy = "sparse_categorical_crossentropy"
        /// Targets are one-hot (or soft) distributions of the predictions' shape.
        case categoricalCrossentropy = "categorical_crossentropy"
        /// Targets in [0, 1] of the predictions' shape; each prediction a probability.
        case binaryCrossentropy = "binary_crossentropy"
        /// Mean over the last axis of the squared difference, then mean over the batch.
        case meanSquaredError = "mean_squared_error"
        /// Mean over the last axis of the absolute difference, then mean over the batch.
        case meanAbsoluteError = "mean_absolute_error"
    }

    public let kind: Kind
    /// The predictions are logits: softmax (sigmoid for binary cross-entropy) is part of the
    /// loss, as Keras's `from_logits=True`.
    public let fromLogits: Bool

    public init(_ kind: Kind, fromLogits: Bool = false) {
        self.kind = kind
        self.fromLogits = fromLogits && kind.isCrossEntropy
    }

    public static let sparseCategoricalCrossentropy = Loss(.sparseCategoricalCrossentropy)
    public static let categoricalCrossentropy = Loss(.categoricalCrossentropy)
    public static let binaryCrossentropy = Loss(.binaryCrossentropy)
    public static let meanSquaredError = Loss(.meanSquaredError)
    public static let meanAbsoluteError = Loss(.meanAbsoluteError)
    /// Every kind, on probabilities.
    public static var allCases: [Loss] { Kind.allCases.map { Loss($0) } }

    /// Keras's short names beside the long ones.
    static let aliases = ["mse": Kind.meanSquaredError, "mae": .meanAbsoluteError]

    /// The short names, for hints.
    public static var aliasNames: [String] { aliases.keys.sorted() }

    /// Keras's name, `sparse_categorical_crossentropy`; also accepts `mse` and `mae`.
    public init?(kerasName: String, fromLogits: Bool = false) {
        guard let kind = Loss.aliases[kerasName] ?? Kind(rawValue: kerasName) else { return nil }
        self.init(kind, fromLogits: fromLogits)
    }

    /// Keras's name of the kind.
    public var rawValue: String { kind.rawValue }
    public var kerasName: String { rawValue }
    public var usesClassIndices: Bool { kind == .sparseCategoricalCrossentropy }
    public var isCrossEntropy: Bool { kind.isCrossEntropy }
    /// A softmax at the end of the model may hand this loss's gradient straight to its logits.
    var fusesWithSoftmaxOutput: Bool {
        (kind == .sparseCategoricalCrossentropy || kind == .categoricalCrossentropy) && !fromLogits
    }

    /// Probabilities are clipped to [ε, 1 - ε] before the logarithm (Keras's epsilon) when
    /// the softmax path is not available.
    static let epsilon: Float = 1e-7

    /// Mean loss of a batch of `predictions` (shape [N, ...]) against class `labels`.
    public func value(predictions: Tensor, labels: [Int32]) throws(ModelError) -> Double {
        try labels.withUnsafeBufferPointer { (l) throws(ModelError) -> Double in
            try check(predictions: predictions, labels: l, targets: nil)
            return compute(predictions: predictions, labels: l, targets: nil, gradient: nil, logitsGradient: false)
        }
    }

    /// Mean loss of a batch of `predictions` against `targets` of the same shape.
    public func value(predictions: Tensor, targets: Tensor) throws(ModelError) -> Double {
        try check(predictions: predictions, labels: nil, targets: targets)
        return compute(predictions: predictions, labels: nil, targets: targets, gradient: nil, logitsGradient: false)
    }

    /// dLoss/dPredictions, or with `withRespectToLogits` (cross-entropy only, predictions being
    /// softmax outputs) dLoss/dLogits = (p - y) / N. With `fromLogits` the predictions are the
    /// logits, and the gradient is theirs.
    public func gradient(predictions: Tensor, labels: [Int32], withRespectToLogits: Bool = false) throws(ModelError) -> Tensor {
        let gradient = Tensor(zeros: predictions.shape)
        try labels.withUnsafeBufferPointer { (l) throws(ModelError) in
            try check(predictions: predictions, labels: l, targets: nil)
            _ = compute(predictions: predictions, labels: l, targets: nil, gradient: gradient,
                        logitsGradient: withRespectToLogits && fusesWithSoftmaxOutput)
        }
        return gradient
    }

    public func gradient(predictions: Tensor, targets: Tensor, withRespectToLogits: Bool = false) throws(ModelError) -> Tensor {
        try check(predictions: predictions, labels: nil, targets: targets)
        let gradient = Tensor(zeros: predictions.shape)
        _ = compute(predictions: predictions, labels: nil, targets: targets, gradient: gradient,
                    logitsGradient: withRespectToLogits && fusesWithSoftmaxOutput)
        return gradient
    }

    /// Checks targets against predictions; `compute` assumes this passed.
    func check(predictions: Tensor, labels: UnsafeBufferPointer<Int32>?, targets: Tensor?) throws(ModelError) {
        guard predictions.rank >= 2 else {
            throw ModelError("predictions of shape \(predictions.shape) have no batch axis")
        }
        let n = predictions.shape[0], classes = predictions.shape[predictions.rank - 1]
        if usesClassIndices {
            guard let labels else {
                throw ModelError("\(rawValue) needs class indices as targets",
                                 hint: "use categorical_crossentropy or mean_squared_error for one-hot or real-valued targets")
            }
            guard predictions.rank == 2 else {
                throw ModelError("\(rawValue) needs predictions of shape (None, classes), got \(kerasShapeText(Array(predictions.shape.dropFirst())))",
                                 hint: "end the model with Flatten and Dense(classes)")
            }
            guard labels.count == n else {
                throw ModelError("\(labels.count) labels for a batch of \(n) predictions")
            }
            for label in labels where label < 0 || Int(label) >= classes {
                throw ModelError("label \(label) is outside the \(classes) classes 0...\(classes - 1) of the model's output",
                                 hint: "give the last Dense layer as many units as there are classes")
            }
        } else {
            guard let targets else {
                throw ModelError("\(rawValue) needs targets of the predictions' shape, not class indices",
                                 hint: "use sparse_categorical_crossentropy for integer class labels")
            }
            guard targets.shape == predictions.shape else {
                throw ModelError("targets of shape \(kerasShapeText(Array(targets.shape.dropFirst()))) do not match predictions of shape \(kerasShapeText(Array(predictions.shape.dropFirst())))",
                                 hint: "one-hot encode class labels, or use sparse_categorical_crossentropy")
            }
        }
    }

    /// Mean loss over the batch; writes the gradient into `gradient` when given. The
    /// cross-entropy gradient is dLoss/dLogits when `logitsGradient` is set (predictions being
    /// a softmax's output) or the loss is `fromLogits` (predictions being the logits), else
    /// dLoss/dp. With `weights` (one per item: Keras's sample weights, which `class_weight`
    /// becomes) each item's loss and gradient are scaled by its weight and the sum is still
    /// divided by the batch size, as Keras's `sum_over_batch_size` reduction does.
    func compute(predictions: Tensor, labels: UnsafeBufferPointer<Int32>?, targets: Tensor?,
                 gradient: Tensor?, logitsGradient: Bool, weights: [Float]? = nil) -> Double {
        let n = predictions.shape[0]
        guard n > 0 else { return 0 }
        guard let weights else {
            return unweighted(predictions: predictions, labels: labels, targets: targets, gradient: gradient, logitsGradient: logitsGradient)
        }
        // Each item's loss alone (the unweighted mean over one item), its gradient scaled.
        let item = predictions.count / n
        var total = 0.0
        for r in 0..<n {
            func row(_ t: Tensor) -> Tensor {
                Tensor(shape: [1] + t.shape.dropFirst(), storage: t.storage, offset: t.offset + r * t.count / n)
            }
            let one = row(predictions), oneTargets = targets.map(row), oneGradient = gradient.map(row)
            let loss = unweighted(predictions: one, labels: labels.map { UnsafeBufferPointer(rebasing: $0[r..<(r + 1)]) },
                               targets: oneTargets, gradient: oneGradient, logitsGradient: logitsGradient)
            total += Double(weights[r]) * loss
            if let g = oneGradient?.pointer {
                let scale = weights[r] / Float(n)
                for i in 0..<item { g[i] *= scale }
            }
        }
        return total / Double(n)
    }

    private func unweighted(predictions: Tensor, labels: UnsafeBufferPointer<Int32>?, targets: Tensor?,
                            gradient: Tensor?, logitsGradient: Bool) -> Double {
        let n = predictions.shape[0]
        guard n > 0 else { return 0 }
        let width = predictions.shape[predictions.rank - 1]
        let rows = predictions.count / width
        let g = gradient?.pointer
        if fromLogits && kind != .binaryCrossentropy {
            // log-softmax by the log-sum-exp of each row, then the fused path on its exponent.
            let probabilities = Tensor(zeros: predictions.shape)
            let z = predictions.pointer, p = probabilities.pointer
            var logNormaliser = [Float](repeating: 0, count: rows)
            for r in 0..<rows {
                let zr = z + r * width, pr = p + r * width
                var top = -Float.infinity
                for c in 0..<width { top = max(top, zr[c]) }
                var sum: Float = 0
                for c in 0..<width {
                    pr[c] = expf(zr[c] - top)
                    sum += pr[c]
                }
                for c in 0..<width { pr[c] /= sum }
                logNormaliser[r] = top + logf(sum)
            }
            return crossEntropy(probabilities, labels: labels, targets: targets, rows: rows, width: width, gradient: g,
                                logProbability: { r, c in z[r * width + c] - logNormaliser[r] })
        }
        let p = predictions.pointer
        let eps = Loss.epsilon
        switch kind {
        case .sparseCategoricalCrossentropy, .categoricalCrossentropy:
            if logitsGradient {
                // -log softmax(z)_y computed from p; only an underflowed p_y is clamped.
                return crossEntropy(predictions, labels: labels, targets: targets, rows: rows, width: width, gradient: g,
                                    logProbability: { r, c in logf(max(p[r * width + c], Float.leastNormalMagnitude)) })
            }
            let invN = 1 / Float(n)
            var total = 0.0
            for r in 0..<rows {
                let row = p + r * width
                var rowLoss: Float = 0
                if let g { for c in 0..<width { g[r * width + c] = 0 } }
                for c in 0..<width {
                    let t = target(r, c, labels: labels, targets: targets, width: width)
                    guard t != 0 else { continue }
                    rowLoss -= t * logf(min(max(row[c], eps), 1 - eps))
                    if let g, row[c] > eps && row[c] < 1 - eps { g[r * width + c] = -t * invN / row[c] }
                }
                total += Double(rowLoss)
            }
            return total / Double(rows)
        case .binaryCrossentropy:
            guard let t = targets?.pointer else { return .nan }
            let count = rows * width
            let scale = 1 / Float(count)
            var total = 0.0
            for i in 0..<count {
                if fromLogits {
                    // max(z, 0) - z·y + log(1 + e^-|z|): finite for any z; d/dz = σ(z) - y.
                    let z = p[i]
                    total += Double(max(z, 0) - z * t[i] + log1pf(expf(-abs(z))))
                    g?[i] = (1 / (1 + expf(-z)) - t[i]) * scale
                } else {
                    let clipped = min(max(p[i], eps), 1 - eps)
                    total -= Double(t[i] * logf(clipped) + (1 - t[i]) * logf(1 - clipped))
                    if let g {
                        g[i] = (p[i] > eps && p[i] < 1 - eps) ? (clipped - t[i]) / (clipped * (1 - clipped)) * scale : 0
                    }
                }
            }
            return total / Double(count)
        case .meanSquaredError, .meanAbsoluteError:
            guard let t = targets?.pointer else { return .nan }
            // Mean over the last axis, then over the batch: d/dp = 2 (p - t) / (width · rows),
            // or sign(p - t) / (width · rows) for the absolute error.
            let count = rows * width
            let scale = 1 / Float(count)
            let squared = kind == .meanSquaredError
            var sum = 0.0
            for i in 0..<count {
                let d = p[i] - t[i]
                sum += squared ? Double(d * d) : Double(abs(d))
                g?[i] = squared ? 2 * scale * d : (d > 0 ? scale : d < 0 ? -scale : 0)
            }
            return sum / Double(count)
        }
    }

    /// Target value of row `r`, column `c`: one-hot of the label, or the given targets.
    @inline(__always)
    private func target(_ r: Int, _ c: Int, labels: UnsafeBufferPointer<Int32>?, targets: Tensor?, width: Int) -> Float {
        if let labels { return Int(labels[r]) == c ? 1 : 0 }
        return targets?.pointer[r * width + c] ?? 0
    }

    /// -Σ t·log p per row, averaged over rows, with the gradient with respect to the logits,
    /// (p·Σt - t) / N, from `probabilities` (a softmax's output).
    private func crossEntropy(_ probabilities: Tensor, labels: UnsafeBufferPointer<Int32>?, targets: Tensor?,
                              rows: Int, width: Int, gradient g: UnsafeMutablePointer<Float>?,
                              logProbability: (Int, Int) -> Float) -> Double {
        let p = probabilities.pointer
        let invN = 1 / Float(rows)
        var total = 0.0
        for r in 0..<rows {
            var rowLoss: Float = 0, targetSum: Float = 0
            if let labels {
                let y = Int(labels[r])
                rowLoss = -logProbability(r, y)
                targetSum = 1
            } else if let t = targets?.pointer {
                for c in 0..<width where t[r * width + c] != 0 {
                    rowLoss -= t[r * width + c] * logProbability(r, c)
                    targetSum += t[r * width + c]
                }
            }
            if let g {
                for c in 0..<width {
                    g[r * width + c] = (p[r * width + c] * targetSum - target(r, c, labels: labels, targets: targets, width: width)) * invN
                }
            }
            total += Double(rowLoss)
        }
        return total / Double(rows)
    }
}

extension Loss.Kind {
    var isCrossEntropy: Bool {
        self == .sparseCategoricalCrossentropy || self == .categoricalCrossentropy || self == .binaryCrossentropy
    }
}

/// Keras's metrics. `accuracy` resolves as Keras does: sparse categorical accuracy for
/// class-index targets, binary accuracy (threshold 0.5) for a single output unit,
/// categorical accuracy (argmax match) otherwise.
public enum Metric: String, CaseIterable, Sendable {
    case accuracy

    /// Number of correct items in a batch.
    static func correctCount(predictions: Tensor, labels: UnsafeBufferPointer<Int32>?, targets: Tensor?) -> Int {
        let width = predictions.shape[predictions.rank - 1]
        let rows = predictions.count / width
        let p = predictions.pointer
        var correct = 0
        if let labels, width > 1 {
            for r in 0..<rows where argmax(p + r * width, width) == Int(labels[r]) { correct += 1 }
        } else if width == 1 {
            for r in 0..<rows {
                let truth: Float = labels.map { Float($0[r]) } ?? (targets.map { $0.pointer[r] } ?? 0)
                if (p[r] > 0.5) == (truth > 0.5) { correct += 1 }
            }
        } else if let t = targets?.pointer {
            for r in 0..<rows where argmax(p + r * width, width) == argmax(t + r * width, width) { correct += 1 }
        }
        return correct
    }

    @inline(__always) static func argmax(_ row: UnsafeMutablePointer<Float>, _ width: Int) -> Int {
        var best = 0
        var bestValue = row[0]
        for c in 1..<max(width, 1) where row[c] > bestValue {
            best = c
            bestValue = row[c]
        }
        return best
    }
}
