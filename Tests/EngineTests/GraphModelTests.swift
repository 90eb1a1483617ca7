import Engine
import XCTest

private func conv(_ filters: Int, _ k: Int, _ activation: Activation = .linear, same: Bool = false) throws -> Convolution {
    try Convolution(rank: 2, filters: filters, kernelSize: [k], padding: same ? .same : .valid, activation: activation)
}

private func maxPool(_ size: Int, strides: Int? = nil, same: Bool = false) throws -> Pooling {
    try Pooling(kind: .max, rank: 2, poolSize: [size], strides: strides.map { [$0] }, padding: same ? .same : .valid)
}

/// The block of issue 14: a residual `add` around two convolutions, then an inception-style
/// `concat` of a 1x1 and a 3x3 branch.
func residualInceptionModel(inputShape: [Int] = [32, 32, 3], seed: UInt64 = 0) throws -> Model {
    let input = Node.input(shape: inputShape, seed: seed)
    let stem = try conv(16, 3, .relu, same: true)(input)
    var x = try conv(16, 3, .relu, same: true)(stem)
    let b = try conv(16, 3, same: true)(x)
    x = try ElementwiseMerge(.add)([stem, b])
    x = try ActivationLayer(.relu)(x)
    let p = try maxPool(2)(x)
    let c1 = try conv(8, 1, .relu)(p)
    let c3 = try conv(8, 3, .relu, same: true)(p)
    x = try Concatenate()([c1, c3])
    x = try GlobalPooling(kind: .average, rank: 2)(x)
    return try Model(inputs: input, outputs: try Dense(units: 10, activation: .softmax)(x))
}

/// Reference numbers from Keras 3.15.1 (jax backend), `model.summary()` of the same graphs.
final class GraphModelTests: XCTestCase {
    func testResidualInceptionBlockMatchesKeras() throws {
        let model = try residualInceptionModel()
        let summary = model.summary
        XCTAssertEqual(summary.layers.map(\.nameAndType), [
            "input_layer (InputLayer)", "conv2d (Conv2D)", "conv2d_1 (Conv2D)", "conv2d_2 (Conv2D)", "add (Add)",
            "activation (Activation)", "max_pooling2d (MaxPooling2D)", "conv2d_3 (Conv2D)", "conv2d_4 (Conv2D)",
            "concatenate (Concatenate)", "global_average_pooling2d (GlobalAveragePooling2D)", "dense (Dense)"])
        XCTAssertEqual(summary.layers.map(\.outputShape), [[32, 32, 3], [32, 32, 16], [32, 32, 16], [32, 32, 16], [32, 32, 16],
                                                          [32, 32, 16], [16, 16, 16], [16, 16, 8], [16, 16, 8], [16, 16, 16], [16], [10]])
        XCTAssertEqual(summary.layers.map(\.parameterCount), [0, 448, 2320, 2320, 0, 0, 0, 136, 1160, 0, 0, 170])
        XCTAssertEqual(summary.totalParameters, 6554)
        XCTAssertEqual(summary.nonTrainableParameters, 0)
        XCTAssertFalse(summary.isSequentialLike)
        XCTAssertEqual(summary.layers.map { $0.connectedTo.joined(separator: ", ") }, [
            "", "input_layer[0][0]", "conv2d[0][0]", "conv2d_1[0][0]", "conv2d[0][0], conv2d_2[0][0]", "add[0][0]",
            "activation[0][0]", "max_pooling2d[0][0]", "max_pooling2d[0][0]", "conv2d_3[0][0], conv2d_4[0][0]",
            "concatenate[0][0]", "global_average_pooling2d[0][0]"])
    }

