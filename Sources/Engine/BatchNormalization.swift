import Basics
import Foundation

/// Keras's `BatchNormalization` over the last (channel) axis: y = γ · (x − μ) / √(σ² + ε) + β.
///
/// In training μ and σ² are the batch's mean and biased variance per channel, and the moving
/// statistics follow them: moving = moving · momentum + batch · (1 − momentum), as Keras
/// updates them (with the same biased variance). In inference, and in training once the
/// layer is frozen (Keras runs a layer with `trainable = False` in inference mode), the moving
/// statistics stand in for the batch's. γ starts at ones, β at zeros, the moving mean at zeros
/// and the moving variance at ones; the moving ones are state, never trained.
public final class BatchNormalization: Layer {
    public var name = "batch_normalization"
    public let momentum: Float
    public let epsilon: Float

    public private(set) var parameters: [Parameter] = []
    private var channels = 0
    private var output = ReusableBuffer()
    private var normalized = ReusableBuffer()
    private var inputGradient = ReusableBuffer()
    /// 1 / √(σ² + ε) per channel of the last forward pass.
    private var inverseDeviation: [Float] = []
    /// Whether the last forward pass normalised by the batch's own statistics.
    private var usedBatchStatistics = false

    public init(momentum: Float = 0.99, epsilon: Float = 1e-3) throws(ConfigurationError) {
        guard momentum >= 0 && momentum <= 1 else {
            throw ConfigurationError("BatchNormalization momentum must be in [0, 1], got \(momentum)",
                                     hint: "0.99 (Keras's default) lets the moving statistics follow about the last 100 batches")
        }
        guard epsilon > 0 else {
            throw ConfigurationError("BatchNormalization epsilon must be positive, got \(epsilon)",
                                     hint: "0.001 is Keras's default")
        }
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public var typeName: String { "BatchNormalization" }
    public var namePrefix: String { "batch_normalization" }
    public var configuration: [(key: String, value: PythonValue)] {
        [("axis", .int(-1)), ("momentum", .float(momentum)), ("epsilon", .float(epsilon))]
    }

    public var gamma: Parameter { parameters[0] }
    public var beta: Parameter { parameters[1] }
    public var movingMean: Parameter { parameters[2] }
    public var movingVariance: Parameter { parameters[3] }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        guard !inputShape.isEmpty else { throw ShapeError("BatchNormalization needs an input with at least one axis") }
        guard inputShape.allSatisfy({ $0 > 0 }) else {
            throw ShapeError("BatchNormalization got an empty input of shape \(kerasTupleText(inputShape))")
        }
        return inputShape
    }

