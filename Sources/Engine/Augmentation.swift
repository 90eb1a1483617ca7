import Basics
import Foundation

/// What Keras's image augmentation layers share: active only in training (the identity in
/// inference, backward passing the gradient straight through), a random transform per image
/// drawn from a seeded generator (from the model's generator at `build` when no seed is
/// given, as `Dropout` does), bilinear sampling with Keras's `reflect` fill, and the
/// sampler's adjoint as the backward pass.
struct Augmentation {
    var generator: SeededGenerator
    let fixedSeed: Bool
    private var samplers: [BilinearSampler] = []
    private var inputShape: [Int] = []
    private var transformedLastForward = false
    private var output = ReusableBuffer()
    private var inputGradient = ReusableBuffer()

    init(seed: UInt64?) {
        generator = SeededGenerator(seed: seed ?? 0)
        fixedSeed = seed != nil
    }

    mutating func build(_ generator: inout SeededGenerator) {
        if !fixedSeed { self.generator = SeededGenerator(seed: generator.next()) }
    }

    /// Samples each image through the transform `transform(height, width, &generator)` gives it.
    mutating func forward(_ input: Tensor, training: Bool,
                          transform: (Int, Int, inout SeededGenerator) -> ImageTransform) -> Tensor {
        transformedLastForward = training
        guard training else { return input }
        inputShape = input.shape
        let batch = input.shape[0], h = input.shape[1], w = input.shape[2], c = input.shape[3]
        if samplers.count != batch { samplers = Array(repeating: BilinearSampler(), count: batch) }
        for n in 0..<batch {
            let t = transform(h, w, &generator)
            samplers[n].prepare(outH: h, outW: w, inH: h, inW: w, border: .reflect, source: t.source)
        }
        let out = output.tensor(shape: input.shape)
        let item = h * w * c
        for n in 0..<batch { samplers[n].sample(input.pointer + n * item, into: out.pointer + n * item, channels: c) }
        return out
    }

    /// What `backward` reads: the samplers of the last forward (arrays, copied on write).
    var forwardState: Any { (transformedLastForward, samplers, inputShape) }

    mutating func restoreForwardState(_ state: Any) {
        guard let (transformed, saved, shape) = state as? (Bool, [BilinearSampler], [Int]) else { return }
        transformedLastForward = transformed
        samplers = saved
        inputShape = shape
    }

    mutating func backward(_ gradient: Tensor) -> Tensor {
        guard transformedLastForward else { return gradient }
        let d = inputGradient.tensor(shape: inputShape)
        d.fill(0)
        let c = inputShape[3], item = inputShape.dropFirst().reduce(1, *)
        for n in 0..<inputShape[0] {
            samplers[n].scatter(gradient.pointer + n * item, into: d.pointer + n * item, channels: c)
        }
        return d
    }
}

/// A factor range (lower, upper) from Keras's one-number form f: (−f, f).
func symmetricRange(_ factor: Float) -> (Float, Float) { (-abs(factor), abs(factor)) }

/// Keras's `seed` argument: the seed given, or None.
func seedValue(_ seed: UInt64?) -> PythonValue { seed.map { .int(Int(truncatingIfNeeded: $0)) } ?? .none }

/// Which axes `RandomFlip` may flip.
public enum FlipMode: String, CaseIterable, Sendable {
    case horizontal, vertical
    case horizontalAndVertical = "horizontal_and_vertical"
}

/// Keras's `RandomFlip`: in training each image is flipped left–right and/or top–bottom, each
/// with probability one half (Keras's default mode flips both ways).
public final class RandomFlip: TrainingOnlyLayer {
    public var name = "random_flip"
    public let mode: FlipMode
    public let seed: UInt64?
    var augmentation: Augmentation

    public init(mode: FlipMode = .horizontalAndVertical, seed: UInt64? = nil) {
        self.mode = mode
        self.seed = seed
        augmentation = Augmentation(seed: seed)
    }

