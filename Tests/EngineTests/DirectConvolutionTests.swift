import Engine
import XCTest

/// Convolutions run on the direct loops instead of im2col + GEMM (under eight input channels,
/// or with filters that fill whole vectors; the input gradient too at stride 1), 3x3 ones at
/// stride 1 on Winograd F(4x4, 3x3) or F(2x2, 3x3), forward and backward; each
/// instruction-set variant is checked against a plain convolution written out here: the
/// output, the kernel and bias gradients, and the input gradient. Cases whose filters do not
/// fill vectors at one width take im2col + GEMM there, and are checked the same way.
final class DirectConvolutionTests: XCTestCase {
    struct Case {
        var rank: Int, input: [Int], channels: Int, filters: Int, kernel: [Int]
        var strides: [Int] = [1], padding: Padding = .valid, dilation: [Int] = [1]
        /// Items in the batch: enough, for some, that a core's share spans several blocks.
        var batch = 3
    }

    // Odd and even sizes, strides, same padding (before and after), dilation, and filter counts
    // that leave vector remainders (5, 37) or fill whole vectors (16, 32, 48).
    let cases: [Case] = [
        Case(rank: 2, input: [32, 32], channels: 3, filters: 32, kernel: [3]),
        Case(rank: 2, input: [9, 7], channels: 3, filters: 37, kernel: [3], padding: .same),
        Case(rank: 2, input: [10, 11], channels: 1, filters: 5, kernel: [3, 2], strides: [2, 3], padding: .same),
        Case(rank: 2, input: [8, 8], channels: 4, filters: 16, kernel: [4], strides: [2], padding: .same),
        Case(rank: 2, input: [13, 9], channels: 2, filters: 48, kernel: [3], padding: .valid, dilation: [2]),
        Case(rank: 2, input: [7, 12], channels: 7, filters: 9, kernel: [5, 3], strides: [1, 2], padding: .same),
        Case(rank: 1, input: [23], channels: 3, filters: 20, kernel: [5], strides: [2], padding: .same),
        Case(rank: 3, input: [5, 6, 7], channels: 2, filters: 17, kernel: [2, 3, 3], padding: .same),
        // Deeper inputs: the lesson's second and third convolutions, same padding, dilation,
        // a stride (direct forward and kernel gradient, GEMM input gradient), 1D and 3D.
        Case(rank: 2, input: [15, 15], channels: 32, filters: 64, kernel: [3]),
        Case(rank: 2, input: [6, 6], channels: 64, filters: 64, kernel: [3]),
        Case(rank: 2, input: [9, 8], channels: 16, filters: 32, kernel: [3], padding: .same),
        Case(rank: 2, input: [7, 9], channels: 12, filters: 16, kernel: [3], padding: .same, dilation: [2]),
        Case(rank: 2, input: [10, 11], channels: 10, filters: 32, kernel: [3], strides: [2], padding: .same),
        Case(rank: 2, input: [8, 7], channels: 9, filters: 20, kernel: [2, 3]),
        Case(rank: 1, input: [21], channels: 9, filters: 48, kernel: [4], padding: .same),
        Case(rank: 3, input: [4, 5, 6], channels: 8, filters: 16, kernel: [3], padding: .same),
        // Winograd F(4x4, 3x3) (above, and here) and F(2x2, 3x3), forward and backward: output
        // sizes that leave the last tiles part-filled, same padding, and channels that fill
        // vectors at some widths only (the input gradient's last channels on scalar loops at the
        // others).
        Case(rank: 2, input: [11, 13], channels: 8, filters: 16, kernel: [3]),
        Case(rank: 2, input: [9, 12], channels: 24, filters: 48, kernel: [3], padding: .same),
        Case(rank: 2, input: [8, 8], channels: 16, filters: 32, kernel: [3]),
        Case(rank: 2, input: [2, 40], channels: 16, filters: 16, kernel: [3], padding: .same),
        // A batch whose chunks take two blocks each (16 items a block): the kernel gradient's
        // Winograd sums written by a chunk's first block and added to by the next.
        Case(rank: 2, input: [6, 6], channels: 16, filters: 16, kernel: [3], batch: 100),
        // Deeper than 2,048 window elements: im2col + GEMM at every width.
        Case(rank: 2, input: [5, 6], channels: 240, filters: 16, kernel: [3], padding: .same),
    ]

