import Basics
/// A layer that joins several inputs into one output (Keras's merge layers: `Add`,
/// `Concatenate`, …). The model's graph calls these methods instead of the single-input ones.
public protocol MergeLayer: Layer {
    /// Output shape for inputs of `shapes`, or why they cannot be joined (both shapes printed).
    func outputShape(forInputs shapes: [[Int]]) throws(ShapeError) -> [Int]
    /// Forward pass over a batch of each input; keeps what `backward` needs.
    func forward(_ inputs: [Tensor], training: Bool) -> Tensor
    /// dLoss/dInput for each input of the last `forward`, in order.
    func backward(_ outputGradient: Tensor) -> [Tensor]
}

extension MergeLayer {
    public var parameters: [Parameter] { [] }
    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }
    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {}
    /// A merge layer on one input passes it through, as Keras's does.
    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        try outputShape(forInputs: [inputShape])
    }
    public func forward(_ input: Tensor, training: Bool) -> Tensor { forward([input], training: training) }
    public func backward(_ outputGradient: Tensor) -> Tensor { backward(outputGradient)[0] }
}

/// How an element-wise merge combines its inputs.
public enum ElementwiseOperation: String, Sendable, CaseIterable {
    case add, subtract, multiply, average, maximum, minimum
}

/// Keras's `Add`, `Subtract`, `Multiply`, `Average`, `Maximum` and `Minimum`: inputs of one
/// shape combined element by element. (Keras also broadcasts axes of size 1; cnnb asks for
/// equal shapes.)
public final class ElementwiseMerge: MergeLayer {
    public var name: String
    public let operation: ElementwiseOperation
    private var inputs: [Tensor] = []
    private var output = ReusableBuffer()
    private var gradients: [ReusableBuffer] = []

    public init(_ operation: ElementwiseOperation) {
        self.operation = operation
        name = operation.rawValue
    }

    public var typeName: String { operation.rawValue.prefix(1).uppercased() + operation.rawValue.dropFirst() }
    public var namePrefix: String { operation.rawValue }
    public var configuration: [(key: String, value: PythonValue)] { [] }

    public func outputShape(forInputs shapes: [[Int]]) throws(ShapeError) -> [Int] {
        guard let first = shapes.first else { throw ShapeError("\(typeName) needs at least one input") }
        if operation == .subtract && shapes.count != 2 {
            throw ShapeError("A `Subtract` layer should be called on exactly 2 inputs. Received: input_shape=[\(shapes.map { kerasShapeText($0) }.joined(separator: ", "))]",
                             hint: "subtract takes two inputs: the first minus the second")
        }
        for shape in shapes.dropFirst() where shape != first {
            throw ShapeError("Inputs have incompatible shapes. Received shapes \(kerasTupleText(first)) and \(kerasTupleText(shape))",
                             hint: "\(typeName) combines inputs of the same shape; a 1x1 convolution or a pooling can make them match")
        }
        return first
    }

    public func forward(_ inputs: [Tensor], training: Bool) -> Tensor {
        precondition(!inputs.isEmpty && inputs.allSatisfy { $0.shape == inputs[0].shape }, "\(name) inputs \(inputs.map(\.shape))")
        self.inputs = inputs
        let out = output.tensor(shape: inputs[0].shape)
        let count = out.count, o = out.pointer
        o.update(from: inputs[0].pointer, count: count)
        for input in inputs.dropFirst() {
            let x = input.pointer
            switch operation {
            case .add, .average: for i in 0..<count { o[i] += x[i] }
            case .subtract: for i in 0..<count { o[i] -= x[i] }
            case .multiply: for i in 0..<count { o[i] *= x[i] }
            case .maximum: for i in 0..<count { o[i] = max(o[i], x[i]) }
            case .minimum: for i in 0..<count { o[i] = min(o[i], x[i]) }
            }
        }
        if operation == .average {
            let scale = 1 / Float(inputs.count)
            for i in 0..<count { o[i] *= scale }
        }
        return out
    }

