import Engine
import Foundation
import TestSupport
import XCTest

/// `class_weight`, ReduceLROnPlateau and the learning-rate schedules against Keras 3 itself:
/// the real callback on recorded metric sequences, the real schedules at chosen steps, and
/// the same small network trained by both with class weights and a schedule.
final class LearningRateAndClassWeightTests: XCTestCase {
    /// (monitor, values, factor, patience, min_delta, min_lr), every rate starting at 0.001.
    static let plateaus: [(String, [Double], Double, Int, Double, Double)] = [
        ("val_loss", [1.0, 0.9, 0.9, 0.9, 0.85, 0.85, 0.85, 0.85, 0.84, 0.84, 0.84], 0.5, 2, 1e-4, 0),
        ("val_loss", [1.0, 0.99995, 0.9999, 0.99985, 0.5, 0.5, 0.5, 0.5, 0.5], 0.1, 1, 1e-4, 2e-5),
        ("val_accuracy", [0.5, 0.6, 0.6, 0.6, 0.61, 0.61, 0.62, 0.62], 0.2, 1, 0, 1e-5),
        ("loss", [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 0.5, 0, 1e-4, 0),
        ("loss", [3, 2, 1, 0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4], 0.1, 10, 1e-4, 0),
    ]
    static let steps = [0, 1, 7, 250, 500, 999, 1000, 1500]

    /// What Keras gives for the cases above, the schedules at `steps`, and three short trainings.
    static let kerasScript = #"""
import json, sys
import numpy as np, keras
cases = json.loads(sys.argv[1])
steps = json.loads(sys.argv[2])
out = {"plateaus": []}
for monitor, values, factor, patience, min_delta, min_lr in cases:
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.001), loss="mse")
    # Keras's "auto" tells max from min by the compiled metrics; these are the modes it picks.
    mode = "max" if monitor.endswith("accuracy") else "min"
    cb = keras.callbacks.ReduceLROnPlateau(monitor=monitor, factor=factor, patience=patience, min_delta=min_delta,
                                           min_lr=min_lr, mode=mode)
    cb.set_model(model)
    cb.on_train_begin()
    logged, after = [], []
    for epoch, value in enumerate(values):
        logs = {monitor: value}
        cb.on_epoch_end(epoch, logs)
        logged.append(logs["learning_rate"])
        after.append(float(np.asarray(model.optimizer.learning_rate)))
    out["plateaus"].append({"logged": logged, "after": after})
S = keras.optimizers.schedules
schedules = {"cosine": S.CosineDecay(0.01, 1000, alpha=0.1), "cosine0": S.CosineDecay(0.05, 777),
             "exponential": S.ExponentialDecay(0.01, 100, 0.96), "staircase": S.ExponentialDecay(0.1, 300, 0.5, staircase=True)}
out["schedules"] = {name: [float(np.asarray(s(step))) for step in steps] for name, s in schedules.items()}
x = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7], [-0.2, 0.8, 0.1], [0.9, -0.4, -1.2], [-1.1, 0.6, 0.4],
              [0.3, 0.3, 0.3], [2.0, -0.5, 0.7], [-0.6, -0.9, 1.1], [0.1, 1.4, -0.3], [1.2, 0.2, 0.9]], "float32")
y = np.array([0, 1, 1, 0, 1, 1, 1, 0, 1, 1])
kernel = np.array([[0.2, -0.3], [0.4, 0.1], [-0.5, 0.25]], "float32")
bias = np.array([0.05, -0.05], "float32")
runs = {"class_weight": (keras.optimizers.SGD(0.1), {0: 1.0, 1: 3.5}),
        "exponential": (keras.optimizers.SGD(S.ExponentialDecay(0.1, 2, 0.5)), None),
        "cosine": (keras.optimizers.Adam(S.CosineDecay(0.01, 4, alpha=0.1)), {1: 0.25})}
out["fits"] = {}
for name, (optimizer, weights) in runs.items():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.set_weights([kernel, bias])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, class_weight=weights, verbose=0)
    out["fits"][name] = {"loss": h.history["loss"], "accuracy": h.history["accuracy"],
                         "weights": [w.ravel().tolist() for w in model.get_weights()]}
