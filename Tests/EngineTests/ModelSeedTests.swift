import Engine
import TestSupport
import XCTest

final class ModelSeedTests: XCTestCase {
    func testSeedModelNamesShapesAndParameterCountsAreKeras() throws {
        let model = try seedModel()
        XCTAssertEqual(model.layers.map(\.name), ["input_layer", "conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1",
                                                  "conv2d_2", "flatten", "dense", "dense_1"])
        XCTAssertEqual(model.nodes.map(\.shapeDescription), [
            "(None, 32, 32, 3)", "(None, 30, 30, 32)", "(None, 15, 15, 32)", "(None, 13, 13, 64)", "(None, 6, 6, 64)",
            "(None, 4, 4, 64)", "(None, 1024)", "(None, 64)", "(None, 10)"])
        XCTAssertEqual(model.layers.map(\.parameterCount), [0, 896, 0, 18_496, 0, 36_928, 0, 65_600, 650])
        XCTAssertEqual(model.parameterCount, 122_570)
        XCTAssertEqual(try model.weights(ofLayer: 1).map(\.shape), [[3, 3, 3, 32], [32]])
        // Forward multiply-adds: 30·30·32·27 + 13·13·64·288 + 4·4·64·576 + 1024·64 + 64·10.
        XCTAssertEqual(model.multiplyAdds, 777_600 + 3_115_008 + 589_824 + 65_536 + 640)

        let summary = model.summary
        XCTAssertEqual(summary.totalParameters, 122_570)
        XCTAssertEqual(summary.trainableParameters, 122_570)
        XCTAssertEqual(summary.nonTrainableParameters, 0)
        XCTAssertEqual(summary.modelName, "functional")
        XCTAssertEqual(summary.layers.map(\.name), ["input_layer", "conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1",
                                                     "conv2d_2", "flatten", "dense", "dense_1"])
        XCTAssertEqual(summary.layers.map(\.typeName), ["InputLayer", "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D",
                                                         "Conv2D", "Flatten", "Dense", "Dense"])
        XCTAssertEqual(summary.layers.map(\.outputShape), [[32, 32, 3], [30, 30, 32], [15, 15, 32], [13, 13, 64], [6, 6, 64],
                                                            [4, 4, 64], [1024], [64], [10]])
        XCTAssertEqual(summary.layers[1].nameAndType, "conv2d (Conv2D)")
        XCTAssertEqual(summary.layers[4].outputShapeText, "(None, 6, 6, 64)")
        XCTAssertEqual(summary.layers.map(\.parameterCount), [0, 896, 0, 18_496, 0, 36_928, 0, 65_600, 650])
        XCTAssertEqual(summary.totalParameters, 122_570)
        XCTAssertEqual(summary.trainableParameters, 122_570)
        XCTAssertEqual(summary.nonTrainableParameters, 0)
    }

    func testFeatureMapSubModelOfThreeConvolutions() throws {
        let model = try seedModel()
        let short = try Model(inputs: model.input, outputs: [1, 3, 5].map { model.nodes[$0] })
        XCTAssertEqual(short.name, "functional_1")
        XCTAssertEqual(short.layers.map(\.name), ["input_layer", "conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1", "conv2d_2"])
        XCTAssertEqual(short.parameterCount, 896 + 18_496 + 36_928)
        var generator = SeededGenerator(seed: 2)
        let image = Tensor(zeros: [1, 32, 32, 3])
        for i in 0..<image.count { image[flat: i] = generator.uniform(0, 1) }
        let maps = try short.predict(image)
        XCTAssertEqual(maps.map(\.shape), [[1, 30, 30, 32], [1, 13, 13, 64], [1, 4, 4, 64]])
        XCTAssertTrue(maps.allSatisfy { $0.scalars.allSatisfy { $0 >= 0 } }, "relu outputs")
        // Same weights: the first conv's maps equal the first conv's output computed alone.
        let first = try Model(inputs: model.input, outputs: model.nodes[1])
        XCTAssertEqual(try first.predict(image)[0].scalars, maps[0].scalars)
    }

    func testSeedModelLearnsASmallGeneratedProblem() throws {
        // Ten classes, each a fixed random 32x32x3 pattern plus noise: ten epochs separate them.
        var generator = SeededGenerator(seed: 4)
        let patterns = (0..<10).map { _ in (0..<3072).map { _ in generator.uniform(0, 1) } }
        let count = 200
        let x = Tensor(zeros: [count, 32, 32, 3])
        var y: [Int32] = []
        for i in 0..<count {
            let label = i % 10
            y.append(Int32(label))
            for j in 0..<3072 { x[flat: i * 3072 + j] = patterns[label][j] + 0.3 * generator.normal() }
        }
        let model = try seedModel()
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        let history = try model.fit(x: x, y: y, epochs: 10, batchSize: 32)
        XCTAssertGreaterThan(history.accuracy.last ?? 0, 0.95, "running accuracy of the last epoch")
        XCTAssertLessThan(history.loss.last ?? 9, history.loss.first ?? 0)
        XCTAssertEqual(try model.evaluate(x: x, y: y).accuracy, 1.0)
    }
}