    func testInceptionBlockWithThreeBranchesMatchesKerasOrderAndCounts() throws {
        let input = Node.input(shape: [32, 32, 3])
        let a = try conv(16, 1, .relu)(input)
        var b = try conv(16, 1, .relu)(input)
        b = try conv(24, 3, .relu, same: true)(b)
        var c = try maxPool(3, strides: 1, same: true)(input)
        c = try conv(8, 1, .relu)(c)
        let x = try Flatten()(try Concatenate()([a, b, c]))
        let model = try Model(inputs: input, outputs: try Dense(units: 10, activation: .softmax)(x))
        let summary = model.summary
        // Keras lists layers by depth from the output: the branches' first layers come first.
        XCTAssertEqual(summary.layers.map(\.name), ["input_layer", "conv2d_1", "max_pooling2d", "conv2d", "conv2d_2", "conv2d_3",
                                                    "concatenate", "flatten", "dense"])
        XCTAssertEqual(summary.layers.map(\.outputShapeText), ["(None, 32, 32, 3)", "(None, 32, 32, 16)", "(None, 32, 32, 3)",
                                                               "(None, 32, 32, 16)", "(None, 32, 32, 24)", "(None, 32, 32, 8)",
                                                               "(None, 32, 32, 48)", "(None, 49152)", "(None, 10)"])
        XCTAssertEqual(summary.layers.map(\.parameterCount), [0, 64, 0, 64, 3480, 32, 0, 0, 491_530])
        XCTAssertEqual(summary.totalParameters, 495_170)
        XCTAssertEqual(summary.layers[6].connectedTo, ["conv2d[0][0]", "conv2d_2[0][0]", "conv2d_3[0][0]"])
    }

    func testTwoOutputModelMatchesKerasAndTrainsWithOneLossPerOutput() throws {
        let input = Node.input(shape: [28, 28, 1], seed: 3)
        var x = try conv(8, 3, .relu)(input)
        x = try Flatten()(try maxPool(2)(x))
        let digitLayer = try Dense(units: 10, activation: .softmax)
        digitLayer.name = "digit"
        let oddLayer = try Dense(units: 1, activation: .sigmoid)
        oddLayer.name = "odd"
        let model = try Model(inputs: input, outputs: [try digitLayer(x), try oddLayer(x)])
        let summary = model.summary
        XCTAssertEqual(summary.layers.map(\.nameAndType), ["input_layer (InputLayer)", "conv2d (Conv2D)",
                                                           "max_pooling2d (MaxPooling2D)", "flatten (Flatten)",
                                                           "digit (Dense)", "odd (Dense)"])
        XCTAssertEqual(summary.layers.map(\.parameterCount), [0, 80, 0, 0, 13_530, 1353])
        XCTAssertEqual(summary.totalParameters, 14_963)
        XCTAssertFalse(summary.isSequentialLike, "two heads at the same depth: Keras prints Connected to")
        XCTAssertEqual(model.outputNames, ["digit", "odd"])

        var generator = SeededGenerator(seed: 5)
        let images = Tensor(zeros: [40, 28, 28, 1])
        for i in 0..<images.count { images[flat: i] = generator.uniform(0, 1) }
        let digits = (0..<40).map { Int32($0 % 10) }
        let odd = Tensor(shape: [40, 1], values: digits.map { Float($0 % 2) })
        let source = try TensorBatchSource(inputs: images, targetSets: [.labels(digits), .values(odd)])
        try model.compile(optimizer: Adam(), losses: ["digit": .sparseCategoricalCrossentropy, "odd": .meanSquaredError],
                          metrics: ["digit": [.accuracy], "odd": [.accuracy]])
        let history = try model.fit(source, options: FitOptions(epochs: 2, batchSize: 16, validation: source))
        // Keras 3's keys for the same compile: ['digit_accuracy', 'digit_loss', 'loss', 'odd_accuracy', 'odd_loss', 'val_…'].
        XCTAssertEqual(history.keys, ["digit_accuracy", "digit_loss", "loss", "odd_accuracy", "odd_loss",
                                      "val_digit_accuracy", "val_digit_loss", "val_loss", "val_odd_accuracy", "val_odd_loss"])
        for epoch in 0..<2 {
            XCTAssertEqual(history.loss[epoch], history["digit_loss"]![epoch] + history["odd_loss"]![epoch], accuracy: 1e-9)
        }
        let evaluation = try model.evaluate(source, batchSize: 7)
        XCTAssertEqual(evaluation.values["loss"]!, evaluation.values["digit_loss"]! + evaluation.values["odd_loss"]!, accuracy: 1e-9)
        XCTAssertEqual(evaluation.loss, history["val_loss"]![1], accuracy: 1e-5, "evaluate after fit = the last validation")
        // Each output's loss alone, computed from predict, is what evaluate reports.
        let predictions = try model.predict(images)
        XCTAssertEqual(try Loss.sparseCategoricalCrossentropy.value(predictions: predictions[0], labels: digits),
                       evaluation.values["digit_loss"]!, accuracy: 1e-5)
        XCTAssertEqual(try Loss.meanSquaredError.value(predictions: predictions[1], targets: odd),
                       evaluation.values["odd_loss"]!, accuracy: 1e-5)

        XCTAssertThrowsError(try model.fit(try TensorBatchSource(inputs: images, labels: digits))) { error in
            XCTAssertEqual((error as? ModelError)?.message, "model functional has 2 outputs (digit, odd), the data gives 1 set of targets")
            XCTAssertEqual((error as? ModelError)?.hint, "give one set of targets per output, in the order of the outputs")
        }
        XCTAssertThrowsError(try model.compile(optimizer: Adam(), losses: ["digit": .meanSquaredError])) { error in
            XCTAssertTrue("\(error)".hasPrefix("output 'odd' of model functional has no loss"), "\(error)")
        }
    }

