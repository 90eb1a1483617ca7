import Engine
import XCTest

/// Depthwise, separable, transposed and dilated convolutions against Keras 3.15 (JAX backend).
///
/// The reference inputs and weights are fixed sequences, the same in the Python that produced
/// the expected outputs: input value i is (7i mod 11) / 5 − 1, weight value i of each weight
/// (in Keras's order and layout) is (5i mod 13) / 5 − 1.
final class ConvolutionVariantTests: XCTestCase {
    func sequence(_ count: Int, _ a: Int, _ m: Int) -> [Float] { (0..<count).map { Float((a * $0) % m) / 5 - 1 } }

    func output(of layer: Layer, input shape: [Int]) throws -> Tensor {
        var generator = SeededGenerator(seed: 1)
        try layer.build(inputShape: Array(shape.dropFirst()), generator: &generator)
        for p in layer.parameters { p.value.assign(Tensor(shape: p.value.shape, values: sequence(p.value.count, 5, 13))) }
        return layer.forward(Tensor(shape: shape, values: sequence(shape.reduce(1, *), 7, 11)), training: false)
    }

    func check(_ layer: Layer, input: [Int], output expectedShape: [Int], _ expected: [Float],
               file: StaticString = #filePath, line: UInt = #line) throws {
        let y = try output(of: layer, input: input)
        XCTAssertEqual(y.shape, expectedShape, file: file, line: line)
        XCTAssertEqual(y.scalars, expected, accuracy: 1e-5, file: file, line: line)
    }

    func testTransposedConvolutionSpreadsEachInputOverItsWindow() throws {
        // Input [1, 2], kernel [1, 10, 100], stride 2: out[2i + j] += x[i] · k[j], no flip.
        for (padding, expected) in [(Padding.valid, [Float(1), 10, 102, 20, 200]), (.same, [1, 10, 102, 20])] {
            let layer = try ConvolutionTranspose(rank: 1, filters: 1, kernelSize: [3], strides: [2], padding: padding, useBias: false)
            var generator = SeededGenerator(seed: 1)
            try layer.build(inputShape: [2, 1], generator: &generator)
            layer.parameters[0].value.assign(Tensor(shape: [3, 1, 1], values: [1, 10, 100]))
            XCTAssertEqual(layer.forward(Tensor(shape: [1, 2, 1], values: [1, 2]), training: false).scalars, expected)
        }
    }

    func testTransposedConvolutionsMatchKeras() throws {
        try check(ConvolutionTranspose(rank: 2, filters: 2, kernelSize: [3], strides: [2], padding: .same), input: [1, 3, 3, 2], output: [1, 6, 6, 2],
                  [0, -1.24, -0.84, 0.52, 0.28, -2.36, 0.24, 0.88, -0.6799999, -0.32, -1.76, -0.52, -2, 0.4, -0.2399999, -1.48, -3.36, 1.28, -0.36, -0.76, -1.4, 0.52, -1.36, 0.4, -1.16, 1.8, -1.92, 0, 0.4400001, 1.08, -1.48, 1.88, 0.4000001, -0.48, -1.92, -1.52, -0.52, 0, -1.48, 1.12, -1.44, 0.7600001, -0.28, -1.24, -1.24, -0.4399999, -1.28, -0.08, -1.72, -0.16, -0.6, -0.07999998, -1.88, 1.68, -1.48, 0.48, -1.04, 0.9999999, 0.28, -0.72, -0.36, -0.4, -1.4, 0.64, 0.04000008, -0.2, -1.52, 1.36, -1.52, 1.24, -0.32, -1])
        try check(ConvolutionTranspose(rank: 2, filters: 2, kernelSize: [3], strides: [2]), input: [1, 2, 3, 2], output: [1, 5, 7, 2],
                  [0, -1.24, -0.84, 0.52, 0.2800001, -2.36, 0.24, 0.88, -0.68, -0.32, -1.76, -0.52, -1.28, 0.48, -2, 0.4, -0.2399999, -1.48, -3.36, 1.28, -0.36, -0.76, -1.4, 0.52, -1.36, 0.4, -0.36, -0.6800001, -1.16, 1.8, -1.92, 0, 0.4400001, 1.08, -1.48, 1.88, 0.4000001, -0.48, -1.92, -1.52, -1.56, -0.12, -0.52, 0, -1.48, 1.12, -1.44, 0.7600001, -0.28, -1.24, -1.24, -0.4399999, -1.28, -0.08, -0.36, -1.24, -1.32, -0.8, -0.2, 0.32, -0.48, 0.16, -2.16, 0.52, -0.88, 0.96, -0.6, -1.48, -1.76, -0.03999999])
        try check(ConvolutionTranspose(rank: 2, filters: 1, kernelSize: [4], strides: [2], padding: .same), input: [1, 2, 2, 1], output: [1, 4, 4, 1],
                  [-2.4, -0.64, -1.24, -1.08, -1.2, -3.92, -0.28, 0.48, -0.56, -0.28, -1.32, -1.2, -1.08, -2.28, -0.64, 0.2])
        try check(ConvolutionTranspose(rank: 2, filters: 1, kernelSize: [2], strides: [3], padding: .same), input: [1, 2, 2, 1], output: [1, 6, 6, 1],
                  [0, -1, -1, -1.4, -1, -1, -2, -0.4, -1, -0.6, -1.24, -1, -1, -1, -1, -1, -1, -1, -0.6, -1, -1, -2, -1, -1, -1.4, -0.76, -1, 0, -1.6, -1, -1, -1, -1, -1, -1, -1])
        try check(ConvolutionTranspose(rank: 1, filters: 1, kernelSize: [2], strides: [3]), input: [1, 3, 1], output: [1, 9, 1],
                  [0, -1, -1, -1.4, -1, -1, -0.6, -1, -1])
    }

