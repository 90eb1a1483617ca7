import Basics

/// Keras's `Activation` layer: applies an activation on its own, softmax over the last axis.
public final class ActivationLayer: Layer {
    public var name = "activation"
    public let activation: Activation
    private var output = ReusableBuffer()
    private var inputGradient = ReusableBuffer()
    private var lastOutput: Tensor?

    public init(_ activation: Activation) { self.activation = activation }

    public var typeName: String { "Activation" }
    public var namePrefix: String { "activation" }
    public var parameters: [Parameter] { [] }
    public var configuration: [(key: String, value: PythonValue)] { [("activation", .string(activation.rawValue))] }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        guard !inputShape.isEmpty else { throw ShapeError("Activation needs an input with at least one axis") }
        return inputShape
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let out = output.tensor(shape: input.shape)
        out.pointer.update(from: input.pointer, count: input.count)
        let columns = input.shape.last ?? 1
        activation.forward(out.pointer, rows: input.count / max(columns, 1), columns: columns)
        lastOutput = out
        return out
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard let out = lastOutput else { preconditionFailure("\(name).backward before forward") }
        let d = inputGradient.tensor(shape: out.shape)
        let columns = out.shape.last ?? 1
        activation.backward(output: out.pointer, gradient: outputGradient.pointer, into: d.pointer,
                            rows: out.count / max(columns, 1), columns: columns)
        return d
    }
}
