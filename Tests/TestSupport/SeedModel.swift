import Engine

/// The lesson's CIFAR-10 network, built with the engine's model API as its notebook builds it.
public func seedModel(seed: UInt64 = 0) throws -> Model {
    let input = Node.input(shape: [32, 32, 3], seed: seed)
    var x = try Convolution(rank: 2, filters: 32, kernelSize: [3, 3], activation: .relu)(input)
    x = try Pooling(kind: .max, rank: 2, poolSize: [2, 2])(x)
    x = try Convolution(rank: 2, filters: 64, kernelSize: [3, 3], activation: .relu)(x)
    x = try Pooling(kind: .max, rank: 2, poolSize: [2, 2])(x)
    x = try Convolution(rank: 2, filters: 64, kernelSize: [3, 3], activation: .relu)(x)
    x = try Flatten()(x)
    x = try Dense(units: 64, activation: .relu)(x)
    let output = try Dense(units: 10, activation: .softmax)(x)
    return try Model(inputs: input, outputs: output)
}
