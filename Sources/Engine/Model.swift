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
    /// Every node the outputs depend on, input first, in a topological order: Keras's order,
    /// by depth from the outputs, then by the order a walk from the outputs meets the layers.
    public let nodes: [Node]
    /// The distinct layers in Keras's order of `model.layers`: `layers[0]` is the `InputLayer`,
    /// `layers[1]` the first real layer. A layer applied twice (shared weights) is listed once.
    public let layers: [any Layer]
    /// Each node's depth: the most layers between it and an output (Keras's `_nodes_by_depth`).
    public let nodeDepths: [Int]

    /// Training configuration, set by `compile`.
    public internal(set) var optimizer: (any Optimizer)?
    /// One loss per output, in the order of `outputs`.
    public internal(set) var losses: [Loss] = []
    /// The metrics of each output, in the order of `outputs`.
    public internal(set) var outputMetrics: [[Metric]] = []
    /// Generator of the per-epoch shuffles; continues across `fit` calls, like Keras.
    var shuffleGenerator: SeededGenerator
    /// Reused batch buffers, keyed by batch size (a full size and the last partial one).
    var batchBuffers: [Int: BatchBuffers] = [:]
    /// Runs the graph; holds every node's latest output.
    lazy var runner = GraphRunner(self)
    /// Whether `backward` (as a layer inside another model) must return its input's gradient.
    public var computesInputGradient = true

    /// A model from `inputs` to `outputs`. Every output must descend from `inputs`.
    public init(inputs: Node, outputs: [Node], name: String? = nil) throws(ModelError) {
        guard !outputs.isEmpty else {
            throw ModelError("a model needs at least one output", hint: "pass the last layer's node as outputs")
        }
        guard inputs.inputs.isEmpty else {
            throw ModelError("the inputs of a model must be an input node, not the output of \(inputs.layer.name)",
                             hint: "pass the node made by Node.input(shape:)")
        }
        // Keras's map_graph: a depth-first walk from the outputs (post-order), depths from the
        // outputs, then nodes and layers sorted by decreasing depth and first meeting.
        var finished: Set<ObjectIdentifier> = []
        var postOrder: [Node] = []
        var layerIndex: [ObjectIdentifier: Int] = [:]
        func visit(_ node: Node) {
            guard !finished.contains(ObjectIdentifier(node)) else { return }
            if layerIndex[ObjectIdentifier(node.layer)] == nil { layerIndex[ObjectIdentifier(node.layer)] = layerIndex.count }
            for input in node.inputs { visit(input) }
            finished.insert(ObjectIdentifier(node))
            postOrder.append(node)
        }
        for output in outputs {
            guard output.root === inputs else {
                throw ModelError("output \(output.layer.name) is not computed from this model's input",
                                 hint: "build the output by applying layers to the same input node")
            }
            visit(output)
        }
        var nodeDepth: [ObjectIdentifier: Int] = [:], layerDepth: [ObjectIdentifier: Int] = [:]
        for node in postOrder.reversed() {
            let depth = max(nodeDepth[ObjectIdentifier(node), default: 0], layerDepth[ObjectIdentifier(node.layer), default: 0])
            layerDepth[ObjectIdentifier(node.layer)] = depth
            nodeDepth[ObjectIdentifier(node)] = depth
            for input in node.inputs {
                nodeDepth[ObjectIdentifier(input)] = max(depth + 1, nodeDepth[ObjectIdentifier(input), default: 0])
            }
        }
        func key(_ node: Node) -> (Int, Int, Int) {
            (-nodeDepth[ObjectIdentifier(node)]!, layerIndex[ObjectIdentifier(node.layer)]!, node.id)
        }
        nodes = postOrder.sorted { key($0) < key($1) }
        nodeDepths = nodes.map { nodeDepth[ObjectIdentifier($0)]! }
        var seen: Set<ObjectIdentifier> = []
        var distinct: [any Layer] = []
        for node in nodes where seen.insert(ObjectIdentifier(node.layer)).inserted { distinct.append(node.layer) }
        layers = distinct.sorted {
            (-layerDepth[ObjectIdentifier($0)]!, layerIndex[ObjectIdentifier($0)]!)
                < (-layerDepth[ObjectIdentifier($1)]!, layerIndex[ObjectIdentifier($1)]!)
        }
        self.input = inputs
        self.outputs = outputs
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

    /// Whether Keras would print this model as a plain stack (its summary without "Connected
    /// to"): one node per depth, none with several inputs, no layer applied twice. A chain
    /// with several outputs along it still is one.
    public var isSequentialLike: Bool {
        Set(nodeDepths).count == nodes.count && nodes.allSatisfy { $0.inputs.count <= 1 } && layers.count == nodes.count
    }

    /// The node standing for `layers[index]`'s output: its last use when it is shared (Keras
    /// would ask which; the last is what a chain of uses ends in).
    public func node(ofLayer index: Int) -> Node {
        nodes(of: layers[index]).last ?? nodes[0]
    }

    /// The nodes at which `layer` is applied in this model, in the order of its uses.
    public func nodes(of layer: any Layer) -> [Node] {
        nodes.filter { $0.layer === layer }.sorted { $0.useIndex < $1.useIndex }
    }

    /// Shape of one input item, without the batch axis.
    public var inputShape: [Int] { input.shape }
    /// Shapes of one item of each output, without the batch axis.
    public var outputShapes: [[Int]] { outputs.map(\.shape) }

    /// Index in `layers` of the layer called `name`.
    public func layerIndex(named name: String) -> Int? {
        layers.firstIndex { $0.name == name }
    }

    /// The first loss (the only one for a model with one output); nil before `compile`.
    public var loss: Loss? { losses.first }
    /// The first output's metrics.
    public var metrics: [Metric] { outputMetrics.first ?? [] }

    /// All weights, layer by layer in Keras's order (trainable or not); a shared layer's once.
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }
    /// The weights the optimizer steps.
    public var trainableParameters: [Parameter] { parameters.filter(\.isTrainable) }
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }
    public var trainableParameterCount: Int { layers.reduce(0) { $0 + $1.trainableParameterCount } }

    /// Multiply-adds of one item's forward pass through every node.
    public var multiplyAdds: Int {
        nodes.reduce(0) { sum, node in sum + (node.input.map { node.layer.multiplyAdds(for: $0.shape) } ?? 0) }
    }

    private func checkedLayer(_ index: Int) throws(ModelError) -> any Layer {
        guard layers.indices.contains(index) else {
            throw ModelError("layer index \(index) is out of range",
                             hint: "model \(name) has layers 0...\(layers.count - 1)")
        }
        return layers[index]
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
