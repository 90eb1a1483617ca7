import Engine
import Foundation
import XCTest

/// A 1D model over (40, 4) sequences with `same` padding, strides, average pooling, a
/// convolution without bias, global max pooling, a tanh Dense and a second output taken from the middle (channels-last maps).
func model1D(seed: UInt64 = 1) throws -> Model {
    let input = Node.input(shape: [40, 4], seed: seed)
    var x = try Convolution(rank: 1, filters: 8, kernelSize: [5], strides: [2], padding: .same, activation: .relu)(input)
    let middle = try Pooling(kind: .average, rank: 1, poolSize: [3], strides: [2], padding: .same)(x)
    x = try Convolution(rank: 1, filters: 6, kernelSize: [3], activation: .sigmoid, useBias: false)(middle)
    x = try GlobalPooling(kind: .max, rank: 1)(x)
    x = try Dense(units: 5, activation: .tanh)(x)
    x = try Dropout(rate: 0.25)(x)
    let output = try Dense(units: 3, activation: .softmax)(x)
    return try Model(inputs: input, outputs: [output, middle])
}

/// A 2D model over (9, 11, 3) images: a strided `same` convolution with a softmax over its
/// channels, `same` average pooling with an odd pad, global average pooling and a sigmoid
/// Dense; the softmax maps are a second output.
func model2D(seed: UInt64 = 3) throws -> Model {
    let input = Node.input(shape: [9, 11, 3], seed: seed)
    let maps = try Convolution(rank: 2, filters: 6, kernelSize: [3, 2], strides: [2, 2], padding: .same, activation: .softmax)(input)
    var x = try Pooling(kind: .average, rank: 2, poolSize: [2, 3], strides: [1, 2], padding: .same)(maps)
    x = try GlobalPooling(kind: .average, rank: 2)(x)
    x = try Dense(units: 4, activation: .sigmoid)(x)
    return try Model(inputs: input, outputs: [x, maps])
}

/// A 3D model over (6, 8, 8, 2) volumes: a valid and a `same` convolution, max pooling with
/// odd padding, a softmax Activation layer over channels, flatten into a Dense without bias
/// (MatMul in ONNX), and a second
/// output by global average pooling.
func model3D(seed: UInt64 = 2) throws -> Model {
    let input = Node.input(shape: [6, 8, 8, 2], seed: seed)
    var x = try Convolution(rank: 3, filters: 4, kernelSize: [3, 3, 3], activation: .relu)(input)
    x = try Pooling(kind: .max, rank: 3, poolSize: [2, 2, 2], strides: [1, 2, 2], padding: .same)(x)
    let branch = try Convolution(rank: 3, filters: 5, kernelSize: [2, 3, 3], strides: [1, 2, 1], padding: .same)(x)
    let softmax = try ActivationLayer(.softmax)(branch)
    let flat = try Flatten()(softmax)
    let dense = try Dense(units: 7, useBias: false)(flat)
    let pooled = try GlobalPooling(kind: .average, rank: 3)(branch)
    return try Model(inputs: input, outputs: [dense, pooled])
}

/// Gives every bias of `model` random values (kernels keep their Glorot values), so a test
/// sees biases and their layout too.
func randomiseBiases(_ model: Model, seed: UInt64) {
    var generator = SeededGenerator(seed: seed)
    for parameter in model.parameters where parameter.name == "bias" {
        for i in 0..<parameter.value.count { parameter.value[flat: i] = generator.uniform(-0.5, 0.5) }
    }
}

/// `count` inputs of `model`'s shape, uniform in [0, 1).
func randomInputs(_ model: Model, count: Int, seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    let x = Tensor(zeros: [count] + model.inputShape)
    for i in 0..<x.count { x[flat: i] = generator.uniform(0, 1) }
    return x
}

extension XCTestCase {
    /// A fresh empty folder under the temporary directory, removed when the test ends.
    func temporaryFolder(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "cnnb-interop-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }
}

/// A model that branches: a residual `add` around two convolutions, an inception-style
/// `concat` of a 1x1 and a 3x3 branch and a pooled input, a base model applied as a layer,
/// and `multiply`, `subtract`, `maximum`, `average` and `minimum` on its dense heads; two outputs.
/// Merges that broadcast as Keras's do: a squeeze-and-excitation style gate of shape (8,)
/// scaling an (8, 8, 8) map, a (1, 8, 8) column added to it, and maps of (8, 1, 8) and (1, 8, 8)
/// combined; the convolutions around keep ONNX's graph channels-first.
func broadcastModel(seed: UInt64 = 7) throws -> Model {
    let input = Node.input(shape: [8, 8, 3], seed: seed)
    let map = try Convolution(rank: 2, filters: 8, kernelSize: [3], padding: .same, activation: .relu)(input)
    let gate = try Dense(units: 8, activation: .sigmoid)(try GlobalPooling(kind: .average, rank: 2)(map))
    let column = try Pooling(kind: .average, rank: 2, poolSize: [8, 1])(map)
    let row = try Pooling(kind: .max, rank: 2, poolSize: [1, 8])(map)
    let scaled = try ElementwiseMerge(.add)([try ElementwiseMerge(.multiply)([map, gate]), column])
    let mixed = try ElementwiseMerge(.maximum)([row, column, try ElementwiseMerge(.subtract)([gate, scaled])])
    let out = try Convolution(rank: 2, filters: 4, kernelSize: [3], activation: .tanh)(try ElementwiseMerge(.average)([mixed, gate, row]))
    return try Model(inputs: input, outputs: [try Dense(units: 3, activation: .softmax)(try Flatten()(out)), scaled])
}

func graphModel(seed: UInt64 = 5) throws -> Model {
    let baseInput = Node.input(shape: [6, 6, 24], seed: seed + 100)
    let base = try Model(inputs: baseInput, outputs: try GlobalPooling(kind: .average, rank: 2)(
        try Convolution(rank: 2, filters: 8, kernelSize: [3], activation: .tanh)(baseInput)), name: "base")
    let input = Node.input(shape: [12, 12, 3], seed: seed)
    let stem = try Convolution(rank: 2, filters: 8, kernelSize: [3], padding: .same, activation: .relu)(input)
    let inner = try Convolution(rank: 2, filters: 8, kernelSize: [3], padding: .same, activation: .relu)(stem)
    let branch = try Convolution(rank: 2, filters: 8, kernelSize: [3], padding: .same)(inner)
    var x = try ActivationLayer(.relu)(try ElementwiseMerge(.add)([stem, branch]))
    let pooled = try Pooling(kind: .max, rank: 2, poolSize: [2])(x)
    let c1 = try Convolution(rank: 2, filters: 8, kernelSize: [1], activation: .relu)(pooled)
    let c3 = try Convolution(rank: 2, filters: 8, kernelSize: [3], padding: .same, activation: .relu)(pooled)
    x = try Concatenate()([c1, c3, pooled])
    let features = try base(x)
    let a = try Dense(units: 6, activation: .tanh)(features)
    let b = try Dense(units: 6, activation: .sigmoid)(features)
    let mixed = try ElementwiseMerge(.maximum)([try ElementwiseMerge(.multiply)([a, b]), try ElementwiseMerge(.subtract)([a, b])])
    let joined = try Concatenate()([mixed, try ElementwiseMerge(.average)([a, b]), try ElementwiseMerge(.minimum)([a, b, mixed])])
    let out = try Dense(units: 5, activation: .softmax)(joined)
    return try Model(inputs: input, outputs: [out, c3])
}
