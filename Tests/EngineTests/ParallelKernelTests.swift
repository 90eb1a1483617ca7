import Engine
import XCTest

/// The fast paths taken by layers large enough to split across cores or wide enough for the
/// eight-lane loops, checked against plain references.
final class ParallelKernelTests: XCTestCase {
    /// Max pooling over 11 and 37 channels (vector blocks of every width the loops use, and
    /// single lanes) and 48 (whole vectors at every width: windows inside the input take the
    /// unclipped loops), with each instruction-set variant, against a reference that scans each
    /// clipped window; the gradient must land on each window's largest input (values are
    /// distinct, so there are no ties).
    func testMaxPoolingMatchesAReferenceScan() throws {
        let top = VectorLoops.limit(2)
        defer { VectorLoops.limit(2) }
        for level in 0...top {
            XCTAssertEqual(VectorLoops.limit(level), level)
            for channels in [11, 37, 48] { try checkMaxPooling(channels: channels) }
            try checkMaxPooling(channels: 48, ties: true)
        }
    }

    /// With `ties`, the inputs are relu outputs, half of them zero: a window of zeros routes its
    /// gradient to its first element, as the reference's scan (and TensorFlow's) does.
    func checkMaxPooling(channels: Int, ties: Bool = false) throws {
        for (size, strides, padding) in [([2, 2], [2, 2], Padding.valid), ([3, 3], [2, 2], .same), ([2, 3], [1, 2], .valid),
                                         ([2, 2], [2, 2], .same)] {
            let (batch, height, width) = (6, 9, 7)
            let layer = try Pooling(kind: .max, rank: 2, poolSize: size, strides: strides, padding: padding)
            var generator = SeededGenerator(seed: 3)
            try layer.build(inputShape: [height, width, channels], generator: &generator)
            let input = uniformTensor([batch, height, width, channels], seed: 11)
            if ties { input.pointer.update(from: input.scalars.map { max($0, 0) }, count: input.count) }
            let output = layer.forward(input, training: true).copy()
            let (outH, outW) = (output.shape[1], output.shape[2])
            let gradient = uniformTensor(output.shape, seed: 12)
            let dInput = layer.backward(gradient).copy()
            let expectedInput = Tensor(zeros: input.shape)
            let padTop = padding == .same ? max((outH - 1) * strides[0] + size[0] - height, 0) / 2 : 0
            let padLeft = padding == .same ? max((outW - 1) * strides[1] + size[1] - width, 0) / 2 : 0
            for n in 0..<batch {
                for i in 0..<outH {
                    for j in 0..<outW {
                        for c in 0..<channels {
                            var best = -Float.infinity, at = (0, 0)
                            for y in (i * strides[0] - padTop)..<(i * strides[0] - padTop + size[0]) where y >= 0 && y < height {
                                for x in (j * strides[1] - padLeft)..<(j * strides[1] - padLeft + size[1]) where x >= 0 && x < width {
                                    if input[n, y, x, c] > best { best = input[n, y, x, c]; at = (y, x) }
                                }
                            }
                            XCTAssertEqual(output[n, i, j, c], best, "\(VectorLoops.name) \(size) \(strides) \(padding) at \([n, i, j, c])")
                            expectedInput[n, at.0, at.1, c] += gradient[n, i, j, c]
                        }
                    }
                }
            }
            XCTAssertEqual(dInput.scalars, expectedInput.scalars, "\(VectorLoops.name) \(channels) channels \(size) \(strides) \(padding)")
            // Inference mode skips recording the winners; a backward pass after it finds them.
            XCTAssertEqual(layer.forward(input, training: false).scalars, output.scalars)
            XCTAssertEqual(layer.backward(gradient).scalars, expectedInput.scalars, "after inference")
        }
    }

    /// A convolution big enough to be split across cores gives what it gives one item at a
    /// time: outputs, input gradients, and kernel and bias gradients summed over the items.
    func testSplitConvolutionMatchesItemByItem() throws {
        let (batch, side, channels, filters) = (6, 12, 8, 16)
        func make() throws -> Convolution {
            let layer = try Convolution(rank: 2, filters: filters, kernelSize: [3], padding: .same, activation: .relu)
            var generator = SeededGenerator(seed: 5)
            try layer.build(inputShape: [side, side, channels], generator: &generator)
            layer.parameters[1].value.assign(uniformTensor([filters], seed: 6))
            return layer
        }
        let whole = try make(), single = try make()
        let input = uniformTensor([batch, side, side, channels], seed: 7)
        let gradient = uniformTensor([batch, side, side, filters], seed: 8)
        let output = whole.forward(input, training: true).copy()
        let dInput = whole.backward(gradient).copy()

        let item = side * side * channels, itemOut = side * side * filters
        for n in 0..<batch {
            let y = single.forward(input.slice(n..<(n + 1)), training: true)
            for k in 0..<itemOut {
                XCTAssertEqual(y[flat: k], output[flat: n * itemOut + k], accuracy: 1e-5, "output of item \(n)")
            }
            let d = single.backward(gradient.slice(n..<(n + 1)))
            for k in 0..<item {
                XCTAssertEqual(d[flat: k], dInput[flat: n * item + k], accuracy: 1e-5, "input gradient of item \(n)")
            }
        }
        for (split, serial) in zip(whole.parameters, single.parameters) {
            XCTAssertGreaterThan(serial.gradient.scalars.map(abs).max()!, 0.1)
            for k in 0..<split.gradient.count {
                XCTAssertEqual(split.gradient[flat: k], serial.gradient[flat: k],
                               accuracy: 1e-4 * max(1, abs(serial.gradient[flat: k])), "\(serial.name) gradient")
            }
        }
    }
}
