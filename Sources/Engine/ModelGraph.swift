import Basics
/// One layer applied in a graph, standing for its output (Keras's `KerasTensor`, what
/// `layer.output` returns). Every node has exactly one input node, except the input node.
///
///     let input = Node.input(shape: [32, 32, 3])
///     var x = try Conv2D(...)(input)         // `Layer.callAsFunction`
///     x = try MaxPooling2D(...)(x)
///     let model = try Model(inputs: input, outputs: x)
public final class Node {
    public let layer: any Layer
    /// The node this one's layer reads from; nil for the input node.
    public let input: Node?
    /// Output shape of one item, without the batch axis: `[30, 30, 32]`.
    public let shape: [Int]
    let graph: Graph
    /// Creation order in its graph; a node is always created after its input, so sorting by
    /// `id` gives a topological order.
    let id: Int

    init(layer: any Layer, input: Node?, shape: [Int], graph: Graph) {
        self.layer = layer
        self.input = input
        self.shape = shape
        self.graph = graph
        id = graph.nextNodeID
        graph.nextNodeID += 1
    }

    /// A new graph's input: an `InputLayer` named `input_layer`. Layers applied downstream
    /// take their initial weights from a generator seeded with `seed`, in the order they are
    /// applied, so a graph built the same way gets the same weights.
    public static func input(shape: [Int], seed: UInt64 = 0) -> Node {
        let graph = Graph(seed: seed)
        let layer = InputLayer(shape: shape)
        graph.assignName(to: layer)
        return Node(layer: layer, input: nil, shape: shape, graph: graph)
    }

    /// The output shape as Keras prints it: `(None, 30, 30, 32)`.
    public var shapeDescription: String { kerasShapeText(shape) }

    /// The input node this node descends from.
    var root: Node {
        var node = self
        while let parent = node.input { node = parent }
        return node
    }
}

/// What one input's graph shares: the names given so far and the generator of initial weights.
///
/// Keras counts names globally per Python session (`conv2d`, `conv2d_1`, ... across every
/// model built). Here the counter belongs to the graph that grows from one input, so a model's
/// names do not depend on what else was built before it; for the lesson (one graph, and a
/// sub-model of it) the names are exactly Keras's.
final class Graph {
    private var counters: [String: Int] = [:]
    private var usedNames: Set<String> = []
    /// Layers named in this graph, held so their identities stay unique while the graph lives.
    private var members: [ObjectIdentifier: any Layer] = [:]
    var generator: SeededGenerator
    var nextNodeID = 0
    private var modelCount = 0

    init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
    }

    func contains(_ layer: any Layer) -> Bool { members[ObjectIdentifier(layer)] != nil }

    /// Gives `layer` the next free Keras name for its prefix unless it was given one of its
    /// own (a name other than empty or its bare prefix); own names must be unique.
    func assignName(to layer: any Layer) {
        if layer.name.isEmpty || layer.name == layer.namePrefix || usedNames.contains(layer.name) {
            var name: String
            repeat {
                let n = counters[layer.namePrefix, default: 0]
                counters[layer.namePrefix] = n + 1
                name = n == 0 ? layer.namePrefix : "\(layer.namePrefix)_\(n)"
            } while usedNames.contains(name)
            layer.name = name
        }
        usedNames.insert(layer.name)
        members[ObjectIdentifier(layer)] = layer
    }

    /// `functional`, `functional_1`, ...: Keras's names for models built with `Model(inputs:outputs:)`.
    func nextModelName() -> String {
        defer { modelCount += 1 }
        return modelCount == 0 ? "functional" : "functional_\(modelCount)"
    }
}

extension Layer {
    /// Applies this layer to `input` in its graph (Keras's `layer(x)`): names the layer, checks
    /// the shape, creates its weights, and returns the node standing for its output.
    public func callAsFunction(_ input: Node) throws(ShapeError) -> Node {
        if input.graph.contains(self) {
            throw ShapeError("layer \(name) is already used in this model",
                             hint: "create a new layer; a layer object appears once in a model")
        }
        if !parameters.isEmpty {
            throw ShapeError("layer \(name) already has weights from another model",
                             hint: "create a new layer for this model")
        }
        let shape = try outputShape(for: input.shape)
        try build(inputShape: input.shape, generator: &input.graph.generator)
        input.graph.assignName(to: self)
        return Node(layer: self, input: input, shape: shape, graph: input.graph)
    }
}