    func testChainWithSeveralOutputsKeepsThePlainTable() throws {
        let input = Node.input(shape: [28, 28, 1])
        let x1 = try conv(8, 3, .relu)(input)
        let x2 = try maxPool(2)(x1)
        let model = try Model(inputs: input, outputs: [x1, x2])
        XCTAssertTrue(model.summary.isSequentialLike)
        XCTAssertEqual(model.summary.totalParameters, 80)
    }

    func testFrozenBaseReusedAsALayerMatchesKerasAndStaysBitIdentical() throws {
        let baseInput = Node.input(shape: [32, 32, 3], seed: 1)
        var x = try conv(32, 3, .relu)(baseInput)
        x = try conv(64, 3, .relu)(try maxPool(2)(x))
        let base = try Model(inputs: baseInput, outputs: try GlobalPooling(kind: .average, rank: 2)(x), name: "base")
        base.setFrozen(true)

        let input = Node.input(shape: [32, 32, 3], seed: 2)
        let features = try base(input)
        let hidden = try Dense(units: 64, activation: .relu)(features)
        let model = try Model(inputs: input, outputs: try Dense(units: 10, activation: .softmax)(hidden))
        let summary = model.summary
        XCTAssertEqual(summary.layers.map(\.nameAndType), ["input_layer (InputLayer)", "base (Functional)", "dense (Dense)", "dense_1 (Dense)"])
        XCTAssertEqual(summary.layers.map(\.outputShapeText), ["(None, 32, 32, 3)", "(None, 64)", "(None, 64)", "(None, 10)"])
        XCTAssertEqual(summary.layers.map(\.parameterCount), [0, 19_392, 4160, 650])
        XCTAssertEqual(summary.totalParameters, 24_202)
        XCTAssertEqual(summary.trainableParameters, 4810)
        XCTAssertEqual(summary.nonTrainableParameters, 19_392)
        XCTAssertTrue(summary.isSequentialLike)

        var generator = SeededGenerator(seed: 9)
        let images = Tensor(zeros: [24, 32, 32, 3])
        for i in 0..<images.count { images[flat: i] = generator.uniform(0, 1) }
        let labels = (0..<24).map { Int32($0 % 10) }
        let frozenBefore = base.parameters.map(\.value.scalars)
        let headBefore = model.layers[2].parameters.map(\.value.scalars)
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy")
        try model.fit(x: images, y: labels, epochs: 2, batchSize: 8)
        XCTAssertEqual(base.parameters.map(\.value.scalars), frozenBefore, "frozen weights are bit-identical after fit")
        XCTAssertNotEqual(model.layers[2].parameters.map(\.value.scalars), headBefore)

        // Unfrozen, the same base trains through the outer model.
        base.setFrozen(false)
        XCTAssertEqual(model.summary.trainableParameters, 24_202)
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy")
        try model.fit(x: images, y: labels, epochs: 1, batchSize: 8)
        XCTAssertNotEqual(base.parameters.map(\.value.scalars), frozenBefore)
    }

