import Basics
/// The graph's entry, as Keras's `InputLayer`: it passes the batch through unchanged and has
/// no weights. `Model.layers[0]` is always one, so `layers[1]` is the first real layer.
public final class InputLayer: Layer {
    public var name: String = ""
    public let typeName = "InputLayer"
    public let namePrefix = "input_layer"
    public let parameters: [Parameter] = []
    /// Shape of one item, without the batch axis: `[32, 32, 3]`.
    public let shape: [Int]

    public init(shape: [Int]) {
        self.shape = shape
    }

    public var configuration: [(key: String, value: PythonValue)] {
        [("batch_shape", .tuple([.none] + shape.map { .int($0) }))]
    }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        guard inputShape == shape else {
            throw ShapeError("input of shape \(inputShape) does not match the declared input shape \(shape)")
        }
        return shape
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }
    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {}
    public func forward(_ input: Tensor, training: Bool) -> Tensor { input }
    public func backward(_ outputGradient: Tensor) -> Tensor { outputGradient }
}