    public var typeName: String { "RandomFlip" }
    public var namePrefix: String { "random_flip" }
    public var parameters: [Parameter] { [] }
    public var configuration: [(key: String, value: PythonValue)] { [("mode", .string(mode.rawValue)), ("seed", seedValue(seed))] }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        try checkImageInput(typeName, inputShape)
        return inputShape
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
        augmentation.build(&generator)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let mode = mode
        return augmentation.forward(input, training: training) { h, w, generator in
            let horizontal = mode != .vertical && generator.uniform(0, 1) < 0.5
            let vertical = mode != .horizontal && generator.uniform(0, 1) < 0.5
            return ImageTransform(a0: horizontal ? -1 : 1, a1: 0, a2: horizontal ? Float(w - 1) : 0,
                                   b0: 0, b1: vertical ? -1 : 1, b2: vertical ? Float(h - 1) : 0)
        }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor { augmentation.backward(outputGradient) }
}

/// Keras's `RandomRotation`: in training each image turns by a random fraction of a full turn
/// in [lower, upper] (`factor` f: [−f, f]) about its centre, bilinear, reflecting at the edges.
public final class RandomRotation: TrainingOnlyLayer {
    public var name = "random_rotation"
    public let factor: (lower: Float, upper: Float)
    public let seed: UInt64?
    var augmentation: Augmentation

    public convenience init(factor: Float, seed: UInt64? = nil) throws(ConfigurationError) {
        try self.init(lower: -abs(factor), upper: abs(factor), seed: seed)
    }

    public init(lower: Float, upper: Float, seed: UInt64? = nil) throws(ConfigurationError) {
        guard lower <= upper else {
            throw ConfigurationError("RandomRotation factor (\(lower), \(upper)) has its lower bound above its upper bound")
        }
        factor = (lower, upper)
        self.seed = seed
        augmentation = Augmentation(seed: seed)
    }

    public var typeName: String { "RandomRotation" }
    public var namePrefix: String { "random_rotation" }
    public var parameters: [Parameter] { [] }
    public var configuration: [(key: String, value: PythonValue)] {
        [("factor", .tuple([.float(factor.lower), .float(factor.upper)])), ("fill_mode", .string("reflect")),
         ("interpolation", .string("bilinear")), ("seed", seedValue(seed))]
    }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        try checkImageInput(typeName, inputShape)
        return inputShape
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
        augmentation.build(&generator)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let factor = factor
        return augmentation.forward(input, training: training) { h, w, generator in
            .rotation(generator.uniform(factor.lower, factor.upper) * 2 * .pi, height: h, width: w)
        }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor { augmentation.backward(outputGradient) }
}

/// Keras's `RandomTranslation`: in training each image moves by a random fraction of its
/// height in [−h, h] and of its width in [−w, w], bilinear, reflecting at the edges.
public final class RandomTranslation: TrainingOnlyLayer {
    public var name = "random_translation"
    public let heightFactor: Float
    public let widthFactor: Float
    public let seed: UInt64?
    var augmentation: Augmentation

    public init(heightFactor: Float, widthFactor: Float, seed: UInt64? = nil) throws(ConfigurationError) {
        for (what, value) in [("height_factor", heightFactor), ("width_factor", widthFactor)] where abs(value) > 1 {
            throw ConfigurationError("RandomTranslation \(what) must be between -1 and 1, got \(value)",
                                     hint: "0.1 moves images by up to a tenth of their size")
        }
        self.heightFactor = abs(heightFactor)
        self.widthFactor = abs(widthFactor)
        self.seed = seed
        augmentation = Augmentation(seed: seed)
    }