    func testSharedLayerCountsOnceAndShowsBothUses() throws {
        let input = Node.input(shape: [16])
        let dense = try Dense(units: 16, activation: .relu)
        let a = try dense(input)
        let b = try dense(a)
        let model = try Model(inputs: input, outputs: try ElementwiseMerge(.add)([a, b]))
        let summary = model.summary
        XCTAssertEqual(summary.layers.map(\.name), ["input_layer", "dense", "add"])
        XCTAssertEqual(summary.totalParameters, 272)
        XCTAssertEqual(summary.layers.map(\.connectedTo), [[], ["input_layer[0][0]", "dense[0][0]"], ["dense[0][0]", "dense[1][0]"]])
        XCTAssertTrue(model.parameters[0] === dense.parameters[0])
        XCTAssertEqual(model.nodes.count, 4)
    }

    func testMergeShapeRulesPrintBothShapes() throws {
        let input = Node.input(shape: [8, 8, 3])
        let a = try conv(8, 1)(input)
        let b = try conv(8, 3)(input)
        let c = try conv(6, 1)(input)
        XCTAssertThrowsError(try ElementwiseMerge(.add)([a, b])) { error in
            XCTAssertEqual((error as? ShapeError)?.message, "Inputs have incompatible shapes. Received shapes (8, 8, 8) and (6, 6, 8)")
        }
        XCTAssertThrowsError(try ElementwiseMerge(.maximum)([a, c])) { error in
            XCTAssertEqual((error as? ShapeError)?.message, "Inputs have incompatible shapes. Received shapes (8, 8, 8) and (8, 8, 6)")
        }
        XCTAssertThrowsError(try Concatenate()([a, b])) { error in
            XCTAssertEqual((error as? ShapeError)?.message, "A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. Received: input_shape=[(None, 8, 8, 8), (None, 6, 6, 8)]")
        }
        XCTAssertThrowsError(try ElementwiseMerge(.subtract)([a, a, a])) { error in
            XCTAssertEqual((error as? ShapeError)?.message, "A `Subtract` layer should be called on exactly 2 inputs. Received: input_shape=[(None, 8, 8, 8), (None, 8, 8, 8), (None, 8, 8, 8)]")
        }
        XCTAssertThrowsError(try Dense(units: 2)([a, c])) { error in
            XCTAssertEqual((error as? ShapeError)?.message, "Dense takes one input, it was given 2")
        }
        XCTAssertEqual(try Concatenate()([a, c]).shape, [8, 8, 14])
        XCTAssertEqual(try Concatenate(axis: 2)([a, try conv(8, 1)(input)]).shape, [8, 16, 8])
        XCTAssertThrowsError(try Concatenate(axis: 0)([a, a])) { error in
            XCTAssertTrue("\(error)".contains("axis 0 is the batch"), "\(error)")
        }
        let shared = try conv(4, 1)
        _ = try shared(a)
        XCTAssertThrowsError(try shared(c)) { error in
            XCTAssertEqual((error as? ShapeError)?.message, "layer conv2d_4 was built for input (None, 8, 8, 8), it is now applied to (None, 8, 8, 6)")
        }
    }

