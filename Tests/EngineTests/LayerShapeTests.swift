import Basics
import Engine
import XCTest

/// Output shapes and parameter counts against Keras's rules, written out by hand:
/// valid: out = floor((in - k) / s) + 1; same: out = ceil(in / s);
/// conv params = prod(k) · in · filters (+ filters with a bias); dense = in · out (+ out).
final class LayerShapeTests: XCTestCase {
    struct Case {
        var layer: () throws -> Layer
        var input: [Int]
        var output: [Int]
        var parameters: Int
        /// Keras's non-trainable count (moving statistics).
        var nonTrainable = 0
        var line: UInt
    }

    func conv(_ rank: Int, _ filters: Int, _ kernel: [Int], strides: [Int] = [1], padding: Padding = .valid,
              useBias: Bool = true) -> () throws -> Layer {
        { try Convolution(rank: rank, filters: filters, kernelSize: kernel, strides: strides, padding: padding, useBias: useBias) }
    }

    func pool(_ kind: PoolingKind, _ rank: Int, _ size: [Int], strides: [Int]? = nil, padding: Padding = .valid) -> () throws -> Layer {
        { try Pooling(kind: kind, rank: rank, poolSize: size, strides: strides, padding: padding) }
    }

    var cases: [Case] {
        [
            // The lesson's Conv2D examples on a 32x32x3 image.
            Case(layer: conv(2, 64, [3, 3]), input: [32, 32, 3], output: [30, 30, 64], parameters: 1792, line: #line),
            Case(layer: conv(2, 64, [3, 3], strides: [3]), input: [32, 32, 3], output: [10, 10, 64], parameters: 1792, line: #line),
            Case(layer: conv(2, 64, [3, 3], strides: [3], padding: .same), input: [32, 32, 3], output: [11, 11, 64], parameters: 1792, line: #line),
            Case(layer: conv(2, 64, [3, 3], strides: [3], padding: .valid), input: [32, 32, 3], output: [10, 10, 64], parameters: 1792, line: #line),
            // 1D: 3·16·64 + 64; 5·4·8 + 8; 4·2·8 + 8.
            Case(layer: conv(1, 64, [3]), input: [28, 16], output: [26, 64], parameters: 3136, line: #line),
            Case(layer: conv(1, 8, [5], strides: [2], padding: .same), input: [15, 4], output: [8, 8], parameters: 168, line: #line),
            Case(layer: conv(1, 8, [4], strides: [3]), input: [16, 2], output: [5, 8], parameters: 72, line: #line),
            // 3D: 27·1·64 + 64; 2·3·3·2·4 + 4; 27·3·4 + 4 with per-axis strides.
            Case(layer: conv(3, 64, [3, 3, 3]), input: [16, 16, 16, 1], output: [14, 14, 14, 64], parameters: 1792, line: #line),
            Case(layer: conv(3, 4, [2, 3, 3], strides: [2], padding: .same), input: [7, 8, 9, 2], output: [4, 4, 5, 4], parameters: 148, line: #line),
            Case(layer: conv(3, 4, [3], strides: [1, 2, 3]), input: [5, 6, 7, 3], output: [3, 2, 2, 4], parameters: 328, line: #line),
            // 1x1 convolutions: 32·16 + 16; 8·4 + 4.
            Case(layer: conv(2, 16, [1, 1]), input: [8, 8, 32], output: [8, 8, 16], parameters: 528, line: #line),
            Case(layer: conv(2, 4, [1]), input: [7, 7, 8], output: [7, 7, 4], parameters: 36, line: #line),
            Case(layer: conv(2, 4, [1, 1], strides: [2]), input: [7, 7, 8], output: [4, 4, 4], parameters: 36, line: #line),
            // 1x1 in 1D and 3D: 1·6·5 + 5 with floor((10 - 1) / 3) + 1 = 4; 1·4·8 + 8 with ceil([5, 6, 7] / 2).
            Case(layer: conv(1, 5, [1], strides: [3]), input: [10, 6], output: [4, 5], parameters: 35, line: #line),
            Case(layer: conv(3, 8, [1], strides: [2], padding: .same), input: [5, 6, 7, 4], output: [3, 3, 4, 8], parameters: 40, line: #line),
            // Even kernels and odd sizes: 2·2·3·8 + 8; 4·4·1·8 + 8; no bias 3·2·2·5.
            Case(layer: conv(2, 8, [2, 2], strides: [2], padding: .same), input: [7, 6, 3], output: [4, 3, 8], parameters: 104, line: #line),
            Case(layer: conv(2, 8, [4, 4], padding: .same), input: [5, 5, 1], output: [5, 5, 8], parameters: 136, line: #line),
            Case(layer: conv(2, 5, [3, 2], useBias: false), input: [6, 6, 2], output: [4, 5, 5], parameters: 60, line: #line),
            Case(layer: conv(2, 6, [3, 3], strides: [2, 3], padding: .same), input: [10, 10, 2], output: [5, 4, 6], parameters: 114, line: #line),
            // The seed model, layer by layer.
            Case(layer: { try Convolution(rank: 2, filters: 32, kernelSize: [3, 3], activation: .relu) }, input: [32, 32, 3], output: [30, 30, 32], parameters: 896, line: #line),
            Case(layer: pool(.max, 2, [2, 2]), input: [30, 30, 32], output: [15, 15, 32], parameters: 0, line: #line),
            Case(layer: { try Convolution(rank: 2, filters: 64, kernelSize: [3, 3], activation: .relu) }, input: [15, 15, 32], output: [13, 13, 64], parameters: 18496, line: #line),
            Case(layer: pool(.max, 2, [2, 2]), input: [13, 13, 64], output: [6, 6, 64], parameters: 0, line: #line),
            Case(layer: { try Convolution(rank: 2, filters: 64, kernelSize: [3, 3], activation: .relu) }, input: [6, 6, 64], output: [4, 4, 64], parameters: 36928, line: #line),
            Case(layer: { Flatten() }, input: [4, 4, 64], output: [1024], parameters: 0, line: #line),
            Case(layer: { try Dense(units: 64, activation: .relu) }, input: [1024], output: [64], parameters: 65600, line: #line),
            Case(layer: { try Dense(units: 10, activation: .softmax) }, input: [64], output: [10], parameters: 650, line: #line),
            // Pools, with and without strides, both paddings, 1D/2D/3D.
            Case(layer: pool(.max, 2, [2, 2], strides: [2]), input: [32, 32, 3], output: [16, 16, 3], parameters: 0, line: #line),
            Case(layer: pool(.max, 2, [3], strides: [2]), input: [7, 7, 3], output: [3, 3, 3], parameters: 0, line: #line),
            Case(layer: pool(.max, 2, [2], strides: [1], padding: .same), input: [5, 5, 2], output: [5, 5, 2], parameters: 0, line: #line),
            Case(layer: pool(.average, 2, [2, 2], padding: .same), input: [5, 5, 3], output: [3, 3, 3], parameters: 0, line: #line),
            Case(layer: pool(.average, 2, [2, 2], strides: [2]), input: [5, 5, 3], output: [2, 2, 3], parameters: 0, line: #line),
            Case(layer: pool(.max, 1, [2]), input: [9, 4], output: [4, 4], parameters: 0, line: #line),
            Case(layer: pool(.average, 1, [3], strides: [2], padding: .same), input: [10, 2], output: [5, 2], parameters: 0, line: #line),
            Case(layer: pool(.max, 3, [2]), input: [6, 7, 8, 3], output: [3, 3, 4, 3], parameters: 0, line: #line),
            Case(layer: pool(.max, 1, [3], strides: [1]), input: [10, 2], output: [8, 2], parameters: 0, line: #line),
            Case(layer: pool(.average, 3, [2], strides: [1]), input: [3, 4, 5, 2], output: [2, 3, 4, 2], parameters: 0, line: #line),
            Case(layer: pool(.average, 3, [2, 2, 2], strides: [3], padding: .same), input: [7, 7, 7, 1], output: [3, 3, 3, 1], parameters: 0, line: #line),
            // Global pools.
            Case(layer: { try GlobalPooling(kind: .average, rank: 2) }, input: [13, 13, 64], output: [64], parameters: 0, line: #line),
            Case(layer: { try GlobalPooling(kind: .max, rank: 2) }, input: [4, 4, 64], output: [64], parameters: 0, line: #line),
            Case(layer: { try GlobalPooling(kind: .average, rank: 1) }, input: [10, 8], output: [8], parameters: 0, line: #line),
            Case(layer: { try GlobalPooling(kind: .average, rank: 3) }, input: [3, 4, 5, 6], output: [6], parameters: 0, line: #line),
            Case(layer: { try GlobalPooling(kind: .max, rank: 1) }, input: [10, 8], output: [8], parameters: 0, line: #line),
            // Dense, flatten and shape-preserving layers.
            Case(layer: { try Dense(units: 3, useBias: false) }, input: [5], output: [3], parameters: 15, line: #line),
            Case(layer: { Flatten() }, input: [2, 3, 4], output: [24], parameters: 0, line: #line),
            Case(layer: { try Dropout(rate: 0.5) }, input: [7, 3], output: [7, 3], parameters: 0, line: #line),
            Case(layer: { ActivationLayer(.softmax) }, input: [4, 10], output: [4, 10], parameters: 0, line: #line),
            // Keras 3.15: BatchNormalization has 4·C weights, the moving 2·C non-trainable.
            Case(layer: { try BatchNormalization() }, input: [10, 10, 8], output: [10, 10, 8], parameters: 32, nonTrainable: 16, line: #line),
            Case(layer: { try BatchNormalization() }, input: [5], output: [5], parameters: 20, nonTrainable: 10, line: #line),
            Case(layer: { try BatchNormalization(momentum: 0.9) }, input: [500, 64], output: [500, 64], parameters: 256, nonTrainable: 128, line: #line),
            // Activation layers; PReLU's α has the input's shape unless axes share it.
            Case(layer: { try ReLU() }, input: [6, 6, 3], output: [6, 6, 3], parameters: 0, line: #line),
            Case(layer: { try LeakyReLU() }, input: [7], output: [7], parameters: 0, line: #line),
            Case(layer: { ELU() }, input: [4, 2], output: [4, 2], parameters: 0, line: #line),
            Case(layer: { Softmax() }, input: [3, 10], output: [3, 10], parameters: 0, line: #line),
            Case(layer: { try PReLU() }, input: [10, 10, 8], output: [10, 10, 8], parameters: 800, line: #line),
            Case(layer: { try PReLU(sharedAxes: [1, 2]) }, input: [10, 10, 8], output: [10, 10, 8], parameters: 8, line: #line),
            // Zero padding and up-sampling.
            Case(layer: { try ZeroPadding(rank: 2, padding: [1]) }, input: [5, 5, 3], output: [7, 7, 3], parameters: 0, line: #line),
            Case(layer: { try ZeroPadding(rank: 2, amounts: [(1, 2), (3, 4)]) }, input: [5, 5, 3], output: [8, 12, 3], parameters: 0, line: #line),
            Case(layer: { try ZeroPadding(rank: 1, padding: [2]) }, input: [5, 3], output: [9, 3], parameters: 0, line: #line),
            Case(layer: { try ZeroPadding(rank: 1, amounts: [(1, 2)]) }, input: [5, 3], output: [8, 3], parameters: 0, line: #line),
            Case(layer: { try ZeroPadding(rank: 3, padding: [1]) }, input: [2, 3, 4, 2], output: [4, 5, 6, 2], parameters: 0, line: #line),
            Case(layer: { try UpSampling(rank: 2, size: [2]) }, input: [5, 5, 3], output: [10, 10, 3], parameters: 0, line: #line),
            Case(layer: { try UpSampling(rank: 2, size: [2, 3]) }, input: [5, 5, 3], output: [10, 15, 3], parameters: 0, line: #line),
            Case(layer: { try UpSampling(rank: 1, size: [2]) }, input: [5, 3], output: [10, 3], parameters: 0, line: #line),
            Case(layer: { try UpSampling(rank: 3, size: [2]) }, input: [2, 3, 4, 2], output: [4, 6, 8, 2], parameters: 0, line: #line),
            Case(layer: { try GlobalPooling(kind: .max, rank: 3) }, input: [2, 3, 4, 5], output: [5], parameters: 0, line: #line),
            // Depthwise (k·k·in·M + in·M) and separable (k·k·in·M + in·M·F + F) convolutions.
            Case(layer: { try DepthwiseConvolution(rank: 2, kernelSize: [3], depthMultiplier: 2) }, input: [8, 8, 3], output: [6, 6, 6], parameters: 60, line: #line),
            Case(layer: { try DepthwiseConvolution(rank: 2, kernelSize: [3], strides: [2], padding: .same) }, input: [8, 8, 3], output: [4, 4, 3], parameters: 30, line: #line),
            Case(layer: { try DepthwiseConvolution(rank: 1, kernelSize: [3], depthMultiplier: 2) }, input: [10, 3], output: [8, 6], parameters: 24, line: #line),
            Case(layer: { try SeparableConvolution(rank: 2, filters: 16, kernelSize: [3]) }, input: [8, 8, 3], output: [6, 6, 16], parameters: 91, line: #line),
            Case(layer: { try SeparableConvolution(rank: 2, filters: 16, kernelSize: [3], strides: [2], padding: .same, depthMultiplier: 2) },
                 input: [8, 8, 3], output: [4, 4, 16], parameters: 166, line: #line),
            Case(layer: { try SeparableConvolution(rank: 1, filters: 16, kernelSize: [3]) }, input: [10, 3], output: [8, 16], parameters: 73, line: #line),
            // Transposed: valid in·s + max(k − s, 0), same in·s; k·k·F·in + F.
            Case(layer: { try ConvolutionTranspose(rank: 2, filters: 8, kernelSize: [3]) }, input: [5, 5, 3], output: [7, 7, 8], parameters: 224, line: #line),
            Case(layer: { try ConvolutionTranspose(rank: 2, filters: 8, kernelSize: [3], strides: [2]) }, input: [5, 5, 3], output: [11, 11, 8], parameters: 224, line: #line),
            Case(layer: { try ConvolutionTranspose(rank: 2, filters: 8, kernelSize: [3], strides: [2], padding: .same) }, input: [5, 5, 3], output: [10, 10, 8], parameters: 224, line: #line),
            Case(layer: { try ConvolutionTranspose(rank: 2, filters: 8, kernelSize: [3], strides: [3], padding: .same) }, input: [5, 5, 3], output: [15, 15, 8], parameters: 224, line: #line),
            Case(layer: { try ConvolutionTranspose(rank: 2, filters: 8, kernelSize: [3], strides: [3]) }, input: [5, 5, 3], output: [15, 15, 8], parameters: 224, line: #line),
            Case(layer: { try ConvolutionTranspose(rank: 2, filters: 8, kernelSize: [2], strides: [2], padding: .same) }, input: [5, 5, 3], output: [10, 10, 8], parameters: 104, line: #line),
            Case(layer: { try ConvolutionTranspose(rank: 2, filters: 8, kernelSize: [4], strides: [3]) }, input: [5, 4, 3], output: [16, 13, 8], parameters: 392, line: #line),
            Case(layer: { try ConvolutionTranspose(rank: 1, filters: 8, kernelSize: [3], strides: [2]) }, input: [5, 3], output: [11, 8], parameters: 80, line: #line),
            Case(layer: { try ConvolutionTranspose(rank: 3, filters: 4, kernelSize: [3], strides: [2], padding: .same) }, input: [3, 4, 5, 2], output: [6, 8, 10, 4], parameters: 220, line: #line),
            // Dilated: a window of k spans d·(k − 1) + 1.
            Case(layer: { try Convolution(rank: 2, filters: 4, kernelSize: [3], dilation: [2]) }, input: [9, 9, 2], output: [5, 5, 4], parameters: 76, line: #line),
            Case(layer: { try Convolution(rank: 2, filters: 4, kernelSize: [3], padding: .same, dilation: [2, 3]) }, input: [9, 9, 2], output: [9, 9, 4], parameters: 76, line: #line),
            Case(layer: { try Convolution(rank: 1, filters: 4, kernelSize: [3], dilation: [4]) }, input: [20, 2], output: [12, 4], parameters: 28, line: #line),
            Case(layer: { try Convolution(rank: 3, filters: 4, kernelSize: [2], dilation: [2]) }, input: [5, 5, 5, 1], output: [3, 3, 3, 4], parameters: 36, line: #line),
            // Preprocessing and augmentation keep (or set) the image size and have no weights.
            Case(layer: { Rescaling(scale: 1.0 / 255) }, input: [32, 32, 3], output: [32, 32, 3], parameters: 0, line: #line),
            Case(layer: { try Resizing(height: 3, width: 5) }, input: [4, 4, 1], output: [3, 5, 1], parameters: 0, line: #line),
            Case(layer: { try CenterCrop(height: 4, width: 3) }, input: [6, 6, 1], output: [4, 3, 1], parameters: 0, line: #line),
            Case(layer: { try CenterCrop(height: 6, width: 6) }, input: [4, 4, 1], output: [6, 6, 1], parameters: 0, line: #line),
            Case(layer: { RandomFlip() }, input: [6, 6, 3], output: [6, 6, 3], parameters: 0, line: #line),
            Case(layer: { try RandomRotation(factor: 0.1) }, input: [6, 6, 3], output: [6, 6, 3], parameters: 0, line: #line),
            Case(layer: { try RandomTranslation(heightFactor: 0.1, widthFactor: 0.2) }, input: [6, 6, 3], output: [6, 6, 3], parameters: 0, line: #line),
            Case(layer: { try RandomZoom(heightFactor: 0.2) }, input: [6, 6, 3], output: [6, 6, 3], parameters: 0, line: #line),
            Case(layer: { try RandomContrast(factor: 0.2) }, input: [6, 6, 3], output: [6, 6, 3], parameters: 0, line: #line),
        ]
    }

    func testOutputShapesAndParameterCountsMatchKeras() throws {
        XCTAssertGreaterThanOrEqual(cases.count, 25)
        for c in cases {
            let layer = try c.layer()
            XCTAssertEqual(try layer.outputShape(for: c.input), c.output, "\(layer.typeName) on \(c.input)", line: c.line)
            var generator = SeededGenerator(seed: 1)
            try layer.build(inputShape: c.input, generator: &generator)
            XCTAssertEqual(layer.parameterCount, c.parameters, "\(layer.typeName) on \(c.input)", line: c.line)
            XCTAssertEqual(layer.parameterCount - layer.trainableParameterCount, c.nonTrainable,
                           "\(layer.typeName) on \(c.input): non-trainable", line: c.line)
            // A forward pass of a batch of two really produces that shape.
            let input = Tensor(shape: [2] + c.input, repeating: 0.5)
            XCTAssertEqual(layer.forward(input, training: false).shape, [2] + c.output, line: c.line)
        }
    }

    func testKernelLayoutIsKeras() throws {
        let conv = try Convolution(rank: 3, filters: 4, kernelSize: [2, 3, 1])
        var generator = SeededGenerator(seed: 1)
        try conv.build(inputShape: [5, 5, 5, 2], generator: &generator)
        XCTAssertEqual(conv.parameters.map(\.name), ["kernel", "bias"])
        XCTAssertEqual(conv.parameters[0].value.shape, [2, 3, 1, 2, 4])
        XCTAssertEqual(conv.parameters[1].value.shape, [4])
        XCTAssertEqual(conv.parameters[1].value.scalars, [0, 0, 0, 0])
        // Glorot uniform: limit sqrt(6 / (6·2 + 6·4)) = sqrt(1/6).
        let limit = Float((1.0 / 6).squareRoot())
        let kernel = conv.parameters[0].value.scalars
        XCTAssertTrue(kernel.allSatisfy { abs($0) <= limit })
        XCTAssertGreaterThan(kernel.map { abs($0) }.max()!, limit * 0.8)
    }

    func testMultiplyAdds() throws {
        // out positions · prod(k) · in · filters.
        XCTAssertEqual(try Convolution(rank: 2, filters: 32, kernelSize: [3]).multiplyAdds(for: [32, 32, 3]), 30 * 30 * 27 * 32)
        XCTAssertEqual(try Convolution(rank: 2, filters: 64, kernelSize: [3], strides: [3], padding: .same).multiplyAdds(for: [32, 32, 3]),
                       11 * 11 * 27 * 64)
        XCTAssertEqual(try Convolution(rank: 1, filters: 8, kernelSize: [5], strides: [2], padding: .same).multiplyAdds(for: [15, 4]), 8 * 5 * 4 * 8)
        XCTAssertEqual(try Dense(units: 64).multiplyAdds(for: [1024]), 65536)
        XCTAssertEqual(try Pooling(kind: .max, rank: 2).multiplyAdds(for: [30, 30, 32]), 0)
        XCTAssertEqual(Flatten().multiplyAdds(for: [4, 4, 64]), 0)
    }

    func testKerasNamesAndConfiguration() throws {
        let layers: [(Layer, String, String)] = [
            (try Convolution(rank: 1, filters: 1, kernelSize: [1]), "Conv1D", "conv1d"),
            (try Convolution(rank: 2, filters: 1, kernelSize: [1]), "Conv2D", "conv2d"),
            (try Convolution(rank: 3, filters: 1, kernelSize: [1]), "Conv3D", "conv3d"),
            (try Pooling(kind: .max, rank: 1), "MaxPooling1D", "max_pooling1d"),
            (try Pooling(kind: .max, rank: 2), "MaxPooling2D", "max_pooling2d"),
            (try Pooling(kind: .max, rank: 3), "MaxPooling3D", "max_pooling3d"),
            (try Pooling(kind: .average, rank: 1), "AveragePooling1D", "average_pooling1d"),
            (try Pooling(kind: .average, rank: 2), "AveragePooling2D", "average_pooling2d"),
            (try Pooling(kind: .average, rank: 3), "AveragePooling3D", "average_pooling3d"),
            (try GlobalPooling(kind: .average, rank: 2), "GlobalAveragePooling2D", "global_average_pooling2d"),
            (try GlobalPooling(kind: .max, rank: 2), "GlobalMaxPooling2D", "global_max_pooling2d"),
            (try GlobalPooling(kind: .average, rank: 1), "GlobalAveragePooling1D", "global_average_pooling1d"),
            (try Dense(units: 1), "Dense", "dense"),
            (Flatten(), "Flatten", "flatten"),
            (try Dropout(rate: 0.5), "Dropout", "dropout"),
            (ActivationLayer(.relu), "Activation", "activation"),
        ]
        for (layer, typeName, prefix) in layers {
            XCTAssertEqual(layer.typeName, typeName)
            XCTAssertEqual(layer.namePrefix, prefix)
            XCTAssertEqual(layer.name, prefix)
        }
        func config(_ layer: Layer) -> [String: String] {
            Dictionary(uniqueKeysWithValues: layer.configuration.map { ($0.key, $0.value.literal) })
        }
        XCTAssertEqual(config(try Convolution(rank: 2, filters: 64, kernelSize: [3, 3], strides: [3], padding: .same, activation: .relu)),
                       ["filters": "64", "kernel_size": "(3, 3)", "strides": "(3, 3)", "padding": "'same'", "activation": "'relu'", "use_bias": "True"],
                       "values are Python literals, as Keras's constructor arguments are written")
        XCTAssertEqual(config(try Convolution(rank: 1, filters: 64, kernelSize: [3]))["kernel_size"], "(3,)")
        XCTAssertEqual(config(try Convolution(rank: 2, filters: 4, kernelSize: [3], dilation: [2, 1]))["dilation_rate"], "(2, 1)",
                       "dilation_rate is written when a window is dilated")
        XCTAssertEqual(config(try Pooling(kind: .max, rank: 2, poolSize: [2, 2], strides: [2], padding: .valid)),
                       ["pool_size": "(2, 2)", "strides": "(2, 2)", "padding": "'valid'"])
        XCTAssertEqual(config(try Pooling(kind: .average, rank: 2, poolSize: [3]))["strides"], "(3, 3)", "strides default to the pool size")
        XCTAssertEqual(config(try Dense(units: 10, activation: .softmax)), ["units": "10", "activation": "'softmax'", "use_bias": "True"])
        XCTAssertEqual(config(try Dropout(rate: 0.25)), ["rate": "0.25"])
        XCTAssertEqual(config(ActivationLayer(.tanh)), ["activation": "'tanh'"])
    }

    func testDenseOnAnImageProposesFlatten() throws {
        let dense = try Dense(units: 64)
        XCTAssertThrowsError(try dense.outputShape(for: [4, 4, 64])) { error in
            guard let error = error as? ShapeError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.message, "Dense expects a flat input (features,) but got shape (4, 4, 64)")
            XCTAssertEqual(error.hint, "add `flatten` before `dense` to turn (4, 4, 64) into (1024,)")
        }
        var generator = SeededGenerator(seed: 1)
        XCTAssertThrowsError(try dense.build(inputShape: [4, 4, 64], generator: &generator))
    }

    func testWindowLargerThanAValidInputIsAClearError() throws {
        let conv = try Convolution(rank: 2, filters: 8, kernelSize: [5, 5])
        XCTAssertThrowsError(try conv.outputShape(for: [4, 6, 3])) { error in
            guard let error = error as? ShapeError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.message, "Conv2D: window (5, 5) is larger than the input (4, 6) with padding valid (axis 1: 5 > 4)")
            XCTAssertEqual(error.hint, "use padding same, a smaller window, or a larger input")
        }
        XCTAssertEqual(try Convolution(rank: 2, filters: 8, kernelSize: [5, 5], padding: .same).outputShape(for: [4, 6, 3]), [4, 6, 8])
        XCTAssertThrowsError(try Pooling(kind: .max, rank: 2, poolSize: [3]).outputShape(for: [2, 2, 1]))
    }

    func testWrongRanksAndSettingsAreErrors() throws {
        XCTAssertThrowsError(try Convolution(rank: 2, filters: 8, kernelSize: [3]).outputShape(for: [32, 3])) { error in
            XCTAssertEqual((error as? ShapeError)?.message, "Conv2D expects inputs of rank 3 (height, width, channels) but got shape (32, 3)")
            XCTAssertEqual((error as? ShapeError)?.hint, "give an input with 3 axes excluding the batch (use the 1D form of this layer)")
        }
        XCTAssertThrowsError(try GlobalPooling(kind: .average, rank: 2).outputShape(for: [64]))
        XCTAssertThrowsError(try Convolution(rank: 4, filters: 8, kernelSize: [3]))
        XCTAssertThrowsError(try Convolution(rank: 2, filters: 0, kernelSize: [3]))
        XCTAssertThrowsError(try Convolution(rank: 2, filters: 8, kernelSize: [3, 3, 3])) { error in
            XCTAssertEqual((error as? ConfigurationError)?.message, "Conv2D kernel size (3, 3, 3) has 3 values but the layer is 2D")
        }
        XCTAssertThrowsError(try Convolution(rank: 2, filters: 8, kernelSize: [3], strides: [0]))
        XCTAssertThrowsError(try Pooling(kind: .max, rank: 2, poolSize: [0]))
        XCTAssertThrowsError(try Dense(units: 0))
    }
}
