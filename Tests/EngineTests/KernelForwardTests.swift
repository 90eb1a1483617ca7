import Engine
import XCTest

/// Forward passes small enough to compute by hand.
final class KernelForwardTests: XCTestCase {
    /// Builds a one-channel-in, one-filter 2D convolution with the given kernel rows and bias.
    func convolution(kernel: [[Float]], strides: [Int] = [1], padding: Padding, bias: Float,
                     input: [Int]) throws -> Convolution {
        let layer = try Convolution(rank: 2, filters: 1, kernelSize: [kernel.count, kernel[0].count], strides: strides, padding: padding)
        var generator = SeededGenerator(seed: 1)
        try layer.build(inputShape: input, generator: &generator)
        layer.parameters[0].value.assign(Tensor(shape: [kernel.count, kernel[0].count, 1, 1], values: kernel.flatMap { $0 }))
        layer.parameters[1].value[flat: 0] = bias
        return layer
    }

    func ramp(_ rows: Int, _ columns: Int) -> Tensor {
        Tensor(shape: [1, rows, columns, 1], values: (1...(rows * columns)).map(Float.init))
    }

    func testValidThreeByThreeOnFiveByFive() throws {
        // x[i][j] = 5i + j + 1. With kernel [[1, 2, 0], [0, 1, 0], [-1, 0, 1]]:
        // y[i][j] = x[i][j] + 2x[i][j+1] + x[i+1][j+1] - x[i+2][j] + x[i+2][j+2]
        //         = (5i+j+1) + 2(5i+j+2) + (5i+j+7) - (5i+j+11) + (5i+j+13) = 20i + 4j + 14, plus bias 0.5.
        let layer = try convolution(kernel: [[1, 2, 0], [0, 1, 0], [-1, 0, 1]], padding: .valid, bias: 0.5, input: [5, 5, 1])
        let y = layer.forward(ramp(5, 5), training: false)
        XCTAssertEqual(y.shape, [1, 3, 3, 1])
        XCTAssertEqual(y.scalars, [14.5, 18.5, 22.5, 34.5, 38.5, 42.5, 54.5, 58.5, 62.5])
    }

    func testSamePaddingOnAnEvenSizeWithStrideTwoPadsAfter() throws {
        // 4x4 ramp (x[i][j] = 4i + j + 1), all-ones 3x3 kernel, stride 2, same: out = 2,
        // total pad = (2-1)·2 + 3 - 4 = 1, all of it after. Windows cover rows/columns
        // {0,1,2} and {2,3}:
        // y00 = 1+2+3+5+6+7+9+10+11 = 54, y01 = 3+4+7+8+11+12 = 45,
        // y10 = 9+10+11+13+14+15 = 72,    y11 = 11+12+15+16 = 54.
        // (Padding before instead would give y00 = 1+2+5+6 = 14.)
        let ones: [[Float]] = Array(repeating: [1, 1, 1], count: 3)
        let layer = try convolution(kernel: ones, strides: [2], padding: .same, bias: 0, input: [4, 4, 1])
        let y = layer.forward(ramp(4, 4), training: false)
        XCTAssertEqual(y.shape, [1, 2, 2, 1])
        XCTAssertEqual(y.scalars, [54, 45, 72, 54])
    }

    func testSamePaddingOnAnOddSizeSplitsEvenly() throws {
        // 5-long 1D ramp, kernel [1, 10, 100], stride 1, same: pad 1 before and 1 after.
        // y0 = 0 + 10·1 + 100·2 = 210, y1 = 1 + 20 + 300 = 321, …, y4 = 4 + 50 + 0 = 54.
        let layer = try Convolution(rank: 1, filters: 1, kernelSize: [3], padding: .same)
        var generator = SeededGenerator(seed: 1)
        try layer.build(inputShape: [5, 1], generator: &generator)
        layer.parameters[0].value.assign(Tensor(shape: [3, 1, 1], values: [1, 10, 100]))
        let y = layer.forward(Tensor(shape: [1, 5, 1], values: [1, 2, 3, 4, 5]), training: false)
        XCTAssertEqual(y.scalars, [210, 321, 432, 543, 54])
    }

