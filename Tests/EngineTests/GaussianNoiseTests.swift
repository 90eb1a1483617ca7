import Basics
import Engine
import XCTest

final class GaussianNoiseTests: XCTestCase {
    func built(_ layer: GaussianNoise, _ shape: [Int]) throws -> GaussianNoise {
        var generator = SeededGenerator(seed: 1)
        try layer.build(inputShape: shape, generator: &generator)
        return layer
    }

    func testIdentityAtInferenceAndNoiseOfTheGivenSpreadInTraining() throws {
        let x = Tensor(shape: [4, 50, 50], repeating: 2)
        let layer = try built(GaussianNoise(stddev: 0.3, seed: 7), [50, 50])
        XCTAssertEqual(layer.forward(x, training: false).scalars, x.scalars)
        let noisy = layer.forward(x, training: true).scalars.map { Double($0) - 2 }
        // 10,000 draws: the mean within 4 standard errors of 0, the deviation within 3% of 0.3.
        let mean = noisy.reduce(0, +) / Double(noisy.count)
        let deviation = (noisy.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(noisy.count)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 4 * 0.3 / 100)
        XCTAssertEqual(deviation, 0.3, accuracy: 0.009)
        // The gradient passes unchanged: the noise does not depend on the input.
        let g = Tensor(shape: x.shape, repeating: 0.5)
        XCTAssertEqual(layer.backward(g).scalars, g.scalars)
    }

    func testSeededInTraining() throws {
        let x = Tensor(shape: [2, 6], repeating: 0)
        let a = try built(GaussianNoise(stddev: 1, seed: 3), [6]).forward(x, training: true).scalars
        XCTAssertEqual(a, try built(GaussianNoise(stddev: 1, seed: 3), [6]).forward(x, training: true).scalars)
        XCTAssertNotEqual(a, try built(GaussianNoise(stddev: 1, seed: 4), [6]).forward(x, training: true).scalars)
    }

    func testKerasNameConfigurationAndRefusals() throws {
        let layer = try GaussianNoise(stddev: 0.1, seed: 5)
        XCTAssertEqual(layer.typeName, "GaussianNoise")
        XCTAssertEqual(layer.name, "gaussian_noise")
        XCTAssertEqual(layer.defaultNamePrefix, "gaussian_noise")
        XCTAssertEqual(layer.configuration.map(\.key), ["stddev", "seed"])
        XCTAssertEqual(layer.configuration.map(\.value.literal), ["0.1", "5"])
        let asLayer: any Layer = layer
        XCTAssertNotNil(asLayer as? TrainingOnlyLayer, "apply and ONNX export see a layer that acts only in training")
        XCTAssertThrowsError(try GaussianNoise(stddev: -1)) { error in
            XCTAssertEqual((error as? ConfigurationError)?.message, "GaussianNoise stddev must be at least 0, got -1.0")
        }
        XCTAssertEqual(try layer.outputShape(for: [7, 3]), [7, 3])
        XCTAssertEqual(layer.parameterCount, 0)
    }
}