    public func backward(_ outputGradient: Tensor) -> [Tensor] {
        let n = inputs.count, count = outputGradient.count, g = outputGradient.pointer
        precondition(n > 0 && outputGradient.shape == inputs[0].shape, "\(name).backward before forward")
        if gradients.count < n { gradients += Array(repeating: ReusableBuffer(), count: n - gradients.count) }
        switch operation {
        case .add:
            // Every input receives the output's gradient unchanged; consumers only read it.
            return Array(repeating: outputGradient, count: n)
        case .average:
            let d = gradients[0].tensor(shape: outputGradient.shape)
            let scale = 1 / Float(n)
            for i in 0..<count { d.pointer[i] = g[i] * scale }
            return Array(repeating: d, count: n)
        case .subtract:
            let d = gradients[1].tensor(shape: outputGradient.shape)
            for i in 0..<count { d.pointer[i] = -g[i] }
            return [outputGradient, d]
        case .multiply:
            return (0..<n).map { k in
                let d = gradients[k].tensor(shape: outputGradient.shape)
                d.pointer.update(from: g, count: count)
                for (j, input) in inputs.enumerated() where j != k {
                    let x = input.pointer
                    for i in 0..<count { d.pointer[i] *= x[i] }
                }
                return d
            }
        case .maximum, .minimum:
            // The gradient goes to the input that won (the first one on a tie).
            let ds = (0..<n).map { k in gradients[k].tensor(shape: outputGradient.shape) }
            for d in ds { d.fill(0) }
            let pointers = inputs.map(\.pointer)
            let wantsMax = operation == .maximum
            for i in 0..<count {
                var best = 0, value = pointers[0][i]
                for k in 1..<n where wantsMax ? pointers[k][i] > value : pointers[k][i] < value {
                    best = k
                    value = pointers[k][i]
                }
                ds[best].pointer[i] = g[i]
            }
            return ds
        }
    }
}

/// Keras's `Concatenate(axis)`: inputs joined along one axis (the last by default); every
/// other axis must match.
public final class Concatenate: MergeLayer {
    public var name = "concatenate"
    /// Keras's axis, counting the batch axis as 0; negative counts from the end.
    public let axis: Int
    private var inputShapes: [[Int]] = []
    private var output = ReusableBuffer()
    private var gradients: [ReusableBuffer] = []

    public init(axis: Int = -1) {
        self.axis = axis
    }

    public var typeName: String { "Concatenate" }
    public var namePrefix: String { "concatenate" }
    public var configuration: [(key: String, value: PythonValue)] { [("axis", .int(axis))] }

    /// The axis within one item (without the batch axis) for items of `rank` axes.
    private func itemAxis(rank: Int) throws(ShapeError) -> Int {
        let resolved = axis < 0 ? rank + 1 + axis : axis
        guard resolved >= 1 && resolved <= rank else {
            throw ShapeError("Concatenate axis \(axis) is outside the item axes of inputs of rank \(rank + 1)",
                             hint: "use an axis from 1 to \(rank) or from -1 to -\(rank); axis 0 is the batch")
        }
        return resolved - 1
    }

    public func outputShape(forInputs shapes: [[Int]]) throws(ShapeError) -> [Int] {
        guard let first = shapes.first else { throw ShapeError("Concatenate needs at least one input") }
        let a = try itemAxis(rank: first.count)
        var out = first
        for shape in shapes.dropFirst() {
            guard shape.count == first.count,
                  shape.indices.allSatisfy({ $0 == a || shape[$0] == first[$0] }) else {
                throw ShapeError("A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. Received: input_shape=[\(shapes.map { kerasShapeText($0) }.joined(separator: ", "))]",
                                 hint: "the inputs differ outside axis \(axis); pool or pad the larger one so they match")
            }
            out[a] += shape[a]
        }
        return out
    }

    /// Items before the axis, and the element count each input contributes per outer index.
    private func layout(_ shapes: [[Int]]) -> (outer: Int, chunks: [Int]) {
        let a = (try? itemAxis(rank: shapes[0].count - 1)) ?? 0
        let outer = shapes[0][0...a].reduce(1, *)
        return (outer, shapes.map { $0[(a + 1)...].reduce(1, *) })
    }

    public func forward(_ inputs: [Tensor], training: Bool) -> Tensor {
        inputShapes = inputs.map(\.shape)
        let itemShape = (try? outputShape(forInputs: inputShapes.map { Array($0.dropFirst()) })) ?? []
        let out = output.tensor(shape: [inputs[0].shape[0]] + itemShape)
        let (outer, chunks) = layout(inputShapes)
        let row = chunks.reduce(0, +)
        var offset = 0
        for (input, chunk) in zip(inputs, chunks) {
            for o in 0..<outer {
                (out.pointer + o * row + offset).update(from: input.pointer + o * chunk, count: chunk)
            }
            offset += chunk
        }
        return out
    }

    public func backward(_ outputGradient: Tensor) -> [Tensor] {
        let (outer, chunks) = layout(inputShapes)
        let row = chunks.reduce(0, +)
        if gradients.count < inputShapes.count {
            gradients += Array(repeating: ReusableBuffer(), count: inputShapes.count - gradients.count)
        }
        var offset = 0
        return inputShapes.enumerated().map { k, shape in
            let d = gradients[k].tensor(shape: shape), chunk = chunks[k]
            for o in 0..<outer {
                (d.pointer + o * chunk).update(from: outputGradient.pointer + o * row + offset, count: chunk)
            }
            offset += chunk
            return d
        }
    }
}