    func testDepthwiseAndSeparableMatchKeras() throws {
        try check(DepthwiseConvolution(rank: 2, kernelSize: [2], depthMultiplier: 2), input: [1, 3, 3, 2], output: [1, 2, 2, 4],
                  [-1.28, 0.4, 1.2, 0.5600001, 0, 0.32, 2.84, -2.92, -1.84, -2.04, 0.4, 0.24, -1.44, 0.52, 2.04, -1.04])
        try check(DepthwiseConvolution(rank: 2, kernelSize: [3], strides: [2], padding: .same), input: [1, 4, 4, 2], output: [1, 2, 2, 2],
                  [-0.24, -2.68, -0.92, 0.32, 0.7200001, 0.88, -2.12, -0.12])
        try check(SeparableConvolution(rank: 2, filters: 3, kernelSize: [2], depthMultiplier: 2), input: [1, 3, 3, 2], output: [1, 2, 2, 3],
                  [-0.7679999, 1.712, 0.6559999, -3.024, -1.184, 1.904, 1.352, -0.2879999, -2.552, -1.168, 0.5119999, 0.632])
        try check(SeparableConvolution(rank: 1, filters: 2, kernelSize: [3], padding: .same), input: [1, 4, 2], output: [1, 4, 2],
                  [1.32, -0.696, -3.12, 0.8640001, -1.56, -0.216, -1.6, 0])
    }

    func testDilatedConvolutionsMatchKeras() throws {
        try check(Convolution(rank: 2, filters: 2, kernelSize: [2], dilation: [2]), input: [1, 4, 4, 1], output: [1, 2, 2, 2],
                  [-0.68, -1.04, 0.04000008, -0.56, -0.4399999, 0.88, -0.6, -0.4])
        try check(Convolution(rank: 1, filters: 1, kernelSize: [3], padding: .same, dilation: [2]), input: [1, 6, 1], output: [1, 6, 1],
                  [-1.4, 0, 0.2, -2, -0.6, -2])
    }