    /// Keras 3's `_compute_elemwise_op_output_shape`: item shapes aligned from the last axis,
    /// an axis of size 1 or missing in front repeated; Concatenate does not broadcast. The
    /// shapes, messages and values are Keras 3.15.1's for the same inputs.
    func testMergesBroadcastAsKerasDoes() throws {
        let input = Node.input(shape: [8, 8, 3])
        let a = try conv(8, 1)(input)
        let pooled = try Pooling(kind: .average, rank: 2, poolSize: [8])(a)        // (1, 1, 8)
        let vector = try GlobalPooling(kind: .average, rank: 2)(a)                  // (8,)
        let column = try Pooling(kind: .average, rank: 2, poolSize: [8, 1])(a)     // (1, 8, 8)
        let row = try Pooling(kind: .average, rank: 2, poolSize: [1, 8])(a)        // (8, 1, 8)
        XCTAssertEqual(try ElementwiseMerge(.add)([a, pooled]).shape, [8, 8, 8])
        XCTAssertEqual(try ElementwiseMerge(.multiply)([vector, a]).shape, [8, 8, 8])
        XCTAssertEqual(try ElementwiseMerge(.maximum)([column, row]).shape, [8, 8, 8])
        XCTAssertEqual(try ElementwiseMerge(.average)([pooled, vector]).shape, [1, 1, 8])
        XCTAssertThrowsError(try ElementwiseMerge(.add)([a, try Dense(units: 3)(vector)])) { error in
            XCTAssertEqual((error as? ShapeError)?.message, "Inputs have incompatible shapes. Received shapes (8, 8, 8) and (3,)")
        }
        XCTAssertThrowsError(try ElementwiseMerge(.subtract)([try Dense(units: 3)(vector), row])) { error in
            XCTAssertEqual((error as? ShapeError)?.message, "Inputs have incompatible shapes. Received shapes (8, 1, 8) and (3,)")
        }
        XCTAssertThrowsError(try Concatenate()([a, pooled])) { error in
            XCTAssertEqual((error as? ShapeError)?.message, "A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. Received: input_shape=[(None, 8, 8, 8), (None, 1, 1, 8)]")
        }

        // By hand: (2, 3) items with a (3,) one and a (2, 1) one.
        let add = ElementwiseMerge(.add), multiply = ElementwiseMerge(.multiply)
        let m = Tensor(shape: [1, 2, 3], values: [1, 2, 3, 4, 5, 6])
        let v = Tensor(shape: [1, 3], values: [10, 20, 30])
        let c = Tensor(shape: [1, 2, 1], values: [2, -1])
        XCTAssertEqual(add.forward([m, v], training: false).scalars, [11, 22, 33, 14, 25, 36])
        XCTAssertEqual(multiply.forward([m, c], training: false).scalars, [2, 4, 6, -4, -5, -6])
        let back = multiply.backward(Tensor(shape: [1, 2, 3], values: [1, 1, 1, 1, 1, 1]))
        XCTAssertEqual(back.map(\.shape), [[1, 2, 3], [1, 2, 1]])
        XCTAssertEqual(back[0].scalars, [2, 2, 2, -1, -1, -1])
        XCTAssertEqual(back[1].scalars, [6, 15])
        XCTAssertEqual(add.backward(Tensor(shape: [1, 2, 3], values: [1, 2, 3, 4, 5, 6]))[1].scalars, [5, 7, 9])
    }

    func testGradientsThroughBroadcastAddAndMultiply() throws {
        let input = Node.input(shape: [4, 4, 2], seed: 11)
        let a = try conv(3, 1, .tanh)(input)
        let gate = try Dense(units: 3, activation: .tanh)(try GlobalPooling(kind: .average, rank: 2)(a))   // (3,)
        let column = try Pooling(kind: .average, rank: 2, poolSize: [4, 1])(try conv(3, 1, .tanh)(input))  // (1, 4, 3)
        let scaled = try ElementwiseMerge(.multiply)([a, gate])
        let shifted = try ElementwiseMerge(.add)([column, scaled])
        let mixed = try ElementwiseMerge(.subtract)([shifted, try ElementwiseMerge(.average)([gate, column])])
        let model = try Model(inputs: input, outputs: try Dense(units: 2)(try Flatten()(mixed)))
        XCTAssertEqual(mixed.shape, [4, 4, 3])
        try assertGradients(model, batchShape: [2, 4, 4, 2], tolerance: 2e-3)
    }