    /// The plain convolution's output, kernel, bias and input gradients for dLoss/dOutput `dz`.
    func reference(_ c: Case, x: Tensor, kernel: Tensor, bias: Tensor, dz: Tensor, outputShape: [Int])
        -> (y: [Float], dKernel: [Float], dBias: [Float], dInput: [Float]) {
        // Everything on (depth, height, width); a lower rank takes the last axes.
        func three(_ v: [Int], _ fill: Int) -> [Int] { Array(repeating: fill, count: 3 - v.count) + v }
        func expand(_ v: [Int]) -> [Int] { v.count == 1 ? Array(repeating: v[0], count: c.rank) : v }
        let size = three(c.input, 1), k = three(expand(c.kernel), 1), s = three(expand(c.strides), 1)
        let d = three(expand(c.dilation), 1), out = three(Array(outputShape.dropFirst().dropLast()), 1)
        var pad = [0, 0, 0]
        for a in 0..<3 where c.padding == .same {
            let span: Int = d[a] * (k[a] - 1) + 1
            let total: Int = (out[a] - 1) * s[a] + span - size[a]
            pad[a] = max(total, 0) / 2
        }
        let batch = x.shape[0], ch = c.channels, f = c.filters
        var y = [Float](repeating: 0, count: batch * out[0] * out[1] * out[2] * f)
        var dKernel = [Float](repeating: 0, count: kernel.count), dBias = [Float](repeating: 0, count: f)
        var dInput = [Float](repeating: 0, count: x.count)
        for n in 0..<batch {
            for o0 in 0..<out[0] { for o1 in 0..<out[1] { for o2 in 0..<out[2] {
                let row = (((n * out[0] + o0) * out[1] + o1) * out[2] + o2) * f
                for j in 0..<f {
                    var sum = Double(bias[flat: j])
                    let g = dz[flat: row + j]
                    dBias[j] += g
                    for k0 in 0..<k[0] { for k1 in 0..<k[1] { for k2 in 0..<k[2] {
                        let i0 = o0 * s[0] - pad[0] + k0 * d[0], i1 = o1 * s[1] - pad[1] + k1 * d[1]
                        let i2 = o2 * s[2] - pad[2] + k2 * d[2]
                        guard (0..<size[0]).contains(i0), (0..<size[1]).contains(i1), (0..<size[2]).contains(i2) else { continue }
                        for m in 0..<ch {
                            let xi = (((n * size[0] + i0) * size[1] + i1) * size[2] + i2) * ch + m
                            let ki = (((k0 * k[1] + k1) * k[2] + k2) * ch + m) * f + j
                            sum += Double(x[flat: xi]) * Double(kernel[flat: ki])
                            dKernel[ki] += x[flat: xi] * g
                            dInput[xi] += kernel[flat: ki] * g
                        }
                    }}}
                    y[row + j] = Float(sum)
                }
            }}}
        }
        return (y, dKernel, dBias, dInput)
    }

    func testEveryVariantMatchesThePlainConvolution() throws {
        let top = VectorLoops.limit(2)
        defer { VectorLoops.limit(2) }
        for (index, c) in cases.enumerated() {
            let layer = try Convolution(rank: c.rank, filters: c.filters, kernelSize: c.kernel, strides: c.strides,
                                        padding: c.padding, dilation: c.dilation)
            var generator = SeededGenerator(seed: UInt64(index + 1))
            try layer.build(inputShape: c.input + [c.channels], generator: &generator)
            layer.parameters[1].value.assign(uniformTensor([c.filters], seed: 40 + UInt64(index)))
            let x = uniformTensor([c.batch] + c.input + [c.channels], seed: 20 + UInt64(index))
            let outputShape = [c.batch] + (try layer.outputShape(for: c.input + [c.channels]))
            let dz = uniformTensor(outputShape, seed: 60 + UInt64(index))
            let expected = reference(c, x: x, kernel: layer.parameters[0].value, bias: layer.parameters[1].value,
                                     dz: dz, outputShape: outputShape)
            for level in 0...top {
                XCTAssertEqual(VectorLoops.limit(level), level)
                let what = "\(VectorLoops.name), case \(index)"
                for parameter in layer.parameters { parameter.gradient.fill(0) }
                let y = layer.forward(x, training: true).copy()
                XCTAssertEqual(y.shape, outputShape, what)
                let dInput = layer.backward(preActivationGradient: dz).copy()
                assertRelativelyClose(y.scalars, expected.y, "\(what): output")
                assertRelativelyClose(layer.parameters[0].gradient.scalars, expected.dKernel, "\(what): kernel gradient")
                assertRelativelyClose(layer.parameters[1].gradient.scalars, expected.dBias, "\(what): bias gradient")
                assertRelativelyClose(dInput.scalars, expected.dInput, "\(what): input gradient")
            }
        }
    }

