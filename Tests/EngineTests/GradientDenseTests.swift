import Engine
import XCTest

final class GradientDenseTests: XCTestCase {
    func testDenseLinear() throws {
        try assertGradients(Dense(units: 5), batchShape: [3, 7])
    }

    func testDenseRelu() throws {
        let shape = [4, 5]
        let seed = try seedAwayFromKink(batchShape: shape) { try Dense(units: 6) }
        try assertGradients(Dense(units: 6, activation: .relu), batchShape: shape, seed: seed)
    }

    func testDenseSoftmax() throws {
        try assertGradients(Dense(units: 4, activation: .softmax), batchShape: [3, 6])
    }

    func testDenseWithoutBias() throws {
        let layer = try Dense(units: 3, activation: .tanh, useBias: false)
        try assertGradients(layer, batchShape: [2, 4])
        XCTAssertEqual(layer.parameters.map(\.name), ["kernel"])
    }

    func testActivationLayers() throws {
        for activation in Activation.allCases {
            try assertGradients(ActivationLayer(activation), batchShape: [2, 3, 5], input: .awayFromZero)
        }
    }

    func testFlattenPassesGradientBackInItsInputShape() throws {
        try assertGradients(Flatten(), batchShape: [2, 3, 2, 4])
    }

    func testDropoutScalesKeptValuesAndRoutesGradientThroughTheSameMask() throws {
        let layer = try Dropout(rate: 0.25, seed: 11)
        var generator = SeededGenerator(seed: 1)
        try layer.build(inputShape: [1000], generator: &generator)
        let input = Tensor(shape: [2, 1000], repeating: 2)
        let output = layer.forward(input, training: true)
        var kept = 0
        for i in 0..<output.count {
            let y = output[flat: i]
            XCTAssertTrue(y == 0 || abs(y - 2 / 0.75) < 1e-6, "value \(y)")
            if y != 0 { kept += 1 }
        }
        XCTAssertEqual(Double(kept) / 2000, 0.75, accuracy: 0.03)
        let gradient = layer.backward(Tensor(shape: [2, 1000], repeating: 1))
        for i in 0..<output.count {
            XCTAssertEqual(gradient[flat: i], output[flat: i] / 2, accuracy: 1e-6)
        }
        let inference = layer.forward(input, training: false)
        XCTAssertEqual(inference.scalars, input.scalars)
        XCTAssertThrowsError(try Dropout(rate: 1))
    }
}
