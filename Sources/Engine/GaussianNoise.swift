import Basics

/// Keras's `GaussianNoise`: in training adds noise drawn from N(0, stddev²) to every value
/// (a regulariser, and an augmentation for real-valued inputs); outside training the identity.
/// Seeded like `Dropout`: from the model's generator at `build` unless given a seed.
public final class GaussianNoise: TrainingOnlyLayer {
    public var name = "gaussian_noise"
    public let stddev: Float
    public let seed: UInt64?
    private var generator: SeededGenerator
    private var output = ReusableBuffer()

    public init(stddev: Float, seed: UInt64? = nil) throws(ConfigurationError) {
        guard stddev >= 0 && stddev.isFinite else {
            throw ConfigurationError("GaussianNoise stddev must be at least 0, got \(stddev)", hint: "0.1 adds noise of about a tenth")
        }
        self.stddev = stddev
        self.seed = seed
        generator = SeededGenerator(seed: seed ?? 0)
    }

    public var typeName: String { "GaussianNoise" }
    public var namePrefix: String { "gaussian_noise" }
    public var parameters: [Parameter] { [] }
    public var configuration: [(key: String, value: PythonValue)] { [("stddev", .float(stddev)), ("seed", seedValue(seed))] }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        guard !inputShape.isEmpty else { throw ShapeError("GaussianNoise needs an input with at least one axis") }
        return inputShape
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
        if seed == nil { self.generator = SeededGenerator(seed: generator.next()) }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        guard training && stddev > 0 else { return input }
        let out = output.tensor(shape: input.shape)
        let x = input.pointer, y = out.pointer
        for i in 0..<input.count { y[i] = x[i] + stddev * generator.normal() }
        return out
    }

    /// The noise does not depend on the input: the gradient passes unchanged.
    public func backward(_ outputGradient: Tensor) -> Tensor { outputGradient }
}

/// The gradient passes straight through the noise; a shared layer only must not draw again.
extension GaussianNoise: ForwardStateKeeping {
    public func savedForwardState() -> Any { () }
    public func restoreForwardState(_ state: Any) {}
}
