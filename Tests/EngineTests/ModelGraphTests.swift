import Engine
import XCTest

final class ModelGraphTests: XCTestCase {
    func testFunctionalGraphNamesShapesAndCounts() throws {
        let input = Node.input(shape: [8])
        let h1 = try Dense(units: 4, activation: .relu)(input)
        let h2 = try Dense(units: 3, activation: .relu)(h1)
        let flat = try Flatten()(h2)
        let out = try Dense(units: 2, activation: .softmax)(flat)
        let model = try Model(inputs: input, outputs: out)
        XCTAssertEqual(model.name, "functional")
        XCTAssertEqual(model.layers.map(\.name), ["input_layer", "dense", "dense_1", "flatten", "dense_2"])
        XCTAssertEqual(model.layers.map(\.typeName), ["InputLayer", "Dense", "Dense", "Flatten", "Dense"])
        XCTAssertEqual(model.nodes.map(\.shapeDescription), ["(None, 8)", "(None, 4)", "(None, 3)", "(None, 3)", "(None, 2)"])
        XCTAssertEqual(model.layers.map(\.parameterCount), [0, 36, 15, 0, 8])
        XCTAssertEqual(model.parameterCount, 59)
        XCTAssertEqual(model.multiplyAdds, 8 * 4 + 4 * 3 + 3 * 2)
        XCTAssertEqual(model.layerIndex(named: "dense_1"), 2)
    }

    func testSubModelWithThreeOutputsSharesWeights() throws {
        let input = Node.input(shape: [6])
        let a = try Dense(units: 5, activation: .relu)(input)
        let b = try Dense(units: 4, activation: .tanh)(a)
        let c = try Dense(units: 3)(b)
        let out = try Dense(units: 2, activation: .softmax)(c)
        let model = try Model(inputs: input, outputs: out)
        let short = try Model(inputs: model.input, outputs: [model.nodes[1], model.nodes[2], model.nodes[3]])
        XCTAssertEqual(short.name, "functional_1")
        XCTAssertEqual(short.layers.map(\.name), ["input_layer", "dense", "dense_1", "dense_2"])
        XCTAssertTrue(short.layers[1] === model.layers[1])
        XCTAssertEqual(short.outputShapes, [[5], [4], [3]])

        var generator = SeededGenerator(seed: 1)
        let x = Tensor(zeros: [3, 6])
        for i in 0..<x.count { x[flat: i] = generator.uniform(-1, 1) }
        let outputs = try short.predict(x)
        XCTAssertEqual(outputs.map(\.shape), [[3, 5], [3, 4], [3, 3]])

        // Changing the big model's weights shows in the sub-model: they are the same layers.
        let kernel = try model.weights(ofLayer: 3)[0]
        for i in 0..<kernel.count { kernel[flat: i] *= 2 }
        try model.setWeights([kernel, Tensor(zeros: [3])], ofLayer: 3)
        let doubled = try short.predict(x)
        for i in 0..<9 { XCTAssertEqual(doubled[2][flat: i], 2 * outputs[2][flat: i], accuracy: 1e-5) }
        XCTAssertEqual(doubled[0].scalars, outputs[0].scalars)

        // The third output equals the big model's Dense(3) applied to the second output.
        let full = try Model(inputs: model.input, outputs: [model.nodes[3], model.nodes[4]])
        XCTAssertEqual(try full.predict(x)[0].scalars, doubled[2].scalars)
    }

