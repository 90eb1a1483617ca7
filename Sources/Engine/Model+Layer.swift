import Basics
/// A model is a layer (Keras's model-as-layer): applied to a node of another graph it runs its
/// whole graph there, one row of type `Functional` in the summary with every weight it holds.
/// Its layers stay its own, so training the outer model trains (or, frozen, keeps) them.
extension Model: Layer, InputGradientOptional, ScratchMemoryLayer {
    public var typeName: String { "Functional" }
    public var namePrefix: String { "functional" }
    public var configuration: [(key: String, value: PythonValue)] { [] }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        guard inputShape == self.inputShape else {
            throw ShapeError("model \(name) takes inputs of shape \(kerasShapeText(self.inputShape)), not \(kerasShapeText(inputShape))")
        }
        guard outputs.count == 1 else {
            throw ShapeError("model \(name) has \(outputs.count) outputs; a model used as a layer needs one",
                             hint: "make a model with one output of it first")
        }
        return outputs[0].shape
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { multiplyAdds }

    /// Every layer's scratch on the shape it is given in this model: each layer keeps its own,
    /// a shared layer one (the largest of its uses).
    public func scratchCount(for inputShape: [Int]) -> Double {
        var largest: [ObjectIdentifier: Double] = [:]
        for node in nodes {
            guard let layer = node.layer as? ScratchMemoryLayer, let input = node.input else { continue }
            largest[ObjectIdentifier(layer), default: 0] = max(largest[ObjectIdentifier(layer)] ?? 0, layer.scratchCount(for: input.shape))
        }
        return largest.values.reduce(0, +)
    }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        runner.forward(input, training: training)[0]
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let needs = runner.gradientPlan(inputGradient: computesInputGradient)
        let gradient = runner.skippingUnusedInputGradients(needs) {
            runner.backward(seeds: [outputGradient], logits: [false], needs: needs)
        }
        // Without an input gradient the caller reads nothing; a zero tensor keeps the shape.
        return gradient ?? Tensor(zeros: [outputGradient.shape[0]] + inputShape)
    }
}

/// A model used as a layer at several nodes goes backward for each with that call's input and
/// its inner Dropout masks and batch statistics, replayed rather than drawn again.
extension Model: ForwardStateKeeping {
    public func savedForwardState() -> Any { (input: runner.values[0].copy(), calls: runner.savedCalls()) }

    public func restoreForwardState(_ state: Any) {
        guard let (input, calls) = state as? (input: Tensor, calls: [Int: (state: Any, output: Tensor)]) else { return }
        runner.replay(input, calls)
    }
}

extension Model {
    /// Every weight with its path, layer by layer in Keras's order, a shared layer's once:
    /// `conv2d/kernel`; a model used as a layer gives its weights under its name,
    /// `base/conv2d/kernel`. Weight files and `.npz` arrays are named by these paths.
    public var weightPaths: [(path: String, parameter: Parameter)] {
        layers.flatMap { layer -> [(path: String, parameter: Parameter)] in
            if let nested = layer as? Model {
                return nested.weightPaths.map { (path: "\(nested.name)/\($0.path)", parameter: $0.parameter) }
            }
            return layer.parameters.map { (path: "\(layer.name)/\($0.name)", parameter: $0) }
        }
    }
}
