import Engine
import XCTest

final class ActivationLayerTests: XCTestCase {
    /// Keras 3.15 on [−2, −0.5, 0, 0.5, 3].
    let points: [Float] = [-2, -0.5, 0, 0.5, 3]

    func apply(_ layer: Layer, _ values: [Float]) throws -> [Float] {
        var generator = SeededGenerator(seed: 1)
        try layer.build(inputShape: [values.count], generator: &generator)
        return layer.forward(Tensor(shape: [1, values.count], values: values), training: false).scalars
    }

    func testValuesMatchKeras() throws {
        XCTAssertEqual(try apply(ReLU(), points), [0, 0, 0, 0.5, 3])
        XCTAssertEqual(try apply(ReLU(maxValue: 6, negativeSlope: 0.1, threshold: 1), points), [-0.3, -0.15, -0.1, -0.05, 3], accuracy: 1e-6)
        XCTAssertEqual(try apply(ReLU(maxValue: 1), points), [0, 0, 0, 0.5, 1])
        XCTAssertEqual(try apply(LeakyReLU(), points), [-0.6, -0.15, 0, 0.5, 3], accuracy: 1e-6)
        XCTAssertEqual(try apply(ELU(), points), [-0.8646647, -0.3934693, 0, 0.5, 3], accuracy: 1e-6)
        XCTAssertEqual(try apply(Softmax(), [1, 2, 3]), [0.09003057, 0.24472847, 0.66524096], accuracy: 1e-6)
        XCTAssertEqual(try apply(PReLU(), points), [0, 0, 0, 0.5, 3], "α starts at zeros")
    }

    func testKerasNamesAndDefaults() throws {
        let layers: [(Layer, String, String, [String])] = [
            (try ReLU(), "ReLU", "re_lu", ["None", "0.0", "0.0"]),
            (try LeakyReLU(), "LeakyReLU", "leaky_re_lu", ["0.3"]),
            (ELU(), "ELU", "elu", ["1.0"]),
            (Softmax(), "Softmax", "softmax", ["-1"]),
            (try PReLU(), "PReLU", "p_re_lu", ["None"]),
        ]
        for (layer, typeName, prefix, values) in layers {
            XCTAssertEqual(layer.typeName, typeName)
            XCTAssertEqual(layer.namePrefix, prefix)
            XCTAssertEqual(layer.defaultNamePrefix, prefix, "Keras's snake case of \(typeName)")
            XCTAssertEqual(layer.name, prefix)
            XCTAssertEqual(layer.configuration.map(\.value.literal), values, typeName)
        }
    }

    func testPReLUHasKerasShapes() throws {
        // Keras: alpha (10, 10, 8), 800 parameters; shared_axes [1, 2] gives (1, 1, 8).
        let full = try PReLU()
        var generator = SeededGenerator(seed: 1)
        try full.build(inputShape: [10, 10, 8], generator: &generator)
        XCTAssertEqual(full.parameters.map(\.name), ["alpha"])
        XCTAssertEqual(full.parameters[0].value.shape, [10, 10, 8])
        XCTAssertEqual(full.trainableParameterCount, 800)
        let perChannel = try PReLU(sharedAxes: [1, 2])
        try perChannel.build(inputShape: [10, 10, 8], generator: &generator)
        XCTAssertEqual(perChannel.parameters[0].value.shape, [1, 1, 8])
        XCTAssertEqual(perChannel.parameterCount, 8)
        XCTAssertThrowsError(try PReLU(sharedAxes: [4]).outputShape(for: [10, 10, 8])) { error in
            XCTAssertEqual((error as? ShapeError)?.message, "PReLU shared axis 4 does not exist in an input of shape (10, 10, 8)")
        }
        XCTAssertThrowsError(try PReLU(sharedAxes: [0]))
    }

    func testPReLUSharedSlopesApplyPerChannel() throws {
        let layer = try PReLU(sharedAxes: [1])
        var generator = SeededGenerator(seed: 1)
        try layer.build(inputShape: [3, 2], generator: &generator)
        layer.parameters[0].value.assign(Tensor(shape: [1, 2], values: [0.5, 2]))
        let y = layer.forward(Tensor(shape: [1, 3, 2], values: [-1, -1, 2, -3, -4, 1]), training: false)
        XCTAssertEqual(y.scalars, [-0.5, -2, 2, -6, -2, 1])
    }

    func testGradients() throws {
        try assertGradients(ReLU(), batchShape: [3, 4, 5], input: .awayFromZero)
        // Inputs 0.02 apart from −0.6; the threshold (where Keras's ReLU jumps from 0 to x) and
        // the cap sit between them.
        try assertGradients(ReLU(maxValue: 0.55, negativeSlope: 0.2, threshold: 0.31), batchShape: [3, 4, 5], input: .distinct, step: 2e-3)
        try assertGradients(LeakyReLU(), batchShape: [3, 4, 5], input: .awayFromZero)
        try assertGradients(LeakyReLU(negativeSlope: 0.05), batchShape: [2, 7], input: .awayFromZero)
        try assertGradients(ELU(), batchShape: [3, 4, 5], input: .awayFromZero)
        try assertGradients(ELU(alpha: 0.5), batchShape: [2, 9], input: .awayFromZero)
        try assertGradients(Softmax(), batchShape: [3, 2, 6])
        try assertGradients(PReLU(), batchShape: [2, 3, 4, 2], input: .awayFromZero)
        try assertGradients(PReLU(sharedAxes: [1, 2]), batchShape: [2, 3, 4, 2], input: .awayFromZero)
    }

    func testSettingsKerasRejects() {
        XCTAssertThrowsError(try ReLU(maxValue: -1))
        XCTAssertThrowsError(try ReLU(negativeSlope: -0.1))
        XCTAssertThrowsError(try LeakyReLU(negativeSlope: -1))
    }
}