    public var typeName: String { "RandomTranslation" }
    public var namePrefix: String { "random_translation" }
    public var parameters: [Parameter] { [] }
    public var configuration: [(key: String, value: PythonValue)] {
        [("height_factor", .float(heightFactor)), ("width_factor", .float(widthFactor)), ("fill_mode", .string("reflect")),
         ("interpolation", .string("bilinear")), ("seed", seedValue(seed))]
    }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        try checkImageInput(typeName, inputShape)
        return inputShape
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
        augmentation.build(&generator)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let hf = heightFactor, wf = widthFactor
        return augmentation.forward(input, training: training) { h, w, generator in
            let dy = generator.uniform(-hf, hf) * Float(h), dx = generator.uniform(-wf, wf) * Float(w)
            return .translation(dy: dy, dx: dx)
        }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor { augmentation.backward(outputGradient) }
}

/// Keras's `RandomZoom`: in training each image is scaled about its centre by 1 + z, z in
/// [−h, h] (positive zooms out, negative in); the width takes the height's zoom unless
/// `widthFactor` gives its own range. Bilinear, reflecting at the edges.
public final class RandomZoom: TrainingOnlyLayer {
    public var name = "random_zoom"
    public let heightFactor: Float
    public let widthFactor: Float?
    public let seed: UInt64?
    var augmentation: Augmentation

    public init(heightFactor: Float, widthFactor: Float? = nil, seed: UInt64? = nil) throws(ConfigurationError) {
        for value in [heightFactor, widthFactor ?? 0] where abs(value) >= 1 {
            throw ConfigurationError("RandomZoom factor must be between -1 and 1 (exclusive), got \(value)",
                                     hint: "0.2 zooms in or out by up to 20%")
        }
        self.heightFactor = abs(heightFactor)
        self.widthFactor = widthFactor.map(abs)
        self.seed = seed
        augmentation = Augmentation(seed: seed)
    }

    public var typeName: String { "RandomZoom" }
    public var namePrefix: String { "random_zoom" }
    public var parameters: [Parameter] { [] }
    public var configuration: [(key: String, value: PythonValue)] {
        [("height_factor", .float(heightFactor)), ("width_factor", widthFactor.map { .float($0) } ?? .none),
         ("fill_mode", .string("reflect")), ("interpolation", .string("bilinear")), ("seed", seedValue(seed))]
    }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        try checkImageInput(typeName, inputShape)
        return inputShape
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
        augmentation.build(&generator)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let hf = heightFactor, wf = widthFactor
        return augmentation.forward(input, training: training) { h, w, generator in
            let zoomY = 1 + generator.uniform(-hf, hf)
            let zoomX = wf.map { 1 + generator.uniform(-$0, $0) } ?? zoomY
            return .zoom(height: zoomY, width: zoomX, height: h, width: w)
        }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor { augmentation.backward(outputGradient) }
}

/// Keras's `RandomContrast`: in training each image's channels are pushed away from (or
/// towards) their mean by a factor in [1 − f, 1 + f], x → (x − mean) · factor + mean, then
/// clipped to `valueRange` (Keras's default (0, 255)).
public final class RandomContrast: TrainingOnlyLayer {
    public var name = "random_contrast"
    public let factor: Float
    public let valueRange: (low: Float, high: Float)
    public let seed: UInt64?
    private var generator: SeededGenerator
    private let fixedSeed: Bool
    private var factors: [Float] = []
    private var inputShape: [Int] = []
    private var output = ReusableBuffer()
    private var inputGradient = ReusableBuffer()
    private var changedLastForward = false

    public init(factor: Float, valueRange: (low: Float, high: Float) = (0, 255), seed: UInt64? = nil) throws(ConfigurationError) {
        guard factor >= 0 && factor <= 1 else {
            throw ConfigurationError("RandomContrast factor must be between 0 and 1, got \(factor)",
                                     hint: "0.2 changes the contrast by up to 20%")
        }
        guard valueRange.low < valueRange.high else {
            throw ConfigurationError("RandomContrast value range (\(valueRange.low), \(valueRange.high)) is empty")
        }
        self.factor = factor
        self.valueRange = valueRange
        self.seed = seed
        generator = SeededGenerator(seed: seed ?? 0)
        fixedSeed = seed != nil
    }

