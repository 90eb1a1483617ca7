import Engine
import XCTest

/// Keras's callbacks on recorded metric sequences: where Keras 3.15's own `EarlyStopping` stops
/// on each (recorded by running it epoch by epoch on the same values).
final class CallbackTests: XCTestCase {
    func testEarlyStoppingStopsWhereKerasStops() {
        // (monitor, values, patience, min_delta, Keras's stopped epoch, best epoch) — 0-based.
        let cases: [(String, [Double], Int, Double, Int?, Int)] = [
            ("val_loss", [1.0, 0.8, 0.81, 0.79, 0.80, 0.82, 0.83, 0.7], 2, 0, 5, 3),
            ("val_loss", [1.0, 0.8, 0.79, 0.785, 0.80, 0.6], 1, 0.02, 2, 1),
            ("val_accuracy", [0.5, 0.6, 0.6, 0.59, 0.7], 1, 0, 2, 1),
            ("loss", [1.0, 0.9, 0.95, 0.5], 0, 0, 2, 1),
            ("val_loss", [0.5, 0.6, 0.7, 0.4], 2, 0, 2, 0),
            ("val_loss", [0.5, 0.4, 0.3, 0.2], 0, 0, nil, 3),
        ]
        for (monitor, values, patience, minDelta, stopped, best) in cases {
            let callback = EarlyStopping(monitor: Monitor(monitor, minDelta: minDelta), patience: patience)
            var stoppedAt: Int?
            for (epoch, value) in values.enumerated() where callback.epochEnded(epoch, logs: [monitor: value], model: nil) {
                stoppedAt = epoch
                break
            }
            XCTAssertEqual(stoppedAt, stopped, "\(monitor) \(values) patience \(patience)")
            XCTAssertEqual(callback.stoppedEpoch, stopped)
            XCTAssertEqual(callback.bestEpoch, best, "\(monitor) \(values)")
        }
    }

    func testEarlyStoppingIgnoresAMissingMetricAndTheFirstEpoch() {
        let callback = EarlyStopping(patience: 0)
        XCTAssertFalse(callback.epochEnded(0, logs: ["loss": 1], model: nil))
        XCTAssertFalse(callback.epochEnded(0, logs: ["val_loss": 1], model: nil))
    }

    func testCheckpointSavesTheFirstEpochAndEachImprovement() throws {
        let model = try Model.sequential(inputShape: [2], layers: [Dense(units: 1)], seed: 1)
        var saves = 0
        let checkpoint = ModelCheckpoint(monitor: Monitor("val_accuracy")) { _ in saves += 1 }
        for (epoch, value) in [0.5, 0.4, 0.6, 0.6, 0.7].enumerated() {
            try checkpoint.epochEnded(epoch, logs: ["val_accuracy": value], model: model)
        }
        XCTAssertEqual(checkpoint.savedEpochs, [0, 2, 4])
        XCTAssertEqual(saves, 3)
    }
}