    func testWeightNamesLayoutsAndConfigurationAreKeras() throws {
        var generator = SeededGenerator(seed: 1)
        let separable = try SeparableConvolution(rank: 2, filters: 16, kernelSize: [3], depthMultiplier: 2)
        try separable.build(inputShape: [8, 8, 3], generator: &generator)
        XCTAssertEqual(separable.parameters.map(\.name), ["depthwise_kernel", "pointwise_kernel", "bias"])
        XCTAssertEqual(separable.parameters.map(\.value.shape), [[3, 3, 3, 2], [1, 1, 6, 16], [16]])
        let depthwise = try DepthwiseConvolution(rank: 1, kernelSize: [3], depthMultiplier: 2)
        try depthwise.build(inputShape: [10, 3], generator: &generator)
        XCTAssertEqual(depthwise.parameters.map(\.name), ["kernel", "bias"])
        XCTAssertEqual(depthwise.parameters.map(\.value.shape), [[3, 3, 2], [6]])
        // Glorot uniform on (3, 3, 2): fan_in 9, fan_out 6.
        let limit = Float((6.0 / 15).squareRoot())
        XCTAssertTrue(depthwise.parameters[0].value.scalars.allSatisfy { abs($0) <= limit })
        let transpose = try ConvolutionTranspose(rank: 2, filters: 8, kernelSize: [3], strides: [2], padding: .same)
        try transpose.build(inputShape: [5, 5, 3], generator: &generator)
        XCTAssertEqual(transpose.parameters.map(\.value.shape), [[3, 3, 8, 3], [8]], "Keras's (k…, filters, in)")
        let names: [(Layer, String, String)] = [
            (try DepthwiseConvolution(rank: 1, kernelSize: [3]), "DepthwiseConv1D", "depthwise_conv1d"),
            (try DepthwiseConvolution(rank: 2, kernelSize: [3]), "DepthwiseConv2D", "depthwise_conv2d"),
            (try SeparableConvolution(rank: 1, filters: 2, kernelSize: [3]), "SeparableConv1D", "separable_conv1d"),
            (try SeparableConvolution(rank: 2, filters: 2, kernelSize: [3]), "SeparableConv2D", "separable_conv2d"),
            (try ConvolutionTranspose(rank: 1, filters: 2, kernelSize: [3]), "Conv1DTranspose", "conv1d_transpose"),
            (try ConvolutionTranspose(rank: 2, filters: 2, kernelSize: [3]), "Conv2DTranspose", "conv2d_transpose"),
            (try ConvolutionTranspose(rank: 3, filters: 2, kernelSize: [3]), "Conv3DTranspose", "conv3d_transpose"),
        ]
        for (layer, typeName, prefix) in names {
            XCTAssertEqual(layer.typeName, typeName)
            XCTAssertEqual(layer.name, prefix)
            XCTAssertEqual(layer.defaultNamePrefix, prefix)
        }
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: separable.configuration.map { ($0.key, $0.value.literal) }),
                       ["filters": "16", "kernel_size": "(3, 3)", "strides": "(1, 1)", "padding": "'valid'", "depth_multiplier": "2",
                        "activation": "'linear'", "use_bias": "True"])
    }

    func testGradients() throws {
        try assertGradients(DepthwiseConvolution(rank: 2, kernelSize: [3], strides: [2], padding: .same, depthMultiplier: 2), batchShape: [2, 5, 4, 3])
        try assertGradients(DepthwiseConvolution(rank: 1, kernelSize: [2], depthMultiplier: 3), batchShape: [2, 6, 2])
        try assertGradients(DepthwiseConvolution(rank: 2, kernelSize: [2], dilation: [2], activation: .tanh), batchShape: [2, 5, 5, 2])
        try assertGradients(SeparableConvolution(rank: 2, filters: 3, kernelSize: [3], padding: .same, depthMultiplier: 2), batchShape: [2, 4, 5, 2])
        try assertGradients(SeparableConvolution(rank: 1, filters: 2, kernelSize: [3], strides: [2], activation: .sigmoid), batchShape: [2, 7, 3])
        try assertGradients(ConvolutionTranspose(rank: 2, filters: 3, kernelSize: [3], strides: [2], padding: .same), batchShape: [2, 3, 3, 2])
        try assertGradients(ConvolutionTranspose(rank: 2, filters: 2, kernelSize: [2, 3], strides: [3, 1]), batchShape: [2, 2, 3, 2])
        try assertGradients(ConvolutionTranspose(rank: 1, filters: 2, kernelSize: [4], strides: [2], padding: .same, activation: .tanh), batchShape: [2, 3, 2])
        try assertGradients(ConvolutionTranspose(rank: 3, filters: 2, kernelSize: [2], strides: [2]), batchShape: [1, 2, 2, 2, 2])
        try assertGradients(Convolution(rank: 2, filters: 3, kernelSize: [3], padding: .same, dilation: [2, 1]), batchShape: [2, 5, 6, 2])
        try assertGradients(Convolution(rank: 1, filters: 2, kernelSize: [2], dilation: [3]), batchShape: [2, 8, 3])
        try assertGradients(Convolution(rank: 3, filters: 2, kernelSize: [2], dilation: [2]), batchShape: [1, 4, 3, 4, 2])
    }

    func testSettingsKerasRejects() throws {
        XCTAssertThrowsError(try Convolution(rank: 2, filters: 4, kernelSize: [3], strides: [2], dilation: [2])) { error in
            XCTAssertEqual((error as? ConfigurationError)?.message, "Conv2D cannot take strides (2, 2) together with dilation_rate (2, 2)")
        }
        // Keras: "Computed output size would be zero or negative" for a 3x3 kernel dilated 4 on 8x8.
        XCTAssertThrowsError(try Convolution(rank: 2, filters: 4, kernelSize: [3], dilation: [4]).outputShape(for: [8, 8, 2])) { error in
            XCTAssertEqual((error as? ShapeError)?.message,
                           "Conv2D: dilated window (3, 3) (spanning (9, 9)) is larger than the input (8, 8) with padding valid (axis 1: 9 > 8)")
        }
        XCTAssertThrowsError(try DepthwiseConvolution(rank: 2, kernelSize: [3], depthMultiplier: 0)) { error in
            XCTAssertEqual((error as? ConfigurationError)?.message, "DepthwiseConv2D depth_multiplier must be at least 1, got 0")
        }
        XCTAssertThrowsError(try DepthwiseConvolution(rank: 3, kernelSize: [3]))
        XCTAssertThrowsError(try SeparableConvolution(rank: 3, filters: 2, kernelSize: [3]))
        XCTAssertThrowsError(try SeparableConvolution(rank: 2, filters: 0, kernelSize: [3]))
        XCTAssertThrowsError(try SeparableConvolution(rank: 2, filters: 2, kernelSize: [5]).outputShape(for: [4, 4, 3])) { error in
            XCTAssertEqual((error as? ShapeError)?.message, "SeparableConv2D: window (5, 5) is larger than the input (4, 4) with padding valid (axis 1: 5 > 4)")
        }
        XCTAssertThrowsError(try ConvolutionTranspose(rank: 2, filters: 0, kernelSize: [3]))
        XCTAssertThrowsError(try ConvolutionTranspose(rank: 2, filters: 2, kernelSize: [3]).outputShape(for: [5, 3]))
    }
}