    public var typeName: String { "RandomContrast" }
    public var namePrefix: String { "random_contrast" }
    public var parameters: [Parameter] { [] }
    public var configuration: [(key: String, value: PythonValue)] {
        [("factor", .float(factor)), ("value_range", .tuple([.float(valueRange.low), .float(valueRange.high)])), ("seed", seedValue(seed))]
    }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        try checkImageInput(typeName, inputShape)
        return inputShape
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
        if !fixedSeed { self.generator = SeededGenerator(seed: generator.next()) }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        changedLastForward = training
        guard training else { return input }
        inputShape = input.shape
        let batch = input.shape[0], c = input.shape[3], positions = input.shape[1] * input.shape[2]
        let out = output.tensor(shape: input.shape)
        factors = (0..<batch).map { _ in generator.uniform(1 - factor, 1 + factor) }
        let x = input.pointer, y = out.pointer
        let (low, high) = valueRange
        for n in 0..<batch {
            let item = n * positions * c
            var mean = [Double](repeating: 0, count: c)
            for p in 0..<positions {
                for ch in 0..<c { mean[ch] += Double(x[item + p * c + ch]) }
            }
            let f = factors[n]
            for p in 0..<positions {
                for ch in 0..<c {
                    let m = Float(mean[ch] / Double(positions)), i = item + p * c + ch
                    y[i] = min(max((x[i] - m) * f + m, low), high)
                }
            }
        }
        return out
    }

    /// Where the output was not clipped, d out_i / d x_j = f·δ_ij + (1 − f) / positions (the
    /// mean moves with every input of the channel).
    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard changedLastForward else { return outputGradient }
        let batch = inputShape[0], c = inputShape[3], positions = inputShape[1] * inputShape[2]
        let d = inputGradient.tensor(shape: inputShape)
        let out = output.tensor(shape: inputShape).pointer, g = outputGradient.pointer, dx = d.pointer
        let (low, high) = valueRange
        for n in 0..<batch {
            let item = n * positions * c, f = factors[n]
            var passed = [Double](repeating: 0, count: c)
            func open(_ i: Int) -> Bool { out[i] > low && out[i] < high }
            for p in 0..<positions {
                for ch in 0..<c where open(item + p * c + ch) { passed[ch] += Double(g[item + p * c + ch]) }
            }
            for p in 0..<positions {
                for ch in 0..<c {
                    let i = item + p * c + ch
                    dx[i] = (open(i) ? f * g[i] : 0) + (1 - f) * Float(passed[ch] / Double(positions))
                }
            }
        }
        return d
    }
}

/// A layer drawing its transforms through `Augmentation`.
protocol AugmentingLayer: AnyObject, ForwardStateKeeping {
    var augmentation: Augmentation { get set }
}

extension AugmentingLayer {
    public func savedForwardState() -> Any { augmentation.forwardState }
    public func restoreForwardState(_ state: Any) { augmentation.restoreForwardState(state) }
}

extension RandomFlip: AugmentingLayer {}
extension RandomRotation: AugmentingLayer {}
extension RandomTranslation: AugmentingLayer {}
extension RandomZoom: AugmentingLayer {}

extension RandomContrast: ForwardStateKeeping {
    public func savedForwardState() -> Any {
        (changed: changedLastForward, factors: factors, shape: inputShape, output: changedLastForward ? output.last?.copy() : nil)
    }

    public func restoreForwardState(_ state: Any) {
        guard let (changed, saved, shape, out) = state as? (changed: Bool, factors: [Float], shape: [Int], output: Tensor?) else { return }
        changedLastForward = changed
        factors = saved
        inputShape = shape
        if let out { output.tensor(shape: out.shape).assign(out) }
    }
}
