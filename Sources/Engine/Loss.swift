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

/// Keras's losses, with mean reduction over the batch.
public enum Loss: String, CaseIterable, Sendable {
    /// Targets are class indices; predictions are probabilities over the last axis.
    case sparseCategoricalCrossentropy = "sparse_categorical_crossentropy"
    /// Targets are one-hot (or soft) distributions of the predictions' shape.
    case categoricalCrossentropy = "categorical_crossentropy"
    /// Mean over the last axis of the squared difference, then mean over the batch.
    case meanSquaredError = "mean_squared_error"

    /// Keras's name, `sparse_categorical_crossentropy`; also accepts `mse`.
    public init?(kerasName: String) {
        if kerasName == "mse" { self = .meanSquaredError; return }
        self.init(rawValue: kerasName)
    }

    public var kerasName: String { rawValue }
    public var usesClassIndices: Bool { self == .sparseCategoricalCrossentropy }
    var isCrossEntropy: Bool { self != .meanSquaredError }

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
    /// softmax outputs) dLoss/dLogits = (p - y) / N.
    public func gradient(predictions: Tensor, labels: [Int32], withRespectToLogits: Bool = false) throws(ModelError) -> Tensor {
        let gradient = Tensor(zeros: predictions.shape)
        try labels.withUnsafeBufferPointer { (l) throws(ModelError) in
            try check(predictions: predictions, labels: l, targets: nil)
            _ = compute(predictions: predictions, labels: l, targets: nil, gradient: gradient,
                        logitsGradient: withRespectToLogits && isCrossEntropy)
        }
        return gradient
    }

    public func gradient(predictions: Tensor, targets: Tensor, withRespectToLogits: Bool = false) throws(ModelError) -> Tensor {
        try check(predictions: predictions, labels: nil, targets: targets)
        let gradient = Tensor(zeros: predictions.shape)
        _ = compute(predictions: predictions, labels: nil, targets: targets, gradient: gradient,
                    logitsGradient: withRespectToLogits && isCrossEntropy)
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
                                 hint: usesClassIndices ? nil : "one-hot encode class labels, or use sparse_categorical_crossentropy")
            }
        }
    }

    /// Mean loss over the batch; writes the gradient into `gradient` when given. The
    /// cross-entropy gradient is dLoss/dLogits when `logitsGradient` is set, else dLoss/dp.
    func compute(predictions: Tensor, labels: UnsafeBufferPointer<Int32>?, targets: Tensor?,
                 gradient: Tensor?, logitsGradient: Bool) -> Double {
        let n = predictions.shape[0]
        guard n > 0 else { return 0 }
        let width = predictions.shape[predictions.rank - 1]
        let rows = predictions.count / width
        let p = predictions.pointer
        let g = gradient?.pointer
        let invN = 1 / Float(n)
        let eps = Loss.epsilon
        var total = 0.0
        switch self {
        case .sparseCategoricalCrossentropy:
            guard let labels else { return .nan }
            for r in 0..<rows {
                let row = p + r * width
                let y = Int(labels[r])
                if logitsGradient {
                    // -log softmax(z)_y computed from p; only an underflowed p_y is clamped.
                    total -= Double(logf(max(row[y], Float.leastNormalMagnitude)))
                    if let g {
                        let gr = g + r * width
                        for c in 0..<width { gr[c] = row[c] * invN }
                        gr[y] -= invN
                    }
                } else {
                    let py = row[y]
                    let clipped = min(max(py, eps), 1 - eps)
                    total -= Double(logf(clipped))
                    if let g {
                        let gr = g + r * width
                        for c in 0..<width { gr[c] = 0 }
                        if py > eps && py < 1 - eps { gr[y] = -invN / py }
                    }
                }
            }
        case .categoricalCrossentropy:
            guard let t = targets?.pointer else { return .nan }
            for r in 0..<rows {
                let row = p + r * width, tr = t + r * width
                var rowLoss: Float = 0
                if logitsGradient {
                    var targetSum: Float = 0
                    for c in 0..<width where tr[c] != 0 {
                        rowLoss -= tr[c] * logf(max(row[c], Float.leastNormalMagnitude))
                        targetSum += tr[c]
                    }
                    // d/dz of -Σ t log softmax(z) is p Σt - t.
                    if let g {
                        let gr = g + r * width
                        for c in 0..<width { gr[c] = (row[c] * targetSum - tr[c]) * invN }
                    }
                } else {
                    for c in 0..<width {
                        let clipped = min(max(row[c], eps), 1 - eps)
                        rowLoss -= tr[c] * logf(clipped)
                        if let g {
                            g[r * width + c] = (row[c] > eps && row[c] < 1 - eps) ? -tr[c] * invN / row[c] : 0
                        }
                    }
                }
                total += Double(rowLoss)
            }
        case .meanSquaredError:
            guard let t = targets?.pointer else { return .nan }
            // Mean over the last axis, then over the batch: d/dp = 2 (p - t) / (width · rows).
            let scale = 2 / Float(width * rows)
            var sum = 0.0
            for i in 0..<(rows * width) {
                let d = p[i] - t[i]
                sum += Double(d * d)
                if let g { g[i] = scale * d }
            }
            return sum / Double(width * rows)
        }
        return total / Double(rows)
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
