import Engine
import XCTest

final class GradientConvolutionTests: XCTestCase {
    func testConv1DStrideTwoSame() throws {
        try assertGradients(Convolution(rank: 1, filters: 3, kernelSize: [3], strides: [2], padding: .same), batchShape: [2, 8, 2])
    }

    func testConv1DValidOddSize() throws {
        try assertGradients(Convolution(rank: 1, filters: 2, kernelSize: [4], strides: [3]), batchShape: [2, 11, 3])
    }

    func testConv2DStrideTwoSameOnEvenAndOddSizes() throws {
        try assertGradients(Convolution(rank: 2, filters: 4, kernelSize: [3], strides: [2], padding: .same), batchShape: [2, 6, 5, 3])
    }

    func testConv2DValidRectangularKernelAndStrides() throws {
        try assertGradients(Convolution(rank: 2, filters: 3, kernelSize: [2, 3], strides: [1, 2]), batchShape: [2, 5, 7, 2])
    }

    func testConv2DEvenKernelSameStrideThree() throws {
        try assertGradients(Convolution(rank: 2, filters: 2, kernelSize: [4], strides: [3], padding: .same), batchShape: [1, 7, 8, 2])
    }

    func testConv2DPointwise() throws {
        try assertGradients(Convolution(rank: 2, filters: 5, kernelSize: [1]), batchShape: [2, 3, 4, 6])
    }

    func testConv2DPointwiseStrideTwo() throws {
        try assertGradients(Convolution(rank: 2, filters: 3, kernelSize: [1], strides: [2]), batchShape: [2, 5, 4, 2])
    }

    func testConv3DStrideTwoSame() throws {
        try assertGradients(Convolution(rank: 3, filters: 2, kernelSize: [2, 3, 2], strides: [2], padding: .same), batchShape: [2, 4, 5, 3, 2])
    }

    func testConv3DValid() throws {
        try assertGradients(Convolution(rank: 3, filters: 3, kernelSize: [2], useBias: false), batchShape: [1, 3, 4, 3, 2])
    }

    func testConv2DRelu() throws {
        let shape = [2, 6, 6, 2]
        let seed = try seedAwayFromKink(batchShape: shape, margin: 0.03) {
            try Convolution(rank: 2, filters: 3, kernelSize: [3], strides: [2], padding: .same)
        }
        try assertGradients(Convolution(rank: 2, filters: 3, kernelSize: [3], strides: [2], padding: .same, activation: .relu),
                            batchShape: shape, seed: seed)
    }

    func testConv2DSigmoidTanhSoftmax() throws {
        for activation in [Activation.sigmoid, .tanh, .softmax] {
            try assertGradients(Convolution(rank: 2, filters: 3, kernelSize: [2], activation: activation), batchShape: [2, 4, 3, 2])
        }
    }

    func testSkippedInputGradientKeepsWeightGradients() throws {
        func gradients(computeInput: Bool) throws -> (Tensor, [Float]) {
            let layer = try Convolution(rank: 2, filters: 3, kernelSize: [3], padding: .same, activation: .tanh)
            layer.computesInputGradient = computeInput
            var generator = SeededGenerator(seed: 5)
            let input = try prepare(layer, batchShape: [2, 5, 5, 2], input: .uniform, generator: &generator)
            let y = layer.forward(input, training: true)
            let d = layer.backward(Tensor(shape: y.shape, repeating: 1)).copy()
            return (d, layer.parameters.flatMap { $0.gradient.scalars })
        }
        let (withInput, weights) = try gradients(computeInput: true)
        let (withoutInput, sameWeights) = try gradients(computeInput: false)
        XCTAssertEqual(weights, sameWeights)
        XCTAssertTrue(withInput.scalars.contains { $0 != 0 })
        XCTAssertEqual(withoutInput.shape, withInput.shape)
    }
}

final class GradientPoolingTests: XCTestCase {
    func testMaxPooling() throws {
        for (rank, shape) in [(1, [2, 9, 3]), (2, [2, 6, 7, 2]), (3, [1, 4, 5, 4, 2])] {
            try assertGradients(Pooling(kind: .max, rank: rank), batchShape: shape, input: .distinct)
            try assertGradients(Pooling(kind: .max, rank: rank, poolSize: [3], strides: [2], padding: .same),
                                batchShape: shape, input: .distinct)
        }
    }

    func testAveragePooling() throws {
        for (rank, shape) in [(1, [2, 9, 3]), (2, [2, 6, 7, 2]), (3, [1, 4, 5, 4, 2])] {
            try assertGradients(Pooling(kind: .average, rank: rank), batchShape: shape)
            try assertGradients(Pooling(kind: .average, rank: rank, poolSize: [3], strides: [2], padding: .same), batchShape: shape)
            try assertGradients(Pooling(kind: .average, rank: rank, poolSize: [2], strides: [1], padding: .same), batchShape: shape)
        }
    }

    func testGlobalPooling() throws {
        for (rank, shape) in [(1, [2, 5, 3]), (2, [2, 3, 4, 3]), (3, [2, 2, 3, 2, 3])] {
            try assertGradients(GlobalPooling(kind: .average, rank: rank), batchShape: shape)
            try assertGradients(GlobalPooling(kind: .max, rank: rank), batchShape: shape, input: .distinct)
        }
    }
}
