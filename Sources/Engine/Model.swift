import Basics
/// A network: the layers between one input node and one or more output nodes, in Keras's
/// functional style. Models built from the same graph share layer objects and so weights:
/// `Model(inputs: model.input, outputs: [model.nodes[1], model.nodes[3]])` reads the trained
/// convolutions' activations.
public final class Model {
    /// Keras's model name: `functional`, then `functional_1`, ... in the same graph.
    public var name: String
    public let input: Node
    public let outputs: [Node]
    /// Every node the outputs depend on, input first, in topological order (Keras's order of
    /// `model.layers`).
    public let nodes: [Node]
    /// `nodes`' layers: `layers[0]` is the `InputLayer`, `layers[1]` the first real layer.
    public var layers: [any Layer] { nodes.map(\.layer) }

    /// Training configuration, set by `compile`.
    public internal(set) var optimizer: (any Optimizer)?
    public internal(set) var loss: Loss?
    public internal(set) var metrics: [Metric] = []
    /// Generator of the per-epoch shuffles; continues across `fit` calls, like Keras.
    var shuffleGenerator: SeededGenerator
    /// Reused batch buffers, keyed by batch size (a full size and the last partial one).
    var batchBuffers: [Int: BatchBuffers] = [:]

    /// A model from `inputs` to `outputs`. Every output must descend from `inputs`.
    public init(inputs: Node, outputs: [Node], name: String? = nil) throws(ModelError) {
        guard !outputs.isEmpty else {
            throw ModelError("a model needs at least one output", hint: "pass the last layer's node as outputs")
        }
        guard inputs.input == nil else {
            throw ModelError("the inputs of a model must be an input node, not the output of \(inputs.layer.name)",
                             hint: "pass the node made by Node.input(shape:)")
        }
        var byID: [Int: Node] = [:]
        for output in outputs {
            guard output.root === inputs else {
                throw ModelError("output \(output.layer.name) is not computed from this model's input",
                                 hint: "build the output by applying layers to the same input node")
            }
            var node: Node? = output
            while let current = node, byID[current.id] == nil {
                byID[current.id] = current
                node = current.input
            }
        }
        self.input = inputs
        self.outputs = outputs
        nodes = byID.values.sorted { $0.id < $1.id }
        self.name = name ?? inputs.graph.nextModelName()
        shuffleGenerator = SeededGenerator(seed: inputs.graph.generator.next())
    }

    public convenience init(inputs: Node, outputs: Node, name: String? = nil) throws(ModelError) {
        try self.init(inputs: inputs, outputs: [outputs], name: name)
    }

    /// A chain of `layers` on an input of `inputShape` (Keras's `Sequential`, built as a
    /// functional model so it is named, summarised and sliced the same way).
    public static func sequential(inputShape: [Int], layers: [any Layer], seed: UInt64 = 0,
                                  name: String? = nil) throws(ModelError) -> Model {
        var node = Node.input(shape: inputShape, seed: seed)
        for layer in layers {
            do {
                node = try layer(node)
            } catch {
                throw ModelError("layer \(layer.typeName) cannot follow an output of shape \(kerasShapeText(node.shape)): \(error.message)",
                                 hint: error.hint)
            }
        }
        return try Model(inputs: node.root, outputs: [node], name: name)
    }

    /// Shape of one input item, without the batch axis.
    public var inputShape: [Int] { input.shape }
    /// Shapes of one item of each output, without the batch axis.
    public var outputShapes: [[Int]] { outputs.map(\.shape) }

    /// Index in `layers` of the layer called `name`.
    public func layerIndex(named name: String) -> Int? {
        nodes.firstIndex { $0.layer.name == name }
    }

    /// All weights, layer by layer in Keras's order (trainable or not).
    public var parameters: [Parameter] { nodes.flatMap(\.layer.parameters) }
    /// The weights the optimizer steps.
    public var trainableParameters: [Parameter] { parameters.filter(\.isTrainable) }
    public var parameterCount: Int { nodes.reduce(0) { $0 + $1.layer.parameterCount } }
    public var trainableParameterCount: Int { nodes.reduce(0) { $0 + $1.layer.trainableParameterCount } }

    /// Multiply-adds of one item's forward pass through every layer.
    public var multiplyAdds: Int {
        nodes.reduce(0) { sum, node in sum + (node.input.map { node.layer.multiplyAdds(for: $0.shape) } ?? 0) }
    }

    private func checkedLayer(_ index: Int) throws(ModelError) -> any Layer {
        guard nodes.indices.contains(index) else {
            throw ModelError("layer index \(index) is out of range",
                             hint: "model \(name) has layers 0...\(nodes.count - 1)")
        }
        return nodes[index].layer
    }

    /// Copies of layer `index`'s weights in Keras's order and layout (`get_weights()`):
    /// Conv2D gives kernel (kh, kw, in, out) then bias.
    public func weights(ofLayer index: Int) throws(ModelError) -> [Tensor] {
        try checkedLayer(index).parameters.map { $0.value.copy() }
    }

    /// Replaces layer `index`'s weights (`set_weights`). Every shape is checked before any
    /// weight changes.
    public func setWeights(_ values: [Tensor], ofLayer index: Int) throws(ModelError) {
        let layer = try checkedLayer(index)
        let parameters = layer.parameters
        guard values.count == parameters.count else {
            throw ModelError("layer \(layer.name) has \(parameters.count) weights, \(values.count) were given",
                             hint: "pass " + (parameters.isEmpty ? "no weights" : parameters.map(\.name).joined(separator: " and ")))
        }
        for (parameter, value) in zip(parameters, values) where parameter.value.shape != value.shape {
            throw ModelError("weight \(layer.name)/\(parameter.name) has shape \(kerasTupleText(parameter.value.shape)), the value given has shape \(kerasTupleText(value.shape))",
                             hint: "give a value of shape \(kerasTupleText(parameter.value.shape))")
        }
        for (parameter, value) in zip(parameters, values) { parameter.value.assign(value) }
    }
}
