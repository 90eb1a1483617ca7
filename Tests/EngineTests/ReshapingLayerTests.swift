import Engine
import XCTest

final class ReshapingLayerTests: XCTestCase {
    func run(_ layer: Layer, _ input: Tensor) throws -> Tensor {
        var generator = SeededGenerator(seed: 1)
        try layer.build(inputShape: Array(input.shape.dropFirst()), generator: &generator)
        return layer.forward(input, training: false)
    }

    func testZeroPaddingPlacesTheInputInsideZeros() throws {
        let x = Tensor(shape: [1, 2, 2, 1], values: [1, 2, 3, 4])
        let y = try run(ZeroPadding(rank: 2, amounts: [(1, 0), (0, 2)]), x)
        XCTAssertEqual(y.shape, [1, 3, 4, 1])
        XCTAssertEqual(y.scalars, [0, 0, 0, 0,
                                   1, 2, 0, 0,
                                   3, 4, 0, 0])
        let line = try run(ZeroPadding(rank: 1, padding: [1]), Tensor(shape: [1, 3, 2], values: [1, 2, 3, 4, 5, 6]))
        XCTAssertEqual(line.scalars, [0, 0, 1, 2, 3, 4, 5, 6, 0, 0])
    }

    func testUpSamplingRepeatsNearest() throws {
        let x = Tensor(shape: [1, 2, 2, 1], values: [1, 2, 3, 4])
        let y = try run(UpSampling(rank: 2, size: [2, 3]), x)
        XCTAssertEqual(y.shape, [1, 4, 6, 1])
        XCTAssertEqual(y.scalars, [1, 1, 1, 2, 2, 2,
                                   1, 1, 1, 2, 2, 2,
                                   3, 3, 3, 4, 4, 4,
                                   3, 3, 3, 4, 4, 4])
        let line = try run(UpSampling(rank: 1), Tensor(shape: [1, 2, 2], values: [1, 2, 3, 4]))
        XCTAssertEqual(line.scalars, [1, 2, 1, 2, 3, 4, 3, 4])
    }

    func testKerasNamesAndConfiguration() throws {
        let cases: [(Layer, String, String, [String])] = [
            (try ZeroPadding(rank: 1, padding: [1]), "ZeroPadding1D", "zero_padding1d", ["(1, 1)"]),
            (try ZeroPadding(rank: 2, padding: [1]), "ZeroPadding2D", "zero_padding2d", ["((1, 1), (1, 1))"]),
            (try ZeroPadding(rank: 3, amounts: [(1, 2)]), "ZeroPadding3D", "zero_padding3d", ["((1, 2), (1, 2), (1, 2))"]),
            (try UpSampling(rank: 1), "UpSampling1D", "up_sampling1d", ["2"]),
            (try UpSampling(rank: 2), "UpSampling2D", "up_sampling2d", ["(2, 2)", "'nearest'"]),
            (try UpSampling(rank: 3, size: [1, 2, 3]), "UpSampling3D", "up_sampling3d", ["(1, 2, 3)"]),
        ]
        for (layer, typeName, prefix, values) in cases {
            XCTAssertEqual(layer.typeName, typeName)
            XCTAssertEqual(layer.name, prefix)
            XCTAssertEqual(layer.defaultNamePrefix, prefix)
            XCTAssertEqual(layer.configuration.map(\.value.literal), values, typeName)
        }
    }

    func testGradients() throws {
        for rank in 1...3 {
            let shape = [2] + Array([3, 4, 2].prefix(rank)) + [2]
            try assertGradients(ZeroPadding(rank: rank, amounts: [(1, 2)]), batchShape: shape)
            try assertGradients(UpSampling(rank: rank, size: [2]), batchShape: shape)
        }
        try assertGradients(UpSampling(rank: 2, size: [1, 3]), batchShape: [2, 3, 2, 3])
    }

    func testSettingsKerasRejects() {
        XCTAssertThrowsError(try ZeroPadding(rank: 2, padding: [-1])) { error in
            XCTAssertEqual((error as? ConfigurationError)?.message, "ZeroPadding2D padding must be at least 0 on every side")
        }
        XCTAssertThrowsError(try ZeroPadding(rank: 2, padding: [1, 2, 3]))
        XCTAssertThrowsError(try UpSampling(rank: 2, size: [0]))
        XCTAssertThrowsError(try UpSampling(rank: 2).outputShape(for: [5, 3])) { error in
            XCTAssertEqual((error as? ShapeError)?.message, "UpSampling2D expects inputs of rank 3 (2 spatial axes, channels) but got shape (5, 3)")
            XCTAssertEqual((error as? ShapeError)?.hint, "use the 1D form of this layer")
        }
    }
}
