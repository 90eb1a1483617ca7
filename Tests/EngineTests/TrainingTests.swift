import Engine
import XCTest

/// Four Gaussian blobs labelled XOR-wise: (+,+) and (-,-) are class 0, the others class 1.
func xorData(count: Int, seed: UInt64) -> (x: Tensor, y: [Int32]) {
    var generator = SeededGenerator(seed: seed)
    let x = Tensor(zeros: [count, 2])
    var y: [Int32] = []
    for i in 0..<count {
        let a: Float = generator.uniform(0, 1) < 0.5 ? -1 : 1
        let b: Float = generator.uniform(0, 1) < 0.5 ? -1 : 1
        x[i, 0] = a + 0.2 * generator.normal()
        x[i, 1] = b + 0.2 * generator.normal()
        y.append(a == b ? 0 : 1)
    }
    return (x, y)
}

func xorModel(seed: UInt64 = 1) throws -> Model {
    try Model.sequential(inputShape: [2], layers: [Dense(units: 16, activation: .relu),
                                                   Dense(units: 2, activation: .softmax)], seed: seed)
}

final class TrainingTests: XCTestCase {
    func testTinyModelLearnsXORToFullTrainingAccuracy() throws {
        let data = xorData(count: 200, seed: 5)
        let model = try xorModel()
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        model.optimizer?.learningRate = 0.01
        let history = try model.fit(x: data.x, y: data.y, epochs: 60, batchSize: 16, seed: 3)
        XCTAssertEqual(history.epochs, 60)
        XCTAssertEqual(history.accuracy.last, 1.0)
        XCTAssertLessThan(history.loss.last ?? 1, history.loss.first ?? 0)
        let result = try model.evaluate(x: data.x, y: data.y)
        XCTAssertEqual(result.accuracy, 1.0)
        XCTAssertLessThan(result.loss, 0.1)
    }

