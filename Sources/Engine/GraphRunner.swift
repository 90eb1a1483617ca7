/// Runs a model's graph over a batch: forward through its nodes in topological order,
/// backward in reverse, with the gradients of a node that feeds several consumers summed.
///
/// A layer applied at several nodes (shared weights) keeps the state of its latest forward
/// only, so its output is copied at each node and, going backward, its forward is run again
/// on that node's input before its backward (deterministic layers give the same values). A
/// layer whose forward draws random numbers or updates statistics (`ForwardStateKeeping`) is
/// not run again: each node's call keeps its state, handed back before that node's backward;
/// a model used as a layer is replayed with its inner calls' states.
///
/// Going forward, a node whose only reader is the next node can hand that node each block of
/// items as soon as it is written (`BlockwiseProducer` into `ItemwiseForward`: max pooling
/// reads a convolution's output while it is still in cache). Going backward, such a reader can
/// apply the node's relu derivative on its way (`InputReluMasking`), and the node goes back from
/// its pre-activation gradient (`ReluEnding`): one pass over the feature map fewer. And the
/// reader's backward pass can run block by block inside the node's (`ItemwiseBackward` into
/// `BlockwiseGradientConsumer`), each block just before the node reads it.
final class GraphRunner {
    let nodes: [Node]
    /// Per node, the positions of its inputs in `nodes`.
    let inputIndices: [[Int]]
    /// Positions in `nodes` of the model's outputs.
    let outputIndices: [Int]
    private let merges: [(any MergeLayer)?]
    private let softmaxLayers: [(any SoftmaxOutputLayer)?]
    /// Whether the node's layer appears at other nodes too.
    let isShared: [Bool]
    /// Uses of each node's output: by other nodes, plus one when it is a model output.
    let consumerCounts: [Int]
    /// Every node's output of the last forward pass.
    private(set) var values: [Tensor]
    private var copies: [ReusableBuffer]
    private var sums: [ReusableBuffer]
    private var gradients: [Tensor?]
    private var ownsGradient: [Bool]
    private var fused: [Bool]
    /// Per node, whether its gradient has been carried through its relu by the node reading it.
    private var reluMasked: [Bool]
    /// Per node, the reader whose backward pass writes the node's gradient block by block, not
    /// yet run: the node's own backward pass calls it.
    private var pendingWriters: [(any ItemwiseBackward)?]
    /// The node each shared layer last ran forward for.
    private var lastRun: [ObjectIdentifier: Int] = [:]
    /// Per node of a shared layer that keeps its forward's state: that state, saved in training.
    private let keepers: [(any ForwardStateKeeping)?]
    private var states: [Any?]
    private var training = false
    /// Per node, the node after it whose forward pass takes each block of this one's output as
    /// it is written (`BlockwiseProducer` into `ItemwiseForward`): its only reader, neither shared.
    private let blockFollowers: [BlockFollower?]
    /// Per node, the layer that ends in relu when it may go back from its pre-activation gradient.
    private let reluEndings: [(any ReluEnding)?]
    /// Per node, itself when it can carry the node before it back through that node's relu: its
    /// only reader, neither shared.
    private let reluMaskers: [(any InputReluMasking)?]
    /// Per node, the layer that can have its gradient written block by block as it reads it,
    /// when its only reader follows it and neither is shared; and per node, the layer that can
    /// write its input gradient so, when the node before it is such a layer.
    private let blockwiseConsumers: [(any BlockwiseGradientConsumer)?]
    private let itemwiseWriters: [(any ItemwiseBackward)?]

    private struct BlockFollower {
        let producer: any BlockwiseProducer
        let follower: any ItemwiseForward
        /// The follower's node.
        let node: Int
    }