    func testChannelsAndFiltersFollowKerasKernelLayout() throws {
        // 1x1 kernel (1, 1, in 2, out 3) is a per-pixel matrix product: y[f] = Σ_c x[c] · k[c][f].
        let layer = try Convolution(rank: 2, filters: 3, kernelSize: [1])
        var generator = SeededGenerator(seed: 1)
        try layer.build(inputShape: [1, 2, 2], generator: &generator)
        layer.parameters[0].value.assign(Tensor(shape: [1, 1, 2, 3], values: [1, 2, 3,
                                                                              10, 20, 30]))
        layer.parameters[1].value.assign(Tensor(shape: [3], values: [0, 0, 1]))
        let y = layer.forward(Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4]), training: false)
        XCTAssertEqual(y.scalars, [21, 42, 64, 43, 86, 130])
    }

    let matrix: [Float] = [1, 3, 2, 4,
                           5, 0, 7, 1,
                           2, 9, 4, 4,
                           6, 1, 3, 8]

    func pool(_ kind: PoolingKind, size: Int, strides: Int, padding: Padding) throws -> (Pooling, Tensor) {
        let layer = try Pooling(kind: kind, rank: 2, poolSize: [size], strides: [strides], padding: padding)
        var generator = SeededGenerator(seed: 1)
        try layer.build(inputShape: [4, 4, 1], generator: &generator)
        return (layer, layer.forward(Tensor(shape: [1, 4, 4, 1], values: matrix), training: false))
    }

    func testMaxPoolingTwoByTwoAndItsGradientRoute() throws {
        let (layer, y) = try pool(.max, size: 2, strides: 2, padding: .valid)
        XCTAssertEqual(y.scalars, [5, 7, 9, 8])
        let d = layer.backward(Tensor(shape: [1, 2, 2, 1], values: [1, 2, 3, 4]))
        XCTAssertEqual(d.scalars, [0, 0, 0, 0,
                                   1, 0, 2, 0,
                                   0, 3, 0, 0,
                                   0, 0, 0, 4])
    }

    func testAveragePoolingTwoByTwo() throws {
        // (1+3+5+0)/4, (2+4+7+1)/4, (2+9+6+1)/4, (4+4+3+8)/4.
        let (layer, y) = try pool(.average, size: 2, strides: 2, padding: .valid)
        XCTAssertEqual(y.scalars, [2.25, 3.5, 4.5, 4.75])
        let d = layer.backward(Tensor(shape: [1, 2, 2, 1], values: [4, 8, 12, 16]))
        XCTAssertEqual(d.scalars, [1, 1, 2, 2,
                                   1, 1, 2, 2,
                                   3, 3, 4, 4,
                                   3, 3, 4, 4])
    }

    func testSamePaddedPoolsIgnorePaddingAndAverageOverRealElements() throws {
        // 3x3 windows, stride 2, same on 4x4: windows {0,1,2} and {2,3} on each axis.
        let (_, maxY) = try pool(.max, size: 3, strides: 2, padding: .same)
        XCTAssertEqual(maxY.scalars, [9, 7, 9, 8])
        // 33/9, (2+4+7+1+4+4)/6, (2+9+4+6+1+3)/6, (4+4+3+8)/4.
        let (_, averageY) = try pool(.average, size: 3, strides: 2, padding: .same)
        let expected: [Float] = [33.0 / 9, 22.0 / 6, 25.0 / 6, 19.0 / 4]
        for (a, e) in zip(averageY.scalars, expected) { XCTAssertEqual(a, e, accuracy: 1e-6) }
    }

    func testGlobalPools() throws {
        let input = Tensor(shape: [1, 2, 2, 2], values: [1, -1, 5, 2, 3, 7, -4, 0])
        let average = try GlobalPooling(kind: .average, rank: 2)
        XCTAssertEqual(average.forward(input, training: false).scalars, [1.25, 2])
        let maximum = try GlobalPooling(kind: .max, rank: 2)
        XCTAssertEqual(maximum.forward(input, training: false).scalars, [5, 7])
        XCTAssertEqual(maximum.backward(Tensor(shape: [1, 2], values: [1, 2])).scalars, [0, 0, 1, 0, 0, 2, 0, 0])
    }

    func testSoftmaxRowsSumToOneAndSurviveLargeInputs() throws {
        let layer = ActivationLayer(.softmax)
        let y = layer.forward(Tensor(shape: [2, 3], values: [1, 2, 3, 1000, 1000, 1000]), training: false)
        let e1 = expf(1), e2 = expf(2), e3 = expf(3), sum = e1 + e2 + e3
        let expected: [Float] = [e1 / sum, e2 / sum, e3 / sum, 1.0 / 3, 1.0 / 3, 1.0 / 3]
        for (a, e) in zip(y.scalars, expected) { XCTAssertEqual(a, e, accuracy: 1e-6) }
    }

    func testBatchedConvolutionEqualsItemByItem() throws {
        // The whole-batch im2col + GEMM path must give each item what it gives alone.
        let layer = try Convolution(rank: 2, filters: 5, kernelSize: [3], strides: [2], padding: .same, activation: .relu)
        var generator = SeededGenerator(seed: 3)
        try layer.build(inputShape: [9, 8, 4], generator: &generator)
        let batch = Tensor(zeros: [6, 9, 8, 4])
        for i in 0..<batch.count { batch[flat: i] = generator.uniform(-1, 1) }
        let together = layer.forward(batch, training: false).copy()
        for n in 0..<6 {
            let alone = layer.forward(batch.slice(n..<(n + 1)).copy(), training: false)
            XCTAssertEqual(alone.scalars, together.slice(n..<(n + 1)).scalars)
        }
    }
}
