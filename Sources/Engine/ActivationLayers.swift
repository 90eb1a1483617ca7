import Basics
import Foundation

/// What the value-by-value activation layers share: the output shape is the input's, no
/// multiply-adds, and forward/backward are one pass over the values. A layer gives the
/// function and its slope at an input value.
public protocol PointwiseActivationLayer: Layer {
    /// f(x).
    func value(_ x: Float) -> Float
    /// f′(x).
    func slope(_ x: Float) -> Float
}

extension PointwiseActivationLayer {
    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        guard !inputShape.isEmpty else { throw ShapeError("\(typeName) needs an input with at least one axis") }
        return inputShape
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
    }
}

/// The buffers of a pointwise layer and the input its backward pass reads.
struct PointwiseBuffers {
    var output = ReusableBuffer()
    var inputGradient = ReusableBuffer()
    var input: Tensor?

    mutating func forward(_ input: Tensor, _ f: (Float) -> Float) -> Tensor {
        self.input = input
        let out = output.tensor(shape: input.shape)
        let x = input.pointer, y = out.pointer
        Parallel.forEachChunk(input.count, workPerItem: 4) { range in
            for i in range { y[i] = f(x[i]) }
        }
        return out
    }

    mutating func backward(_ gradient: Tensor, layer: String, _ slope: (Float) -> Float) -> Tensor {
        guard let input else { preconditionFailure("\(layer).backward before forward") }
        let d = inputGradient.tensor(shape: input.shape)
        let x = input.pointer, g = gradient.pointer, dx = d.pointer
        Parallel.forEachChunk(input.count, workPerItem: 4) { range in
            for i in range { dx[i] = g[i] * slope(x[i]) }
        }
        return d
    }
}

/// Keras's `ReLU` layer: x between `threshold` and `maxValue`, `negativeSlope` · (x − threshold)
/// below the threshold, `maxValue` at and above it (no cap by default).
public final class ReLU: PointwiseActivationLayer {
    public var name = "re_lu"
    public let maxValue: Float?
    public let negativeSlope: Float
    public let threshold: Float
    private var buffers = PointwiseBuffers()

    public init(maxValue: Float? = nil, negativeSlope: Float = 0, threshold: Float = 0) throws(ConfigurationError) {
        if let maxValue, maxValue < 0 {
            throw ConfigurationError("ReLU max_value must be at least 0, got \(maxValue)", hint: "6 gives ReLU6")
        }
        guard negativeSlope >= 0 else {
            throw ConfigurationError("ReLU negative_slope must be at least 0, got \(negativeSlope)")
        }
        self.maxValue = maxValue
        self.negativeSlope = negativeSlope
        self.threshold = threshold
    }

    public var typeName: String { "ReLU" }
    public var namePrefix: String { "re_lu" }
    public var parameters: [Parameter] { [] }
    public var configuration: [(key: String, value: PythonValue)] {
        [("max_value", maxValue.map { .float($0) } ?? .none), ("negative_slope", .float(negativeSlope)), ("threshold", .float(threshold))]
    }

    public func value(_ x: Float) -> Float {
        if let maxValue, x >= maxValue { return maxValue }
        return x >= threshold ? x : negativeSlope * (x - threshold)
    }

    public func slope(_ x: Float) -> Float {
        if let maxValue, x >= maxValue { return 0 }
        return x >= threshold ? 1 : negativeSlope
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor { buffers.forward(input, value) }
    public func backward(_ outputGradient: Tensor) -> Tensor { buffers.backward(outputGradient, layer: name, slope) }
}

/// Keras's `LeakyReLU`: x for x ≥ 0, `negativeSlope` · x below (Keras 3's default slope 0.3).
public final class LeakyReLU: PointwiseActivationLayer {
    public var name = "leaky_re_lu"
    public let negativeSlope: Float
    private var buffers = PointwiseBuffers()

    public init(negativeSlope: Float = 0.3) throws(ConfigurationError) {
        guard negativeSlope >= 0 else {
            throw ConfigurationError("LeakyReLU negative_slope must be at least 0, got \(negativeSlope)", hint: "0.3 is Keras's default")
        }
        self.negativeSlope = negativeSlope
    }

    public var typeName: String { "LeakyReLU" }
    public var namePrefix: String { "leaky_re_lu" }
    public var parameters: [Parameter] { [] }
    public var configuration: [(key: String, value: PythonValue)] { [("negative_slope", .float(negativeSlope))] }

    public func value(_ x: Float) -> Float { x >= 0 ? x : negativeSlope * x }
    public func slope(_ x: Float) -> Float { x >= 0 ? 1 : negativeSlope }

    public func forward(_ input: Tensor, training: Bool) -> Tensor { buffers.forward(input, value) }
    public func backward(_ outputGradient: Tensor) -> Tensor { buffers.backward(outputGradient, layer: name, slope) }
}

/// Keras's `ELU` layer: x for x > 0, α · (eˣ − 1) below (α = 1).
public final class ELU: PointwiseActivationLayer {
    public var name = "elu"
    public let alpha: Float
    private var buffers = PointwiseBuffers()

    public init(alpha: Float = 1) { self.alpha = alpha }

    public var typeName: String { "ELU" }
    public var namePrefix: String { "elu" }
    public var parameters: [Parameter] { [] }
    public var configuration: [(key: String, value: PythonValue)] { [("alpha", .float(alpha))] }

    public func value(_ x: Float) -> Float { x > 0 ? x : alpha * (expf(x) - 1) }
    public func slope(_ x: Float) -> Float { x > 0 ? 1 : alpha * expf(x) }

