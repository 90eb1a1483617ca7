import Engine

/// The seed notebook's CIFAR-10 network: conv 32 3x3 relu, max pool 2, conv 64 3x3 relu,
/// max pool 2, conv 64 3x3 relu, flatten, dense 64 relu, dense 10 softmax; Adam with Keras's
/// defaults, sparse categorical cross-entropy, accuracy.
func makeSeedModel(seed: UInt64) throws -> Model {
    let model = try Model.sequential(inputShape: [32, 32, 3], layers: [
        Convolution(rank: 2, filters: 32, kernelSize: [3, 3], activation: .relu),
        Pooling(kind: .max, rank: 2, poolSize: [2, 2]),
        Convolution(rank: 2, filters: 64, kernelSize: [3, 3], activation: .relu),
        Pooling(kind: .max, rank: 2, poolSize: [2, 2]),
        Convolution(rank: 2, filters: 64, kernelSize: [3, 3], activation: .relu),
        Flatten(),
        Dense(units: 64, activation: .relu),
        Dense(units: 10, activation: .softmax),
    ], seed: seed)
    model.compile(optimizer: Adam(), loss: .sparseCategoricalCrossentropy, metrics: [.accuracy])
    return model
}

/// Floating-point operations of one training image: forward (2 per multiply-add), and a
/// backward pass costing twice the forward for every layer except the first, whose input
/// gradient nobody needs (weight gradient only).
func trainingFlops(of model: Model) -> Double {
    var total = 0.0
    for (i, node) in model.nodes.enumerated() {
        guard let input = node.input else { continue }
        let forward = 2 * Double(node.layer.multiplyAdds(for: input.shape))
        total += forward * (i == 1 ? 2 : 3)
    }
    return total
}