    /// A first layer's backward pass skips its input gradient (and, there, the written-out relu
    /// derivative) and keeps the same weight gradients.
    func testSkippedInputGradientOnTheDirectPath() throws {
        for activation in [Activation.relu, .linear] { try checkSkippedInputGradient(activation) }
    }

    func checkSkippedInputGradient(_ activation: Activation) throws {
        let c = cases[1]
        func gradients(computeInput: Bool) throws -> [Float] {
            let layer = try Convolution(rank: 2, filters: c.filters, kernelSize: c.kernel, padding: c.padding, activation: activation)
            var generator = SeededGenerator(seed: 9)
            try layer.build(inputShape: c.input + [c.channels], generator: &generator)
            layer.computesInputGradient = computeInput
            let y = layer.forward(uniformTensor([4] + c.input + [c.channels], seed: 10), training: true)
            _ = layer.backward(uniformTensor(y.shape, seed: 11))
            return layer.parameters[0].gradient.scalars + layer.parameters[1].gradient.scalars
        }
        XCTAssertEqual(try gradients(computeInput: false), try gradients(computeInput: true), "\(activation)")
    }

    /// Relu inside the loops' last step gives max(x, 0) of the plain output: +0 (never -0) below
    /// zero; and its backward pass masks the gradient as relu after the convolution does.
    func testReluInTheLoopsMatchesReluAfterwards() throws {
        let c = cases[2]
        func make(_ activation: Activation) throws -> Convolution {
            let layer = try Convolution(rank: 2, filters: c.filters, kernelSize: c.kernel, strides: c.strides,
                                        padding: c.padding, activation: activation)
            var generator = SeededGenerator(seed: 3)
            try layer.build(inputShape: c.input + [c.channels], generator: &generator)
            layer.parameters[1].value.assign(uniformTensor([c.filters], seed: 4))
            return layer
        }
        let linear = try make(.linear), relu = try make(.relu)
        let x = uniformTensor([5] + c.input + [c.channels], seed: 5)
        let plain = linear.forward(x, training: true).scalars
        let rectified = relu.forward(x, training: true).scalars
        XCTAssertTrue(plain.contains { $0 < 0 } && plain.contains { $0 > 0 })
        XCTAssertEqual(rectified, plain.map { $0 > 0 ? $0 : 0 })
        XCTAssertFalse(rectified.contains { $0.sign == .minus }, "no -0")
        let dy = uniformTensor([5] + (try relu.outputShape(for: c.input + [c.channels])), seed: 6)
        let dx = relu.backward(dy).copy()
        let masked = Tensor(zeros: dy.shape)
        for i in 0..<dy.count { masked[flat: i] = plain[i] > 0 ? dy[flat: i] : 0 }
        XCTAssertEqual(dx.scalars, linear.backward(preActivationGradient: masked).scalars)
        XCTAssertEqual(relu.parameters[0].gradient.scalars, linear.parameters[0].gradient.scalars)
        XCTAssertEqual(relu.parameters[1].gradient.scalars, linear.parameters[1].gradient.scalars)
    }

    /// The Winograd forward pass keeps its transformed kernel between calls while the kernel is
    /// unchanged (prediction over many batches), and transforms it again once any weight changes,
    /// in place (as an optimizer step does) or by a new tensor assigned over it.
    func testAChangedKernelIsTransformedAgain() throws {
        let c = cases[8]  // 15x15x32 to 64 filters: Winograd F(4x4)
        let layer = try Convolution(rank: 2, filters: c.filters, kernelSize: c.kernel)
        var generator = SeededGenerator(seed: 1)
        try layer.build(inputShape: c.input + [c.channels], generator: &generator)
        let x = uniformTensor([2] + c.input + [c.channels], seed: 2)
        let outputShape = [2] + (try layer.outputShape(for: c.input + [c.channels]))
        let dz = Tensor(zeros: outputShape)
        func expected() -> [Float] {
            reference(c, x: x, kernel: layer.parameters[0].value, bias: layer.parameters[1].value, dz: dz,
                      outputShape: outputShape).y
        }
        let first = layer.forward(x, training: false).scalars
        assertRelativelyClose(first, expected(), "before any change")
        XCTAssertEqual(layer.forward(x, training: false).scalars, first, "the same kernel again")
        layer.parameters[0].value[flat: 1000] += 0.5
        let changed = layer.forward(x, training: false).scalars
        XCTAssertTrue(changed != first, "the output moved with the weight")
        assertRelativelyClose(changed, expected(), "one weight changed in place")
        layer.parameters[0].value.assign(uniformTensor(layer.parameters[0].value.shape, seed: 3))
        assertRelativelyClose(layer.forward(x, training: false).scalars, expected(), "a new kernel assigned")
    }
}