    /// One multiply-add per value (the statistics folded into a scale and a shift).
    public func multiplyAdds(for inputShape: [Int]) -> Int { inputShape.reduce(1, *) }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
        channels = inputShape[inputShape.count - 1]
        parameters = [
            Parameter(name: "gamma", value: Tensor(shape: [channels], repeating: 1)),
            Parameter(name: "beta", value: Tensor(zeros: [channels])),
            Parameter(name: "moving_mean", value: Tensor(zeros: [channels]), isState: true),
            Parameter(name: "moving_variance", value: Tensor(shape: [channels], repeating: 1), isState: true),
        ]
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(!parameters.isEmpty, "\(name) used before build")
        let c = channels
        precondition(input.rank >= 2 && input.shape[input.rank - 1] == c, "\(name) built for \(c) channels got \(input.shape)")
        let rows = input.count / c
        let x = input.pointer
        usedBatchStatistics = training && !gamma.isFrozen
        var mean = [Float](repeating: 0, count: c)
        inverseDeviation = [Float](repeating: 0, count: c)
        if usedBatchStatistics {
            // Sums in Double: a batch of many positions loses digits in Float.
            var sum = [Double](repeating: 0, count: c), squares = [Double](repeating: 0, count: c)
            for r in 0..<rows {
                let row = x + r * c
                for ch in 0..<c { sum[ch] += Double(row[ch]) }
            }
            for ch in 0..<c { mean[ch] = Float(sum[ch] / Double(rows)) }
            for r in 0..<rows {
                let row = x + r * c
                for ch in 0..<c {
                    let d = Double(row[ch]) - Double(mean[ch])
                    squares[ch] += d * d
                }
            }
            let movingMean = movingMean.value.pointer, movingVariance = movingVariance.value.pointer
            for ch in 0..<c {
                let variance = Float(squares[ch] / Double(rows))
                inverseDeviation[ch] = 1 / (variance + epsilon).squareRoot()
                movingMean[ch] = movingMean[ch] * momentum + mean[ch] * (1 - momentum)
                movingVariance[ch] = movingVariance[ch] * momentum + variance * (1 - momentum)
            }
        } else {
            let movingMean = movingMean.value.pointer, movingVariance = movingVariance.value.pointer
            for ch in 0..<c {
                mean[ch] = movingMean[ch]
                inverseDeviation[ch] = 1 / (movingVariance[ch] + epsilon).squareRoot()
            }
        }
        let out = output.tensor(shape: input.shape), xhat = normalized.tensor(shape: input.shape)
        let y = out.pointer, n = xhat.pointer, g = gamma.value.pointer, b = beta.value.pointer
        inverseDeviation.withUnsafeBufferPointer { inverse in
            mean.withUnsafeBufferPointer { mean in
                Parallel.forEachChunk(rows, workPerItem: c * 2) { range in
                    for r in range {
                        let offset = r * c
                        for ch in 0..<c {
                            let value = (x[offset + ch] - mean[ch]) * inverse[ch]
                            n[offset + ch] = value
                            y[offset + ch] = value * g[ch] + b[ch]
                        }
                    }
                }
            }
        }
        return out
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        precondition(!inverseDeviation.isEmpty, "\(name).backward before forward")
        let c = channels, rows = outputGradient.count / c
        let xhat = normalized.tensor(shape: outputGradient.shape).pointer, dy = outputGradient.pointer
        var sumGradient = [Double](repeating: 0, count: c), sumGradientXhat = [Double](repeating: 0, count: c)
        for r in 0..<rows {
            let offset = r * c
            for ch in 0..<c {
                sumGradient[ch] += Double(dy[offset + ch])
                sumGradientXhat[ch] += Double(dy[offset + ch]) * Double(xhat[offset + ch])
            }
        }
        let dGamma = gamma.gradient.pointer, dBeta = beta.gradient.pointer, g = gamma.value.pointer
        for ch in 0..<c {
            dGamma[ch] += Float(sumGradientXhat[ch])
            dBeta[ch] += Float(sumGradient[ch])
        }
        let dInput = inputGradient.tensor(shape: outputGradient.shape)
        let dx = dInput.pointer
        // With batch statistics μ and σ² depend on every input, which adds the two mean terms:
        // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂)).
        let batch = usedBatchStatistics
        var scale = [Float](repeating: 0, count: c), meanGradient = [Float](repeating: 0, count: c)
        var meanGradientXhat = [Float](repeating: 0, count: c)
        for ch in 0..<c {
            scale[ch] = g[ch] * inverseDeviation[ch]
            if batch {
                meanGradient[ch] = Float(sumGradient[ch] / Double(rows))
                meanGradientXhat[ch] = Float(sumGradientXhat[ch] / Double(rows))
            }
        }
        for r in 0..<rows {
            let offset = r * c
            for ch in 0..<c {
                dx[offset + ch] = scale[ch] * (dy[offset + ch] - meanGradient[ch] - xhat[offset + ch] * meanGradientXhat[ch])
            }
        }
        return dInput
    }
}

extension BatchNormalization: ForwardStateKeeping {
    public func savedForwardState() -> Any {
        (normalized: normalized.last?.copy(), inverseDeviation: inverseDeviation, batch: usedBatchStatistics)
    }

    public func restoreForwardState(_ state: Any) {
        guard let (saved, inverse, batch) = state as? (normalized: Tensor?, inverseDeviation: [Float], batch: Bool) else { return }
        if let saved { normalized.tensor(shape: saved.shape).assign(saved) }
        inverseDeviation = inverse
        usedBatchStatistics = batch
    }
}