    init(_ model: Model) {
        nodes = model.nodes
        let position = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { (ObjectIdentifier($0.element), $0.offset) })
        inputIndices = nodes.map { $0.inputs.map { position[ObjectIdentifier($0)]! } }
        outputIndices = model.outputs.map { position[ObjectIdentifier($0)]! }
        merges = nodes.map { $0.layer as? any MergeLayer }
        softmaxLayers = nodes.map { $0.layer as? any SoftmaxOutputLayer }
        var uses: [ObjectIdentifier: Int] = [:]
        for node in nodes { uses[ObjectIdentifier(node.layer), default: 0] += 1 }
        isShared = nodes.map { uses[ObjectIdentifier($0.layer)]! > 1 }
        var counts = [Int](repeating: 0, count: nodes.count)
        for inputs in inputIndices { for j in inputs { counts[j] += 1 } }
        for i in outputIndices { counts[i] += 1 }
        consumerCounts = counts
        let shared = isShared
        keepers = nodes.enumerated().map { shared[$0.offset] ? $0.element.layer as? any ForwardStateKeeping : nil }
        states = Array(repeating: nil, count: nodes.count)
        values = Array(repeating: Tensor(zeros: [0]), count: nodes.count)
        copies = Array(repeating: ReusableBuffer(), count: nodes.count)
        sums = Array(repeating: ReusableBuffer(), count: nodes.count)
        gradients = Array(repeating: nil, count: nodes.count)
        ownsGradient = Array(repeating: false, count: nodes.count)
        fused = Array(repeating: false, count: nodes.count)
        reluMasked = Array(repeating: false, count: nodes.count)
        let inputs = inputIndices, layers = nodes.map(\.layer)
        // Whether node i's only reader is node i + 1, and neither layer is shared: their passes may fuse.
        let soleReaderFollows = layers.indices.map { i in
            i > 0 && i + 1 < layers.count && counts[i] == 1 && inputs[i + 1] == [i] && !shared[i] && !shared[i + 1]
        }
        blockFollowers = layers.indices.map { i in
            guard soleReaderFollows[i], let producer = layers[i] as? any BlockwiseProducer,
                  let follower = layers[i + 1] as? any ItemwiseForward
            else { return nil }
            return BlockFollower(producer: producer, follower: follower, node: i + 1)
        }
        reluEndings = layers.map { $0 as? any ReluEnding }
        let endings = reluEndings
        reluMaskers = layers.indices.map { j in
            guard j > 1, soleReaderFollows[j - 1], endings[j - 1] != nil else { return nil }
            return layers[j] as? any InputReluMasking
        }
        let consumers = layers.indices.map { i in soleReaderFollows[i] ? layers[i] as? any BlockwiseGradientConsumer : nil }
        blockwiseConsumers = consumers
        itemwiseWriters = layers.indices.map { j in j > 1 && consumers[j - 1] != nil ? layers[j] as? any ItemwiseBackward : nil }
        pendingWriters = Array(repeating: nil, count: nodes.count)
    }

    /// The model's outputs for a batch of inputs, in the order of `outputs`.
    func forward(_ input: Tensor, training: Bool) -> [Tensor] {
        self.training = training
        values[0] = input
        var i = 1
        while i < nodes.count {
            if let pair = blockFollowers[i] {
                runWithFollower(i, pair)
                i = pair.node + 1
            } else {
                values[i] = run(i)
                i += 1
            }
        }
        return outputIndices.map { values[$0] }
    }

    /// Node `i` forward, the node after it (`pair`) taking each block of its output as it is written.
    private func runWithFollower(_ i: Int, _ pair: BlockFollower) {
        let follower = pair.follower
        let input = values[inputIndices[i][0]]
        let followerOutput = follower.prepareForward(inputShape: [input.shape[0]] + nodes[i].shape, training: training)
        let out = pair.producer.forward(input, training: training) { output, items in follower.forward(items: items, of: output) }
        follower.finishForward(out)
        values[i] = out
        values[pair.node] = followerOutput
    }

    private func run(_ i: Int) -> Tensor {
        let layer = nodes[i].layer
        let inputs = inputIndices[i]
        let out = merges[i].map { $0.forward(inputs.map { values[$0] }, training: training) }
            ?? layer.forward(values[inputs[0]], training: training)
        guard isShared[i] else { return out }
        lastRun[ObjectIdentifier(layer)] = i
        if training, let keeper = keepers[i] { states[i] = keeper.savedForwardState() }
        let copy = copies[i].tensor(shape: out.shape)
        copy.assign(out)
        return copy
    }

    /// Each call of the last forward pass that cannot be repeated (a `ForwardStateKeeping`
    /// layer's, by node): its state and a copy of its output. With the pass's input this is
    /// what a model used as a layer at several nodes needs to go backward for one of them.
    func savedCalls() -> [Int: (state: Any, output: Tensor)] {
        var calls: [Int: (state: Any, output: Tensor)] = [:]
        for i in 1..<nodes.count {
            guard let keeper = nodes[i].layer as? any ForwardStateKeeping else { continue }
            calls[i] = (states[i] ?? keeper.savedForwardState(), values[i].copy())
        }
        return calls
    }

    /// The forward pass on `input` again, each call of `calls` replayed (its state handed
    /// back, its output reused) instead of drawing or updating afresh.
    func replay(_ input: Tensor, _ calls: [Int: (state: Any, output: Tensor)]) {
        training = true
        values[0] = input
        for i in 1..<nodes.count {
            guard let (state, output) = calls[i], let keeper = nodes[i].layer as? any ForwardStateKeeping else {
                values[i] = run(i)
                continue
            }
            keeper.restoreForwardState(state)
            if isShared[i] {
                lastRun[ObjectIdentifier(keeper)] = i
                states[i] = state
            }
            values[i] = output
        }
    }

    /// Which nodes must run backward: those with trainable weights and everything downstream
    /// of them; the input node when `inputGradient` is asked for.
    func gradientPlan(inputGradient: Bool) -> [Bool] {
        var needs = [Bool](repeating: false, count: nodes.count)
        needs[0] = inputGradient
        for i in 1..<nodes.count {
            needs[i] = nodes[i].layer.parameters.contains(where: \.isTrainable) || inputIndices[i].contains { needs[$0] }
        }
        return needs
    }

    /// Runs `body` with every layer whose inputs need no gradient skipping it (a first layer's
    /// input gradient, which nobody reads, is its largest GEMM).
    func skippingUnusedInputGradients<T, E: Error>(_ needs: [Bool], _ body: () throws(E) -> T) throws(E) -> T {
        var wanted: [ObjectIdentifier: (layer: any InputGradientOptional, wanted: Bool)] = [:]
        for (i, node) in nodes.enumerated().dropFirst() {
            guard let layer = node.layer as? any InputGradientOptional else { continue }
            let id = ObjectIdentifier(layer)
            let wants = inputIndices[i].contains { needs[$0] }
            wanted[id] = (layer, (wanted[id]?.wanted ?? false) || wants)
        }
        let saved = wanted.mapValues { $0.layer.computesInputGradient }
        for (_, entry) in wanted where !entry.wanted { entry.layer.computesInputGradient = false }
        defer { for (id, entry) in wanted { entry.layer.computesInputGradient = saved[id]! } }
        return try body()
    }

    /// Propagates `seeds` (one per output: dLoss/dOutput, or dLoss/dLogits where `logits` is
    /// set) back through the nodes `needs` marks, adding weight gradients into the layers'
    /// parameters. Returns dLoss/dInput when `needs[0]`.
    @discardableResult
    func backward(seeds: [Tensor?], logits: [Bool], needs: [Bool]) -> Tensor? {
        for i in gradients.indices {
            gradients[i] = nil
            ownsGradient[i] = false
            fused[i] = false
            reluMasked[i] = false
            pendingWriters[i] = nil
        }
        for (k, seed) in seeds.enumerated() {
            guard let seed else { continue }
            let i = outputIndices[k]
            if logits[k] {
                fused[i] = true
                gradients[i] = seed
            } else {
                accumulate(seed, into: i, producerShared: false)
            }
        }
        for i in stride(from: nodes.count - 1, through: 1, by: -1) {
            guard needs[i], let g = gradients[i] else { continue }
            let layer = nodes[i].layer
            if isShared[i] && lastRun[ObjectIdentifier(layer)] != i {
                if let keeper = keepers[i], let state = states[i] {
                    keeper.restoreForwardState(state)
                    lastRun[ObjectIdentifier(layer)] = i
                } else {
                    _ = run(i)
                }
            }
            // Whether this node carries the node before it back through its relu.
            let masksRelu = reluMaskers[i].map { $0.masksInputRelu && reluEndings[i - 1]?.endsInRelu == true } ?? false
            if let writer = itemwiseWriters[i], needs[i - 1] {
                // Written block by block inside the node before's backward pass, below.
                gradients[i - 1] = writer.prepareBackward(g, throughInputRelu: masksRelu)
                reluMasked[i - 1] = masksRelu
                pendingWriters[i - 1] = writer
                continue
            }
            let inputGradients: [Tensor]
            var carriedThroughRelu = false
            if fused[i], let softmax = softmaxLayers[i] {
                inputGradients = [softmax.backward(logitsGradient: g)]
            } else if let writer = pendingWriters[i], let consumer = blockwiseConsumers[i] {
                inputGradients = [consumer.backward(g, preActivation: reluMasked[i]) { writer.backward(items: $0) }]
            } else if reluMasked[i], let ending = reluEndings[i] {
                inputGradients = [ending.backward(preActivationGradient: g)]
            } else if let merge = merges[i] {
                inputGradients = merge.backward(g)
            } else if masksRelu, let masker = reluMaskers[i] {
                inputGradients = [masker.backward(g, throughInputRelu: true)]
                carriedThroughRelu = true
            } else {
                inputGradients = [layer.backward(g)]
            }
            for (k, j) in inputIndices[i].enumerated() where needs[j] {
                accumulate(inputGradients[k], into: j, producerShared: isShared[i])
                reluMasked[j] = carriedThroughRelu
            }
        }
        return needs[0] ? gradients[0] : nil
    }

    /// Adds `gradient` into node `j`'s. A node with one consumer borrows the consumer's
    /// buffer; several consumers (or a shared layer, whose buffer the next use overwrites) sum
    /// into the node's own.
    private func accumulate(_ gradient: Tensor, into j: Int, producerShared: Bool) {
        if let existing = gradients[j] {
            let sum: Tensor
            if ownsGradient[j] {
                sum = existing
            } else {
                sum = sums[j].tensor(shape: existing.shape)
                sum.assign(existing)
                gradients[j] = sum
                ownsGradient[j] = true
            }
            add(gradient.pointer, into: sum.pointer, sum.count)
        } else if consumerCounts[j] == 1 && !producerShared {
            gradients[j] = gradient
        } else {
            let sum = sums[j].tensor(shape: gradient.shape)
            sum.assign(gradient)
            gradients[j] = sum
            ownsGradient[j] = true
        }
    }
}