    func testHistoryProgressAndValidation() throws {
        let train = xorData(count: 100, seed: 1), test = xorData(count: 40, seed: 2)
        let model = try xorModel()
        try model.compile(optimizer: "sgd", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        var batches: [BatchProgress] = []
        var epochs: [EpochSummary] = []
        let history = try model.fit(x: train.x, y: train.y, epochs: 2, batchSize: 32,
                                    validationData: test, progress: { batches.append($0) },
                                    epochEnd: { epochs.append($0) })
        XCTAssertEqual(history.keys, ["accuracy", "loss", "val_accuracy", "val_loss"])
        XCTAssertEqual(history["val_loss"]?.count, 2)
        XCTAssertNil(history["precision"])
        // 100 items in batches of 32: 4 batches a epoch, the last of 4 items.
        XCTAssertEqual(batches.count, 8)
        XCTAssertEqual(batches.map(\.batch), [1, 2, 3, 4, 1, 2, 3, 4])
        XCTAssertEqual(batches.first?.batchCount, 4)
        XCTAssertEqual(batches[3].loss, history.loss[0], accuracy: 1e-12)
        XCTAssertEqual(batches[7].accuracy ?? -1, history.accuracy[1], accuracy: 1e-12)
        XCTAssertEqual(epochs.map(\.epoch), [1, 2])
        XCTAssertEqual(epochs[1].valAccuracy ?? -1, history.valAccuracy[1], accuracy: 1e-12)
        // Validation is evaluate on the final weights of the epoch.
        let evaluation = try model.evaluate(x: test.x, y: test.y)
        XCTAssertEqual(evaluation.loss, history.valLoss[1], accuracy: 1e-9)
    }

    func testCancellationAfterKBatchesKeepsTheModelUsable() throws {
        let data = xorData(count: 320, seed: 4)
        let model = try xorModel()
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        let before = try model.weights(ofLayer: 1)[0].scalars
        var done = 0
        // 10 batches an epoch; stop after 13 batches: one whole epoch and 3 of the next.
        let history = try model.fit(x: data.x, y: data.y, epochs: 5, batchSize: 32,
                                    progress: { _ in done += 1 }, shouldStop: { done >= 13 })
        XCTAssertTrue(history.cancelled)
        XCTAssertEqual(history.epochs, 1)
        XCTAssertEqual(history.batchesInCancelledEpoch, 3)
        XCTAssertEqual(model.optimizer?.iterations, 13)
        XCTAssertNotEqual(try model.weights(ofLayer: 1)[0].scalars, before)
        let predictions = try model.predict(data.x)
        XCTAssertEqual(predictions.count, 1)
        XCTAssertEqual(predictions[0].shape, [320, 2])
        for i in 0..<320 {
            XCTAssertEqual(predictions[0][i, 0] + predictions[0][i, 1], 1, accuracy: 1e-5)
        }
        // Training can go on afterwards.
        let more = try model.fit(x: data.x, y: data.y, epochs: 1)
        XCTAssertFalse(more.cancelled)
        XCTAssertEqual(more.epochs, 1)
    }

    func testPredictMatchesEvaluateAndBatchSizeDoesNotMatter() throws {
        let data = xorData(count: 70, seed: 8)
        let model = try xorModel()
        model.compile(optimizer: Adam(), loss: .sparseCategoricalCrossentropy, metrics: [.accuracy])
        let a = try model.predict(data.x, batchSize: 32)[0]
        let b = try model.predict(data.x, batchSize: 7)[0]
        // GEMM may sum in another order for another batch size: equal to float rounding.
        for (x, y) in zip(a.scalars, b.scalars) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        var correct = 0
        for i in 0..<70 where (a[i, 1] > a[i, 0] ? 1 : 0) == data.y[i] { correct += 1 }
        XCTAssertEqual(try model.evaluate(x: data.x, y: data.y).accuracy ?? -1, Double(correct) / 70, accuracy: 1e-12)
    }

    func testOneHotTargetsWithCategoricalCrossEntropyAndMSE() throws {
        let data = xorData(count: 64, seed: 9)
        let targets = Tensor(zeros: [64, 2])
        for (i, y) in data.y.enumerated() { targets[i, Int(y)] = 1 }
        for loss in [Loss.categoricalCrossentropy, .meanSquaredError] {
            let model = try xorModel()
            model.compile(optimizer: Adam(learningRate: 0.01), loss: loss, metrics: [.accuracy])
            let source = try TensorBatchSource(inputs: data.x, targets: targets)
            let history = try model.fit(source, epochs: 40, batchSize: 16)
            XCTAssertLessThan(history.loss.last ?? 1, history.loss.first ?? 0, "\(loss)")
            XCTAssertGreaterThan(history.accuracy.last ?? 0, 0.95, "\(loss)")
        }
    }

    func testFromLogitsOnALinearHeadTrainsAsASoftmaxHead() throws {
        // Softmax inside the loss or at the end of the model is one computation: from equal
        // weights and shuffles, equal losses and weights. The linear head without from_logits
        // has its outputs clipped as probabilities, and trains differently.
        let data = xorData(count: 96, seed: 4)
        let soft = try xorModel(), logits = try xorModel(), clipped = try xorModel()
        (logits.layers.last as? Dense)?.activation = .linear
        (clipped.layers.last as? Dense)?.activation = .linear
        soft.compile(optimizer: Adam(learningRate: 0.01), loss: .sparseCategoricalCrossentropy)
        logits.compile(optimizer: Adam(learningRate: 0.01), loss: Loss(.sparseCategoricalCrossentropy, fromLogits: true))
        clipped.compile(optimizer: Adam(learningRate: 0.01), loss: .sparseCategoricalCrossentropy)
        let a = try soft.fit(x: data.x, y: data.y, epochs: 5, batchSize: 16, seed: 3)
        let b = try logits.fit(x: data.x, y: data.y, epochs: 5, batchSize: 16, seed: 3)
        let c = try clipped.fit(x: data.x, y: data.y, epochs: 5, batchSize: 16, seed: 3)
        for epoch in 0..<5 { XCTAssertEqual(a.loss[epoch], b.loss[epoch], accuracy: 1e-5) }
        for (p, q) in zip(soft.parameters, logits.parameters) {
            for i in 0..<p.value.count { XCTAssertEqual(p.value[flat: i], q.value[flat: i], accuracy: 1e-5) }
        }
        XCTAssertGreaterThan(abs(c.loss[4] - a.loss[4]), 0.05, "\(c.loss) vs \(a.loss)")
    }

    func testBinaryCrossEntropyOnASigmoidUnitLearnsXOR() throws {
        let data = xorData(count: 128, seed: 6)
        let targets = Tensor(shape: [128, 1], values: data.y.map(Float.init))
        let model = try Model.sequential(inputShape: [2], layers: [Dense(units: 16, activation: .relu),
                                                                   Dense(units: 1, activation: .sigmoid)], seed: 2)
        model.compile(optimizer: Adam(learningRate: 0.02), loss: .binaryCrossentropy, metrics: [.accuracy])
        let history = try model.fit(TensorBatchSource(inputs: data.x, targets: targets), epochs: 40, batchSize: 16)
        XCTAssertLessThan(history.loss.last ?? 1, 0.2, "\(history.loss)")
        XCTAssertGreaterThan(history.accuracy.last ?? 0, 0.95)
    }

    func testTrainingErrorsAreClear() throws {
        let data = xorData(count: 8, seed: 1)
        let model = try xorModel()
        XCTAssertThrowsError(try model.fit(x: data.x, y: data.y)) { error in
            XCTAssertTrue("\(error)".contains("is not compiled"), "\(error)")
        }
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy")
        XCTAssertThrowsError(try model.fit(x: Tensor(zeros: [8, 3]), y: data.y)) { error in
            XCTAssertTrue("\(error)".contains("the data's items have shape (None, 3), model functional takes (None, 2)"), "\(error)")
        }
        XCTAssertThrowsError(try model.fit(x: data.x, y: [Int32](repeating: 5, count: 8))) { error in
            XCTAssertTrue("\(error)".contains("label 5 is outside the 2 classes"), "\(error)")
        }
        XCTAssertThrowsError(try model.compile(optimizer: "adagrad", loss: "mse")) { error in
            XCTAssertTrue("\(error)".contains("unknown optimizer 'adagrad'"), "\(error)")
        }
        // The model still works after the errors.
        XCTAssertEqual(try model.predict(data.x)[0].shape, [8, 2])
    }
}
