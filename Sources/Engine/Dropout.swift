import Basics
/// Keras's `Dropout`: in training, zeroes each value with probability `rate` and scales the
/// rest by 1 / (1 - rate) (inverted dropout); outside training, the identity.
public final class Dropout: Layer {
    public var name = "dropout"
    public let rate: Float
    private var generator: SeededGenerator
    private let fixedSeed: Bool
    private var mask = ReusableBuffer()
    private var output = ReusableBuffer()
    private var inputGradient = ReusableBuffer()
    private var maskedLastForward = false

    /// Without a `seed`, the mask sequence is seeded from the model's generator at `build`.
    public init(rate: Float, seed: UInt64? = nil) throws(ConfigurationError) {
        guard rate >= 0 && rate < 1 else {
            throw ConfigurationError("Dropout rate must be in [0, 1), got \(rate)", hint: "0.5 drops half the values")
        }
        self.rate = rate
        generator = SeededGenerator(seed: seed ?? 0)
        fixedSeed = seed != nil
    }

    public var typeName: String { "Dropout" }
    public var namePrefix: String { "dropout" }
    public var parameters: [Parameter] { [] }
    public var configuration: [(key: String, value: PythonValue)] { [("rate", .float(rate))] }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        guard !inputShape.isEmpty else { throw ShapeError("Dropout needs an input with at least one axis") }
        return inputShape
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
        if !fixedSeed { self.generator = SeededGenerator(seed: generator.next()) }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        maskedLastForward = training && rate > 0
        guard maskedLastForward else { return input }
        let m = mask.tensor(shape: input.shape), out = output.tensor(shape: input.shape)
        let keep = 1 - rate, scale = 1 / keep
        let mp = m.pointer, ip = input.pointer, op = out.pointer
        for i in 0..<input.count {
            let kept = generator.uniform(0, 1) < keep
            mp[i] = kept ? scale : 0
            op[i] = ip[i] * mp[i]
        }
        return out
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard maskedLastForward else { return outputGradient }
        let m = mask.tensor(shape: outputGradient.shape), d = inputGradient.tensor(shape: outputGradient.shape)
        let mp = m.pointer, gp = outputGradient.pointer, dp = d.pointer
        for i in 0..<outputGradient.count { dp[i] = gp[i] * mp[i] }
        return d
    }
}

extension Dropout: ForwardStateKeeping {
    public func savedForwardState() -> Any {
        (masked: maskedLastForward, mask: maskedLastForward ? mask.last?.copy() : nil)
    }

    public func restoreForwardState(_ state: Any) {
        guard let (masked, saved) = state as? (masked: Bool, mask: Tensor?) else { return }
        maskedLastForward = masked
        if let saved { mask.tensor(shape: saved.shape).assign(saved) }
    }
}
