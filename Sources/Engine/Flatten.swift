import Basics
/// Keras's `Flatten`: (d1, d2, …) -> (d1·d2·…,). Channels-last row-major order, so this is a
/// view, never a copy.
public final class Flatten: ReceptiveFieldLayer {
    public var receptiveField: ReceptiveFieldEffect { .whole }
    public var name = "flatten"
    private var inputShape: [Int] = []

    public init() {}

    public var typeName: String { "Flatten" }
    public var namePrefix: String { "flatten" }
    public var parameters: [Parameter] { [] }
    public var configuration: [(key: String, value: PythonValue)] { [] }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        guard !inputShape.isEmpty else { throw ShapeError("Flatten needs an input with at least one axis") }
        return [inputShape.reduce(1, *)]
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
        self.inputShape = inputShape
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        inputShape = Array(input.shape.dropFirst())
        return input.reshaped([input.shape[0], inputShape.reduce(1, *)])
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        outputGradient.reshaped([outputGradient.shape[0]] + inputShape)
    }
}
