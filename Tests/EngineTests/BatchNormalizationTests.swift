import Engine
import XCTest

final class BatchNormalizationTests: XCTestCase {
    /// The 4x2x3 batch the Keras reference used: x_i = (7i mod 11) / 5 − 1.
    func referenceBatch() -> Tensor {
        Tensor(shape: [4, 2, 3], values: (0..<24).map { Float((7 * $0) % 11) / 5 - 1 })
    }

    func built(_ shape: [Int], momentum: Float = 0.99) throws -> BatchNormalization {
        let layer = try BatchNormalization(momentum: momentum)
        var generator = SeededGenerator(seed: 1)
        try layer.build(inputShape: shape, generator: &generator)
        return layer
    }

    func testWeightsAreKerasOnes() throws {
        let layer = try built([10, 10, 8])
        XCTAssertEqual(layer.parameters.map(\.name), ["gamma", "beta", "moving_mean", "moving_variance"])
        XCTAssertEqual(layer.parameters.map(\.value.shape), [[8], [8], [8], [8]])
        XCTAssertEqual(layer.parameters.map(\.isTrainable), [true, true, false, false])
        XCTAssertEqual(layer.gamma.value.scalars, Array(repeating: 1, count: 8))
        XCTAssertEqual(layer.beta.value.scalars, Array(repeating: 0, count: 8))
        XCTAssertEqual(layer.movingMean.value.scalars, Array(repeating: 0, count: 8))
        XCTAssertEqual(layer.movingVariance.value.scalars, Array(repeating: 1, count: 8))
        // Keras: 32 parameters on (10, 10, 8), 16 of them non-trainable.
        XCTAssertEqual(layer.parameterCount, 32)
        XCTAssertEqual(layer.trainableParameterCount, 16)
        XCTAssertEqual(layer.name, "batch_normalization")
        XCTAssertEqual(layer.configuration.map(\.key), ["axis", "momentum", "epsilon"])
        XCTAssertEqual(layer.configuration.map(\.value.literal), ["-1", "0.99", "0.001"])
    }

    func testMovingStatisticsAfterThreeStepsMatchAHandComputation() throws {
        let layer = try built([2, 3])
        let x = referenceBatch()
        for _ in 0..<3 { _ = layer.forward(x, training: true) }
        // Channel 0 holds −1, 1, 0.8, 0.6, 0.4, 0.2, 0, −0.2: mean 0.225, biased variance
        // 0.354375. Three updates from (0, 1) with momentum m leave
        // mean · (1 − m³) and m³ + variance · (1 − m³); 1 − 0.99³ = 0.029701.
        let kept = Float(0.99 * 0.99 * 0.99), taken = 1 - kept
        let means: [Float] = [0.225, -0.3, 0], variances: [Float] = [0.354375, 0.21, 0.54]
        for ch in 0..<3 {
            XCTAssertEqual(layer.movingMean.value[ch], means[ch] * taken, accuracy: 1e-6)
            XCTAssertEqual(layer.movingVariance.value[ch], kept + variances[ch] * taken, accuracy: 1e-6)
        }
        // Keras 3.15 (JAX) on the same batch, three calls with training=True.
        XCTAssertEqual(layer.movingMean.value.scalars[0], 0.0066827, accuracy: 1e-6)
        XCTAssertEqual(layer.movingMean.value.scalars[1], -0.0089103, accuracy: 1e-6)
        XCTAssertEqual(layer.movingVariance.value.scalars, [0.9808243, 0.9765362, 0.9863376], accuracy: 1e-6)
    }

    func testTrainingUsesTheBatchAndInferenceTheMovingStatistics() throws {
        let layer = try built([2, 3])
        let x = referenceBatch()
        var training: [Float] = []
        for _ in 0..<3 { training = layer.forward(x, training: true).scalars }
        // Keras's outputs for item 0 after the third training call, then in inference.
        XCTAssertEqual(Array(training[0..<6]), [-2.0549092, 1.5239012, -0.5438277, 1.3000447, 1.0885009, -0.8157416], accuracy: 1e-5)
        let inference = layer.forward(x, training: false).scalars
        XCTAssertEqual(Array(inference[0..<6]), [-1.015958, 0.413582, -0.4025568, 1.0024694, 0.2112971, -0.6038352], accuracy: 1e-5)
        // Inference leaves the moving statistics alone.
        let before = layer.movingMean.value.scalars
        _ = layer.forward(x, training: false)
        XCTAssertEqual(layer.movingMean.value.scalars, before)
        // Training output has zero mean and unit (biased) variance per channel, up to ε.
        for ch in 0..<3 {
            let column = stride(from: ch, to: 24, by: 3).map { Double(training[$0]) }
            let mean = column.reduce(0, +) / 8
            XCTAssertEqual(mean, 0, accuracy: 1e-6)
            XCTAssertEqual(column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 8, 1, accuracy: 0.01)
        }
    }

    func testFrozenLayerNormalisesWithItsMovingStatisticsAsKerasDoes() throws {
        let layer = try built([2, 3])
        layer.setFrozen(true)
        let x = referenceBatch()
        let frozen = layer.forward(x, training: true).scalars
        XCTAssertEqual(frozen, layer.forward(x, training: false).scalars)
        XCTAssertEqual(layer.movingMean.value.scalars, [0, 0, 0])
        XCTAssertEqual(layer.trainableParameterCount, 0)
    }

    func testGradientsInTrainingAndInference() throws {
        for shape in [[6, 4], [3, 3, 2, 5], [2, 4, 3]] {
            try assertGradients(BatchNormalization(), batchShape: shape, training: true)
            try assertGradients(BatchNormalization(), batchShape: shape, training: false)
        }
    }

    func testSettingsKerasRejects() {
        XCTAssertThrowsError(try BatchNormalization(momentum: 1.5)) { error in
            XCTAssertEqual((error as? ConfigurationError)?.message, "BatchNormalization momentum must be in [0, 1], got 1.5")
        }
        XCTAssertThrowsError(try BatchNormalization(epsilon: 0))
        XCTAssertThrowsError(try BatchNormalization().outputShape(for: []))
    }
}

func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "counts differ: \(a) vs \(b)", file: file, line: line)
    for (x, y) in zip(a, b) where abs(x - y) > accuracy {
        XCTFail("\(a) differs from \(b) by more than \(accuracy)", file: file, line: line)
        return
    }
}