    /// A shared layer whose forward draws (Dropout) or updates statistics (BatchNormalization)
    /// goes backward with each call's own state, not a second run of that call.
    func testASharedDropoutOrBatchNormalisationGoesBackwardWithEachCallsState() throws {
        // out = x·m1 + x·m1·m2 for the masks m1, m2 of the two calls, so for x = 1 and a seed of
        // ones the input's gradient m1·(1 + m2) is the output itself.
        let x = Node.input(shape: [64], seed: 3)
        let drop = try Dropout(rate: 0.5, seed: 7)
        let first = try drop(x)
        let chained = try Model(inputs: x, outputs: try ElementwiseMerge(.add)([first, try drop(first)]))
        let ones = Tensor(shape: [2, 64], repeating: 1)
        let out = chained.forward(ones, training: true).scalars
        XCTAssertEqual(Set(out), [0, 2, 6], "both masks drop some values and keep others")
        XCTAssertEqual(chained.backward(Tensor(shape: [2, 64], repeating: 1)).scalars, out)

        // Two calls update the moving statistics twice, fit's backward does not add a third.
        let bx = Node.input(shape: [3], seed: 5)
        let norm = try BatchNormalization()
        let once = try norm(bx)
        let twice = try Model(inputs: bx, outputs: try ElementwiseMerge(.add)([once, try norm(once)]))
        let batch = Tensor(shape: [4, 3], values: [1, 2, 3, 2, 0, -1, 5, 1, 1, 0, 1, 9])
        _ = twice.forward(batch, training: true)
        let afterForward = norm.movingMean.value.scalars
        // The first call's batch means are (2, 1, 3); the second call's input has mean 0.
        for (moving, mean) in zip(afterForward, [Float(2), 1, 3]) { XCTAssertEqual(moving, 0.99 * 0.01 * mean, accuracy: 1e-6) }
        _ = twice.backward(Tensor(shape: [4, 3], repeating: 1))
        XCTAssertEqual(norm.movingMean.value.scalars, afterForward)
        try assertGradients(twice, batchShape: [6, 3], tolerance: 2e-3, training: true)

        // The same through a model used as a layer twice: its inner Dropout's masks per call.
        let innerInput = Node.input(shape: [64], seed: 9)
        let inner = try Model(inputs: innerInput, outputs: try Dropout(rate: 0.5, seed: 8)(innerInput), name: "inner")
        let y = Node.input(shape: [64], seed: 10)
        let a = try inner(y)
        let nested = try Model(inputs: y, outputs: try ElementwiseMerge(.add)([a, try inner(a)]))
        let nestedOut = nested.forward(ones, training: true).scalars
        XCTAssertEqual(Set(nestedOut), [0, 2, 6])
        XCTAssertEqual(nested.backward(Tensor(shape: [2, 64], repeating: 1)).scalars, nestedOut)
    }

    func testMergeValuesByHand() throws {
        let input = Node.input(shape: [3])
        let ops: [(ElementwiseOperation, [Float])] = [(.add, [5, 1, 4]), (.subtract, [-3, 3, 2]), (.multiply, [4, -2, 3]),
                                                      (.average, [2.5, 0.5, 2]), (.maximum, [4, 2, 3]), (.minimum, [1, -1, 1])]
        let left = try Dense(units: 3, useBias: false)(input)
        let right = try Dense(units: 3, useBias: false)(input)
        let model = try Model(inputs: input, outputs: try ops.map { op, _ in try ElementwiseMerge(op)([left, right]) }
                                + [try Concatenate()([left, right])])
        // left = x, right = 2x - … : set kernels so left = (1, 2, 3), right = (4, -1, 1) for x = (1, 0, 0).
        try model.setWeights([Tensor(shape: [3, 3], values: [1, 2, 3, 0, 0, 0, 0, 0, 0])], ofLayer: model.layerIndex(named: left.layer.name)!)
        try model.setWeights([Tensor(shape: [3, 3], values: [4, -1, 1, 0, 0, 0, 0, 0, 0])], ofLayer: model.layerIndex(named: right.layer.name)!)
        let outputs = try model.predict(Tensor(shape: [1, 3], values: [1, 0, 0]))
        for (k, (op, expected)) in ops.enumerated() { XCTAssertEqual(outputs[k].scalars, expected, "\(op)") }
        XCTAssertEqual(outputs[6].scalars, [1, 2, 3, 4, -1, 1])
    }

