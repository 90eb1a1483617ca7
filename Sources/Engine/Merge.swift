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

/// Keras's `Add`, `Subtract`, `Multiply`, `Average`, `Maximum` and `Minimum`: inputs combined
/// element by element, broadcast as Keras broadcasts them: item shapes aligned from the last
/// axis, an axis of size 1 (or missing in front) repeated to the other's size.
public final class ElementwiseMerge: MergeLayer {
    public var name: String
    public let operation: ElementwiseOperation
    /// The inputs of the last `forward`, each spread to the output's shape.
    private var inputs: [Tensor] = []
    /// Per input of the last `forward`: its shape, and for one that was broadcast, the place in
    /// its item of each element of an output item.
    private var inputShapes: [[Int]] = []
    private var spreads: [[Int]?] = []
    private var output = ReusableBuffer()
    private var spread: [ReusableBuffer] = []
    private var gradients: [ReusableBuffer] = []
    private var reduced: [ReusableBuffer] = []

    public init(_ operation: ElementwiseOperation) {
        self.operation = operation
        name = operation.rawValue
    }

    public var typeName: String { operation.rawValue.prefix(1).uppercased() + operation.rawValue.dropFirst() }
    public var namePrefix: String { operation.rawValue }
    public var configuration: [(key: String, value: PythonValue)] { [] }

    /// Keras's `_compute_elemwise_op_output_shape`: the item shape of an element-wise
    /// operation on items of `shape1` and `shape2`.
    static func broadcastShape(_ shape1: [Int], _ shape2: [Int], typeName: String) throws(ShapeError) -> [Int] {
        if shape1.count < shape2.count { return try broadcastShape(shape2, shape1, typeName: typeName) }
        var out = Array(shape1.prefix(shape1.count - shape2.count))
        for (i, j) in zip(shape1.suffix(shape2.count), shape2) {
            guard i == j || i == 1 || j == 1 else {
                throw ShapeError("Inputs have incompatible shapes. Received shapes \(kerasTupleText(shape1)) and \(kerasTupleText(shape2))",
                                 hint: "\(typeName) combines inputs of the same shape, repeating an axis of size 1 (or missing in front); "
                                     + "a 1x1 convolution or a pooling can make them match")
            }
            out.append(i == 1 ? j : i)
        }
        return out
    }

    public func outputShape(forInputs shapes: [[Int]]) throws(ShapeError) -> [Int] {
        guard let first = shapes.first else { throw ShapeError("\(typeName) needs at least one input") }
        if operation == .subtract && shapes.count != 2 {
            throw ShapeError("A `Subtract` layer should be called on exactly 2 inputs. Received: input_shape=[\(shapes.map { kerasShapeText($0) }.joined(separator: ", "))]",
                             hint: "subtract takes two inputs: the first minus the second")
        }
        var out = first
        for shape in shapes.dropFirst() { out = try Self.broadcastShape(out, shape, typeName: typeName) }
        return out
    }

    /// For items of `shape` broadcast to `out`: the index in an input item of each element of
    /// an output item (the input's shape padded with 1s in front, as Keras expands it at axis 1).
    static func spreadIndex(_ shape: [Int], to out: [Int]) -> [Int] {
        let padded = Array(repeating: 1, count: out.count - shape.count) + shape
        var strides = Array(repeating: 0, count: out.count)
        var step = 1
        for d in stride(from: out.count - 1, through: 0, by: -1) {
            strides[d] = padded[d] == 1 ? 0 : step
            step *= padded[d]
        }
        var index = [Int](repeating: 0, count: out.reduce(1, *))
        var position = Array(repeating: 0, count: out.count)
        var source = 0
        for i in index.indices {
            index[i] = source
            // Odometer over the output's axes, last fastest.
            var d = out.count - 1
            while d >= 0 {
                position[d] += 1
                source += strides[d]
                if position[d] < out[d] { break }
                source -= strides[d] * position[d]
                position[d] = 0
                d -= 1
            }
        }
        return index
    }

    public func forward(_ inputs: [Tensor], training: Bool) -> Tensor {
        let shapes = inputs.map(\.shape)
        guard let batch = shapes.first?.first, shapes.allSatisfy({ $0.first == batch }),
              let itemShape = try? outputShape(forInputs: shapes.map { Array($0.dropFirst()) }) else {
            preconditionFailure("\(name) inputs \(shapes)")
        }
        let outShape = [batch] + itemShape
        if shapes != inputShapes {
            inputShapes = shapes
            spreads = shapes.map { $0 == outShape ? nil : Self.spreadIndex(Array($0.dropFirst()), to: itemShape) }
        }
        if spread.count < inputs.count { spread += Array(repeating: ReusableBuffer(), count: inputs.count - spread.count) }
        // A broadcast input is spread to the output's shape once, then combined as the others.
        let outItem = itemShape.reduce(1, *)
        self.inputs = inputs.enumerated().map { k, input in
            guard let index = spreads[k] else { return input }
            let wide = spread[k].tensor(shape: outShape)
            let inItem = input.count / max(batch, 1)
            for b in 0..<batch {
                let from = input.pointer + b * inItem, to = wide.pointer + b * outItem
                for i in 0..<outItem { to[i] = from[index[i]] }
            }
            return wide
        }
        let out = output.tensor(shape: outShape)
        let count = out.count, o = out.pointer
        o.update(from: self.inputs[0].pointer, count: count)
        for input in self.inputs.dropFirst() {
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
            let scale = 1 / Float(self.inputs.count)
            for i in 0..<count { o[i] *= scale }
        }
        return out
    }

    /// dLoss/dInput for each input: the gradient with respect to each spread input, summed back
    /// over the places a broadcast input was repeated to.
    public func backward(_ outputGradient: Tensor) -> [Tensor] {
        let full = spreadGradients(outputGradient)
        guard spreads.contains(where: { $0 != nil }) else { return full }
        if reduced.count < full.count { reduced += Array(repeating: ReusableBuffer(), count: full.count - reduced.count) }
        let batch = outputGradient.shape[0], outItem = outputGradient.count / max(batch, 1)
        return full.enumerated().map { k, g in
            guard let index = spreads[k] else { return g }
            let d = reduced[k].tensor(shape: inputShapes[k])
            d.fill(0)
            let inItem = d.count / max(batch, 1)
            for b in 0..<batch {
                let from = g.pointer + b * outItem, to = d.pointer + b * inItem
                for i in 0..<outItem { to[index[i]] += from[i] }
            }
            return d
        }
    }

    /// The gradient with respect to each input as spread to the output's shape.
    private func spreadGradients(_ outputGradient: Tensor) -> [Tensor] {
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