    func testWeightsAreReadAndWrittenInKerasLayoutWithShapeChecks() throws {
        let model = try Model.sequential(inputShape: [3], layers: [Dense(units: 2)])
        let weights = try model.weights(ofLayer: 1)
        XCTAssertEqual(weights.map(\.shape), [[3, 2], [2]])
        try model.setWeights([Tensor(shape: [3, 2], values: [1, 0, 0, 1, 1, 1]), Tensor(shape: [2], values: [0.5, -0.5])], ofLayer: 1)
        let y = try model.predict(Tensor(shape: [1, 3], values: [1, 2, 3]))[0]
        XCTAssertEqual(y.scalars, [1 + 3 + 0.5, 2 + 3 - 0.5])
        XCTAssertThrowsError(try model.setWeights([Tensor(zeros: [2, 3]), Tensor(zeros: [2])], ofLayer: 1)) { error in
            XCTAssertEqual("\(error)", "weight dense/kernel has shape (3, 2), the value given has shape (2, 3)\n  hint: give a value of shape (3, 2)")
        }
        XCTAssertThrowsError(try model.setWeights([Tensor(zeros: [3, 2])], ofLayer: 1)) { error in
            XCTAssertTrue("\(error)".contains("has 2 weights, 1 were given"), "\(error)")
        }
        XCTAssertThrowsError(try model.weights(ofLayer: 5)) { error in
            XCTAssertTrue("\(error)".contains("layer index 5 is out of range"), "\(error)")
        }
        XCTAssertEqual(try model.weights(ofLayer: 1)[1].scalars, [0.5, -0.5], "failed sets change nothing")
    }

    func testGraphErrors() throws {
        let input = Node.input(shape: [4])
        let dense = try Dense(units: 2)
        let x = try dense(input)
        XCTAssertThrowsError(try dense(x)) { error in
            XCTAssertTrue("\(error)".contains("was built for input (None, 4), it is now applied to (None, 2)"), "\(error)")
        }
        let other = Node.input(shape: [4])
        let y = try Dense(units: 2)(other)
        XCTAssertThrowsError(try Model(inputs: input, outputs: y)) { error in
            XCTAssertTrue("\(error)".contains("is not computed from this model's input"), "\(error)")
        }
        XCTAssertThrowsError(try Model(inputs: x, outputs: x)) { error in
            XCTAssertTrue("\(error)".contains("must be an input node"), "\(error)")
        }
        XCTAssertThrowsError(try Model.sequential(inputShape: [4, 4], layers: [Dense(units: 2)])) { error in
            XCTAssertTrue("\(error)".contains("layer Dense cannot follow an output of shape (None, 4, 4)"), "\(error)")
        }
    }

    func testSameSeedGivesSameWeights() throws {
        let a = try xorModel(seed: 9), b = try xorModel(seed: 9), c = try xorModel(seed: 10)
        XCTAssertEqual(a.parameters.map(\.value.scalars), b.parameters.map(\.value.scalars))
        XCTAssertNotEqual(a.parameters.map(\.value.scalars), c.parameters.map(\.value.scalars))
    }

    func testSummaryDataAndText() throws {
        let model = try xorModel()
        let summary = model.summary
        XCTAssertEqual(summary.layers.map(\.nameAndType), ["input_layer (InputLayer)", "dense (Dense)", "dense_1 (Dense)"])
        XCTAssertEqual(summary.layers.map(\.outputShapeText), ["(None, 2)", "(None, 16)", "(None, 2)"])
        XCTAssertEqual(summary.totalParameters, 48 + 34)
        XCTAssertNil(summary.optimizerParameters)
        XCTAssertEqual(summary.modelName, "functional")
        XCTAssertEqual(summary.layers.map(\.name), ["input_layer", "dense", "dense_1"])
        XCTAssertEqual(summary.layers.map(\.typeName), ["InputLayer", "Dense", "Dense"])
        XCTAssertEqual(summary.layers.map(\.outputShape), [[2], [16], [2]])
        // Dense parameters: 2·16 + 16 and 16·2 + 2.
        XCTAssertEqual(summary.layers.map(\.parameterCount), [0, 48, 34])
        XCTAssertEqual(summary.trainableParameters, 82)
        XCTAssertEqual(summary.nonTrainableParameters, 0)

        // After training, Keras adds the optimizer's variables: Adam's two slots per weight,
        // its iteration count and learning rate.
        let data = xorData(count: 8, seed: 1)
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy")
        try model.fit(x: data.x, y: data.y)
        XCTAssertEqual(model.summary.optimizerParameters, 2 * 82 + 2)
        XCTAssertEqual(model.summary.totalParameters, 82, "the weights themselves are unchanged")
    }
}