print(json.dumps(out))
"""#

    struct KerasNumbers: Decodable {
        struct Plateau: Decodable { var logged: [Double]; var after: [Double] }
        struct Fit: Decodable { var loss: [Double]; var accuracy: [Double]; var weights: [[Float]] }
        var plateaus: [Plateau]
        var schedules: [String: [Double]]
        var fits: [String: Fit]
    }

    nonisolated(unsafe) static var keras: KerasNumbers?

    private func kerasNumbers() throws -> KerasNumbers {
        if let numbers = Self.keras { return numbers }
        try Python.require(["keras", "numpy"])
        let cases = Self.plateaus.map { [$0.0, $0.1, $0.2, $0.3, $0.4, $0.5] as [Any] }
        let arguments = [try JSONSerialization.data(withJSONObject: cases), try JSONSerialization.data(withJSONObject: Self.steps)]
            .map { String(decoding: $0, as: UTF8.self) }
        let result = try XCTUnwrap(Python.run(["-c", Self.kerasScript] + arguments, timeout: 300))
        XCTAssertEqual(result.status, 0, result.stderr)
        let line = try XCTUnwrap(result.stdout.split(separator: "\n").last)
        let numbers = try JSONDecoder().decode(KerasNumbers.self, from: Data(line.utf8))
        Self.keras = numbers
        return numbers
    }

    func testReduceLROnPlateauLowersTheRateWhereKerasDoes() throws {
        let keras = try kerasNumbers()
        for (index, (monitor, values, factor, patience, minDelta, minLR)) in Self.plateaus.enumerated() {
            let optimizer = SGD(learningRate: 0.001)
            let callback = ReduceLROnPlateau(monitor: Monitor(monitor, minDelta: minDelta), factor: factor, patience: patience, minLR: minLR)
            var logged: [Double] = [], after: [Double] = []
            for (epoch, value) in values.enumerated() {
                logged.append(Double(optimizer.learningRate))
                callback.epochEnded(epoch, logs: [monitor: value], optimizer: optimizer)
                after.append(Double(optimizer.learningRate))
            }
            XCTAssertEqual(logged, keras.plateaus[index].logged, "case \(index): \(monitor) \(values)")
            XCTAssertEqual(after, keras.plateaus[index].after, "case \(index): \(monitor) \(values)")
        }
        // The first case, spelled out: two epochs without improvement halve the rate, each time.
        XCTAssertEqual(keras.plateaus[0].after.map { Float($0) }, [0.001, 0.001, 0.001, 0.0005, 0.0005, 0.0005, 0.00025, 0.00025,
                                                                    0.00025, 0.00025, 0.000125])
    }

    func testSchedulesMatchKerasAtChosenSteps() throws {
        let keras = try kerasNumbers()
        let schedules: [String: LearningRateSchedule] = [
            "cosine": .cosine(initial: 0.01, decaySteps: 1000, alpha: 0.1),
            "cosine0": .cosine(initial: 0.05, decaySteps: 777, alpha: 0),
            "exponential": .exponential(initial: 0.01, decaySteps: 100, decayRate: 0.96, staircase: false),
            "staircase": .exponential(initial: 0.1, decaySteps: 300, decayRate: 0.5, staircase: true),
        ]
        for (name, schedule) in schedules {
            let expected = try XCTUnwrap(keras.schedules[name])
            for (step, value) in zip(Self.steps, expected) {
                // Float32 both; 1 + cos(πf) loses a few bits where the cosine nears -1.
                XCTAssertEqual(Double(schedule.rate(at: step)), value, accuracy: value * 1e-6, "\(name) at step \(step)")
            }
        }
        // By hand: half way down the cosine is the mean of the start and the floor.
        XCTAssertEqual(LearningRateSchedule.cosine(initial: 0.01, decaySteps: 1000, alpha: 0.1).rate(at: 500), 0.0055, accuracy: 1e-9)
        XCTAssertEqual(LearningRateSchedule.exponential(initial: 0.1, decaySteps: 300, decayRate: 0.5, staircase: true).rate(at: 599), 0.05)
    }

    /// Dense(2, softmax) on ten items, batches of 4, two epochs unshuffled, trained by both.
    func testClassWeightsAndSchedulesTrainAsKerasDoes() throws {
        let keras = try kerasNumbers()
        let x: [Float] = [0.5, -1.0, 2.0, 1.5, 0.3, -0.7, -0.2, 0.8, 0.1, 0.9, -0.4, -1.2, -1.1, 0.6, 0.4,
                          0.3, 0.3, 0.3, 2.0, -0.5, 0.7, -0.6, -0.9, 1.1, 0.1, 1.4, -0.3, 1.2, 0.2, 0.9]
        let y: [Int32] = [0, 1, 1, 0, 1, 1, 1, 0, 1, 1]
        let runs: [(String, any Optimizer, [Int: Float]?, LearningRateSchedule?)] = [
            ("class_weight", SGD(learningRate: 0.1), [0: 1.0, 1: 3.5], nil),
            ("exponential", SGD(learningRate: 0.1), nil, .exponential(initial: 0.1, decaySteps: 2, decayRate: 0.5, staircase: false)),
            ("cosine", Adam(learningRate: 0.01), [1: 0.25], .cosine(initial: 0.01, decaySteps: 4, alpha: 0.1)),
        ]
        for (name, optimizer, classWeights, schedule) in runs {
            let model = try Model.sequential(inputShape: [3], layers: [Dense(units: 2, activation: .softmax)], seed: 1)
            let kernel: [Float] = [0.2, -0.3, 0.4, 0.1, -0.5, 0.25], bias: [Float] = [0.05, -0.05]
            for (parameter, values) in zip(model.parameters, [kernel, bias]) {
                values.withUnsafeBufferPointer { parameter.value.pointer.update(from: $0.baseAddress!, count: values.count) }
            }
            model.compile(optimizer: optimizer, loss: Loss(.sparseCategoricalCrossentropy), metrics: [.accuracy])
            let source = try TensorBatchSource(inputs: Tensor(shape: [10, 3], values: x), labels: y)
            let history = try model.fit(source, options: FitOptions(epochs: 2, batchSize: 4, shuffle: false,
                                                                    classWeights: classWeights, schedule: schedule))
            let expected = try XCTUnwrap(keras.fits[name])
            for (ours, theirs) in zip(history.loss, expected.loss) {
                XCTAssertEqual(ours, theirs, accuracy: 2e-6, "\(name): the weighted loss Keras reports")
            }
            XCTAssertEqual(history.accuracy.map { Float($0) }, expected.accuracy.map { Float($0) }, "\(name): accuracy is not weighted")
            for (parameter, theirs) in zip(model.parameters, expected.weights) {
                for (a, b) in zip(parameter.value.scalars, theirs) {
                    XCTAssertEqual(a, b, accuracy: 2e-6, "\(name): weights after two epochs")
                }
            }
            if let schedule {
                // One rate per epoch, read as Keras reads the optimizer's after the epoch's 3 steps;
                // the compiled rate is back once fit ends.
                XCTAssertEqual(history["learning_rate"], [Double(schedule.rate(at: 3)), Double(schedule.rate(at: 6))])
                XCTAssertEqual(optimizer.learningRate, schedule.initial)
            } else {
                XCTAssertNil(history["learning_rate"])
            }
        }
    }

    /// By hand: with a rate of 0 nothing moves, and the reported loss is the mean over the items
    /// of weight · -log p(label) (divided by the item count, not the weights' sum, as Keras 3).
    func testWeightedLossByHand() throws {
        let model = try Model.sequential(inputShape: [2], layers: [Dense(units: 3, activation: .softmax)], seed: 3)
        model.compile(optimizer: SGD(learningRate: 0), loss: Loss(.sparseCategoricalCrossentropy), metrics: [.accuracy])
        let x = Tensor(shape: [5, 2], values: [1, 2, -1, 0.5, 0.3, -2, 2, 2, 0, -1])
        let y: [Int32] = [0, 2, 1, 2, 0]
        let p = try model.predict(x)[0]
        let weights: [Int: Float] = [0: 2, 2: 0.5]  // class 1 is not named: weight 1
        var expected = 0.0
        for (i, label) in y.enumerated() {
            expected += Double(weights[Int(label)] ?? 1) * -log(Double(p[i, Int(label)]))
        }
        expected /= 5
        let history = try model.fit(TensorBatchSource(inputs: x, labels: y),
                                    options: FitOptions(epochs: 1, batchSize: 2, shuffle: false, classWeights: weights))
        XCTAssertEqual(history.loss[0], expected, accuracy: 1e-6)
    }
}
