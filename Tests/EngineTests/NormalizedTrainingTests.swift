import Engine
import XCTest

/// Models with batch normalisation, trained end to end.
final class NormalizedTrainingTests: XCTestCase {
    /// The keras-io Conv1D time-series classifier (FordA): three blocks of Conv1D(64, 3,
    /// padding same), BatchNormalization, ReLU; GlobalAveragePooling1D; Dense(2, softmax).
    func timeSeriesClassifier(length: Int, momentum: Float = 0.99) throws -> Model {
        var layers: [any Layer] = []
        for _ in 0..<3 {
            layers += [try Convolution(rank: 1, filters: 64, kernelSize: [3], padding: .same), try BatchNormalization(momentum: momentum),
                       try ReLU()]
        }
        layers += [try GlobalPooling(kind: .average, rank: 1), try Dense(units: 2, activation: .softmax)]
        return try Model.sequential(inputShape: [length, 1], layers: layers, seed: 4)
    }

    /// Two classes of noisy waves: a slow one and a fast one.
    func waves(count: Int, length: Int, seed: UInt64) -> (x: Tensor, y: [Int32]) {
        var generator = SeededGenerator(seed: seed)
        let x = Tensor(zeros: [count, length, 1])
        var y: [Int32] = []
        for n in 0..<count {
            let label = Int32(n % 2), phase = generator.uniform(0, 6.28)
            let frequency: Float = label == 0 ? 0.05 : 0.4
            for t in 0..<length { x[n, t, 0] = sinf(Float(t) * frequency + phase) + 0.3 * generator.normal() }
            y.append(label)
        }
        return (x, y)
    }

    func testTimeSeriesClassifierHasKerasCountsAndTrains() throws {
        let model = try timeSeriesClassifier(length: 500)
        let summary = model.summary
        // Keras 3.15: 25,858 parameters, 384 of them non-trainable (three layers of 2 · 64).
        XCTAssertEqual(summary.totalParameters, 25_858)
        XCTAssertEqual(summary.nonTrainableParameters, 384)
        XCTAssertEqual(summary.layers.map(\.name), ["input_layer", "conv1d", "batch_normalization", "re_lu", "conv1d_1", "batch_normalization_1",
                                                    "re_lu_1", "conv1d_2", "batch_normalization_2", "re_lu_2",
                                                    "global_average_pooling1d", "dense"])
        XCTAssertEqual(summary.layers[2].outputShape, [500, 64])

        // A short run: with Keras's momentum 0.99 the moving statistics would still be mostly
        // their starting values after 80 steps, and inference would not yet match training.
        let short = try timeSeriesClassifier(length: 64, momentum: 0.9)
        let train = waves(count: 64, length: 64, seed: 1)
        try short.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        let bn = short.layers[2] as? BatchNormalization
        XCTAssertEqual(bn?.movingMean.value.scalars.allSatisfy { $0 == 0 }, true)
        let history = try short.fit(x: train.x, y: train.y, epochs: 20, batchSize: 16, seed: 2)
        XCTAssertLessThan(history.loss.last ?? 1, history.loss.first ?? 0)
        XCTAssertGreaterThanOrEqual(history.accuracy.last ?? 0, 0.9)
        // Training moved the moving statistics; inference uses them and still separates the classes.
        XCTAssertEqual(bn?.movingMean.value.scalars.contains { $0 != 0 }, true)
        let test = waves(count: 32, length: 64, seed: 9)
        XCTAssertGreaterThanOrEqual(try short.evaluate(x: test.x, y: test.y).accuracy ?? 0, 0.9)
    }

    func testFrozenBatchNormalizationKeepsItsStatisticsInTraining() throws {
        let model = try timeSeriesClassifier(length: 16)
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy")
        let bn = try XCTUnwrap(model.layers[2] as? BatchNormalization)
        bn.setFrozen(true)
        XCTAssertEqual(model.summary.nonTrainableParameters, 384 + 128, "γ and β frozen too")
        let data = waves(count: 8, length: 16, seed: 3)
        try model.fit(x: data.x, y: data.y, epochs: 1, batchSize: 4, seed: 1)
        XCTAssertEqual(bn.movingMean.value.scalars, Array(repeating: 0, count: 64))
        XCTAssertEqual(bn.gamma.value.scalars, Array(repeating: 1, count: 64))
    }
}