    func testGradientsThroughAddConcatAndASharedLayer() throws {
        // Through add and concat (tanh keeps every step away from a kink).
        let input = Node.input(shape: [6, 6, 2], seed: 4)
        let stem = try conv(3, 3, .tanh, same: true)(input)
        let branch = try conv(3, 3, same: true)(try conv(3, 1, .tanh)(stem))
        let sum = try ElementwiseMerge(.add)([stem, branch])
        let side = try conv(2, 1, .tanh)(input)
        let joined = try Concatenate()([sum, side, stem])
        let model = try Model(inputs: input, outputs: try Dense(units: 3)(try Flatten()(joined)))
        try assertGradients(model, batchShape: [2, 6, 6, 2], tolerance: 2e-3)

        // A layer applied twice: its weights' gradient sums both uses.
        let x = Node.input(shape: [5], seed: 6)
        let shared = try Dense(units: 5, activation: .tanh)
        let once = try shared(x)
        let twice = try shared(once)
        let product = try ElementwiseMerge(.multiply)([once, twice])
        let mixed = try ElementwiseMerge(.subtract)([product, try ElementwiseMerge(.average)([once, twice, x])])
        let sharedModel = try Model(inputs: x, outputs: try ElementwiseMerge(.maximum)([mixed, try Dense(units: 5)(x)]))
        try assertGradients(sharedModel, batchShape: [3, 5], tolerance: 2e-3)

        // A model inside a model, applied twice.
        let innerInput = Node.input(shape: [4], seed: 8)
        let inner = try Model(inputs: innerInput, outputs: try Dense(units: 4, activation: .tanh)(innerInput), name: "inner")
        let outer = Node.input(shape: [4], seed: 9)
        let first = try inner(outer)
        let second = try inner(first)
        let nested = try Model(inputs: outer, outputs: try ElementwiseMerge(.add)([first, second]))
        try assertGradients(nested, batchShape: [2, 4], tolerance: 2e-3)
    }

    func testResidualModelTrainsAndPredictsTheSameAtAnyBatchSize() throws {
        let model = try residualInceptionModel(inputShape: [12, 12, 3], seed: 2)
        var generator = SeededGenerator(seed: 3)
        let images = Tensor(zeros: [64, 12, 12, 3])
        for i in 0..<images.count { images[flat: i] = generator.uniform(0, 1) }
        // The label is whether the image's red channel is brighter than its blue one on average.
        var labels: [Int32] = []
        for n in 0..<64 {
            var red: Float = 0, blue: Float = 0
            for p in 0..<144 { red += images[flat: n * 432 + p * 3]; blue += images[flat: n * 432 + p * 3 + 2] }
            labels.append(red > blue ? 1 : 0)
        }
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        let history = try model.fit(x: images, y: labels, epochs: 8, batchSize: 16, seed: 1)
        XCTAssertLessThan(history.loss.last!, history.loss.first!)
        let whole = try model.predict(images, batchSize: 64)[0]
        let pieces = try model.predict(images, batchSize: 5)[0]
        for i in 0..<whole.count { XCTAssertEqual(whole[flat: i], pieces[flat: i], accuracy: 1e-5) }
    }

    func testWeightsOfAGraphSaveAndLoadByPath() throws {
        let baseInput = Node.input(shape: [6], seed: 1)
        let base = try Model(inputs: baseInput, outputs: try Dense(units: 4, activation: .tanh)(baseInput), name: "base")
        let input = Node.input(shape: [6], seed: 2)
        let shared = try Dense(units: 4)
        let features = try base(input)
        let model = try Model(inputs: input, outputs: try ElementwiseMerge(.add)([try shared(features), features]))
        XCTAssertEqual(model.weightPaths.map(\.path), ["base/dense/kernel", "base/dense/bias", "dense/kernel", "dense/bias"])

        let x = Tensor(shape: [2, 6], values: (0..<12).map { Float($0) / 6 - 1 })
        let before = try model.predict(x)[0].scalars
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cnnb-graph-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("w.cnnbw").path
        try model.saveWeights(to: path)
        for parameter in model.parameters { parameter.value.fill(0.5) }
        XCTAssertNotEqual(try model.predict(x)[0].scalars, before)
        try model.loadWeights(from: path)
        XCTAssertEqual(try model.predict(x)[0].scalars, before)
    }
}
