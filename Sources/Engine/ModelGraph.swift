import Basics
/// One layer applied in a graph, standing for its output (Keras's `KerasTensor`, what
/// `layer.output` returns). The input node has no inputs; a merge layer's node has several.
///
///     let input = Node.input(shape: [32, 32, 3])
///     let stem = try Conv2D(...)(input)        // `Layer.callAsFunction`
///     let branch = try Conv2D(...)(stem)
///     let sum = try Add()([stem, branch])      // `MergeLayer.callAsFunction`
///     let model = try Model(inputs: input, outputs: sum)
public final class Node {
    public let layer: any Layer
    /// The nodes this one's layer reads from, in order; empty for the input node.
    public let inputs: [Node]
    /// Output shape of one item, without the batch axis: `[30, 30, 32]`.
    public let shape: [Int]
    let graph: Graph
    /// Creation order in its graph; a node is always created after its inputs.
    let id: Int
    /// Which application of `layer` this is (Keras's node index, `conv2d[1][0]`): 0 unless the
    /// layer is shared.
    public let useIndex: Int

    init(layer: any Layer, inputs: [Node], shape: [Int], graph: Graph) {
        self.layer = layer
        self.inputs = inputs
        self.shape = shape
        self.graph = graph
        id = graph.nextNodeID
        graph.nextNodeID += 1
        useIndex = graph.recordUse(of: layer)
    }

    /// A new graph's input: an `InputLayer` named `input_layer`. Layers applied downstream
    /// take their initial weights from a generator seeded with `seed`, in the order they are
    /// applied, so a graph built the same way gets the same weights.
    public static func input(shape: [Int], seed: UInt64 = 0) -> Node {
        let graph = Graph(seed: seed)
        let layer = InputLayer(shape: shape)
        graph.assignName(to: layer, inputShapes: [shape])
        return Node(layer: layer, inputs: [], shape: shape, graph: graph)
    }

    /// The first input node; nil for the input node.
    public var input: Node? { inputs.first }

    /// The output shape as Keras prints it: `(None, 30, 30, 32)`.
    public var shapeDescription: String { kerasShapeText(shape) }

    /// The input node this node descends from.
    var root: Node {
        var node = self
        while let parent = node.inputs.first { node = parent }
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
    /// Layers applied in this graph with the input shapes they were built for, held so their
    /// identities stay unique while the graph lives.
    private var members: [ObjectIdentifier: (layer: any Layer, inputShapes: [[Int]])] = [:]
    private var uses: [ObjectIdentifier: Int] = [:]
    var generator: SeededGenerator
    var nextNodeID = 0
    private var modelCount = 0

    init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
    }

    /// The input shapes `layer` was built for in this graph; nil when it is not used here.
    func builtShapes(of layer: any Layer) -> [[Int]]? { members[ObjectIdentifier(layer)]?.inputShapes }

    /// Counts one more application of `layer`, returning its index.
    func recordUse(of layer: any Layer) -> Int {
        let id = ObjectIdentifier(layer)
        defer { uses[id, default: 0] += 1 }
        return uses[id, default: 0]
    }

    /// Gives `layer` the next free Keras name for its prefix unless it was given one of its
    /// own (a name other than empty or its bare prefix); own names must be unique.
    func assignName(to layer: any Layer, inputShapes: [[Int]]) {
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
        members[ObjectIdentifier(layer)] = (layer, inputShapes)
    }

    /// `functional`, `functional_1`, ...: Keras's names for models built with `Model(inputs:outputs:)`.
    func nextModelName() -> String {
        defer { modelCount += 1 }
        return modelCount == 0 ? "functional" : "functional_\(modelCount)"
    }
}

extension Layer {
    /// Applies this layer to `input` in its graph (Keras's `layer(x)`): names the layer, checks
    /// the shape, creates its weights, and returns the node standing for its output. Applying
    /// a layer again shares its weights, as in Keras.
    public func callAsFunction(_ input: Node) throws(ShapeError) -> Node {
        try apply(to: [input])
    }

    /// Applies this layer to several nodes: a merge layer joins them; any other layer takes one.
    public func callAsFunction(_ inputs: [Node]) throws(ShapeError) -> Node {
        try apply(to: inputs)
    }

    private func apply(to inputs: [Node]) throws(ShapeError) -> Node {
        guard let graph = inputs.first?.graph else {
            throw ShapeError("layer \(name) needs at least one input")
        }
        guard inputs.allSatisfy({ $0.graph === graph }) else {
            throw ShapeError("the inputs of \(name) come from different model inputs",
                             hint: "build every branch from the same input node")
        }
        let shapes = inputs.map(\.shape)
        let merge = self as? MergeLayer
        if merge == nil && inputs.count != 1 {
            throw ShapeError("\(typeName) takes one input, it was given \(inputs.count)",
                             hint: "join branches with a merge layer such as Add or Concatenate first")
        }
        let shape: [Int]
        if let merge { shape = try merge.outputShape(forInputs: shapes) } else { shape = try outputShape(for: shapes[0]) }
        if let built = graph.builtShapes(of: self) {
            // A second application shares the weights, which fit the first input shapes only.
            guard built == shapes else {
                throw ShapeError("layer \(name) was built for input \(built.map { kerasShapeText($0) }.joined(separator: ", ")), it is now applied to \(shapes.map { kerasShapeText($0) }.joined(separator: ", "))",
                                 hint: "a shared layer takes inputs of the shape it was first applied to; create a new layer for this one")
            }
        } else {
            if let model = self as? Model {
                guard shapes == [model.inputShape] else {
                    throw ShapeError("model \(model.name) takes inputs of shape \(kerasShapeText(model.inputShape)), it is applied to \(shapes.map { kerasShapeText($0) }.joined(separator: ", "))")
                }
            } else if !parameters.isEmpty {
                throw ShapeError("layer \(name) already has weights from another model",
                                 hint: "create a new layer for this model, or use the whole model as a layer")
            } else {
                try build(inputShape: shapes[0], generator: &graph.generator)
            }
            graph.assignName(to: self, inputShapes: shapes)
        }
        return Node(layer: self, inputs: inputs, shape: shape, graph: graph)
    }
}