    public func forward(_ input: Tensor, training: Bool) -> Tensor { buffers.forward(input, value) }
    public func backward(_ outputGradient: Tensor) -> Tensor { buffers.backward(outputGradient, layer: name, slope) }
}

/// Keras's `Softmax` layer over the last axis.
public final class Softmax: Layer {
    public var name = "softmax"
    private var output = ReusableBuffer()
    private var inputGradient = ReusableBuffer()
    private var lastOutput: Tensor?

    public init() {}

    public var typeName: String { "Softmax" }
    public var namePrefix: String { "softmax" }
    public var parameters: [Parameter] { [] }
    public var configuration: [(key: String, value: PythonValue)] { [("axis", .int(-1))] }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        guard !inputShape.isEmpty else { throw ShapeError("Softmax needs an input with at least one axis") }
        return inputShape
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let out = output.tensor(shape: input.shape)
        out.pointer.update(from: input.pointer, count: input.count)
        let columns = max(input.shape.last ?? 1, 1)
        Activation.softmax.forward(out.pointer, rows: input.count / columns, columns: columns)
        lastOutput = out
        return out
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard let out = lastOutput else { preconditionFailure("\(name).backward before forward") }
        let d = inputGradient.tensor(shape: out.shape)
        let columns = max(out.shape.last ?? 1, 1)
        Activation.softmax.backward(output: out.pointer, gradient: outputGradient.pointer, into: d.pointer,
                                    rows: out.count / columns, columns: columns)
        return d
    }
}

extension Softmax: SoftmaxOutputLayer {
    public var endsInSoftmax: Bool { true }
    /// The layer's input is the logits, so their gradient passes through unchanged.
    public func backward(logitsGradient: Tensor) -> Tensor { logitsGradient }
}

/// Keras's `PReLU`: x for x ≥ 0, α · x below, with α learned. As in Keras, α has the input's
/// shape (one slope per value) unless `sharedAxes` (1-based spatial axes, Keras's
/// `shared_axes`) share one slope along them: `[1, 2]` on images gives one per channel.
/// α starts at zeros.
public final class PReLU: Layer {
    public var name = "p_re_lu"
    public let sharedAxes: [Int]
    public private(set) var parameters: [Parameter] = []
    private var alphaShape: [Int] = []
    private var output = ReusableBuffer()
    private var inputGradient = ReusableBuffer()
    private var input: Tensor?

    public init(sharedAxes: [Int] = []) throws(ConfigurationError) {
        guard sharedAxes.allSatisfy({ $0 >= 1 }) else {
            throw ConfigurationError("PReLU shared_axes count from 1 (the first axis after the batch), got \(kerasTupleText(sharedAxes))",
                                     hint: "[1, 2] shares the slope over height and width")
        }
        self.sharedAxes = sharedAxes
    }

    public var typeName: String { "PReLU" }
    public var namePrefix: String { "p_re_lu" }
    public var configuration: [(key: String, value: PythonValue)] {
        [("shared_axes", sharedAxes.isEmpty ? .none : .list(sharedAxes.map { .int($0) }))]
    }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        guard !inputShape.isEmpty else { throw ShapeError("PReLU needs an input with at least one axis") }
        if let axis = sharedAxes.first(where: { $0 > inputShape.count }) {
            throw ShapeError("PReLU shared axis \(axis) does not exist in an input of shape \(kerasTupleText(inputShape))",
                             hint: "axes count from 1 to \(inputShape.count)")
        }
        return inputShape
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
        alphaShape = inputShape.enumerated().map { sharedAxes.contains($0.offset + 1) ? 1 : $0.element }
        parameters = [Parameter(name: "alpha", value: Tensor(zeros: alphaShape))]
    }

    /// Index into α of each flat position of one item (shared axes collapse to 0).
    private func alphaIndex(_ position: Int, itemShape: [Int]) -> Int {
        var rest = position, index = 0, step = 1
        for axis in stride(from: itemShape.count - 1, through: 0, by: -1) {
            let coordinate = rest % itemShape[axis]
            rest /= itemShape[axis]
            if alphaShape[axis] != 1 { index += coordinate * step }
            step *= alphaShape[axis]
        }
        return index
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(!parameters.isEmpty, "\(name) used before build")
        self.input = input
        let out = output.tensor(shape: input.shape)
        let itemShape = Array(input.shape.dropFirst()), item = itemShape.reduce(1, *)
        let alpha = parameters[0].value.pointer, x = input.pointer, y = out.pointer
        let shared = alphaShape.reduce(1, *) != item
        for n in 0..<input.shape[0] {
            for p in 0..<item {
                let v = x[n * item + p]
                let a = alpha[shared ? alphaIndex(p, itemShape: itemShape) : p]
                y[n * item + p] = v >= 0 ? v : a * v
            }
        }
        return out
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard let input else { preconditionFailure("\(name).backward before forward") }
        let d = inputGradient.tensor(shape: input.shape)
        let itemShape = Array(input.shape.dropFirst()), item = itemShape.reduce(1, *)
        let alpha = parameters[0].value.pointer, dAlpha = parameters[0].gradient.pointer
        let x = input.pointer, g = outputGradient.pointer, dx = d.pointer
        let shared = alphaShape.reduce(1, *) != item
        for n in 0..<input.shape[0] {
            for p in 0..<item {
                let i = n * item + p, v = x[i]
                let a = shared ? alphaIndex(p, itemShape: itemShape) : p
                if v >= 0 {
                    dx[i] = g[i]
                } else {
                    dx[i] = g[i] * alpha[a]
                    dAlpha[a] += g[i] * v
                }
            }
        }
        return d
    }
}
