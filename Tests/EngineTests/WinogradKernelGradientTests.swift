import Engine
import EngineKernels
import XCTest

/// The Winograd backward pass called on the C loops directly, with counts the engine's plan
/// never sends it: filters and channels that leave part of a vector (the last filters of the
/// output-gradient transform go through zero-padded copies; the last channels of the input
/// gradient's through scalar loops). Checked against the direct loops' kernel and input
/// gradients at every instruction-set variant, for both tile sizes, valid and same padding.
final class WinogradKernelGradientTests: XCTestCase {
    func testRemaindersMatchTheDirectLoops() {
        let top = VectorLoops.limit(2)
        defer { VectorLoops.limit(2) }
        for level in 0...top {
            XCTAssertEqual(VectorLoops.limit(level), level)
            for tile: Int32 in [2, 4] {
                for (channels, filters) in [(8, 5), (11, 21), (16, 32)] {
                    for pad: Int32 in [0, 1] {
                        check(tile: tile, channels: channels, filters: filters, pad: pad,
                              what: "\(VectorLoops.name), tile \(tile), \(channels) channels, \(filters) filters, pad \(pad)")
                    }
                }
            }
        }
    }

    func check(tile: Int32, channels: Int, filters: Int, pad: Int32, what: String) {
        // 9 x 10 inputs, 3x3: 7 x 8 outputs (valid) or 9 x 10 (same), so the last tiles are
        // part-filled at both sizes.
        let (items, height, width) = (3, 9, 10)
        let (outH, outW) = (height - 2 + 2 * Int(pad), width - 2 + 2 * Int(pad))
        let g = cnnb_window(channels: Int32(channels), input: (1, Int32(height), Int32(width)), window: (1, 3, 3),
                            stride: (1, 1, 1), pad: (0, pad, pad), dilation: (1, 1, 1), output: (1, Int32(outH), Int32(outW)))
        XCTAssertEqual(cnnb_winograd_applies(g), 1, what)
        XCTAssertEqual(cnnb_direct_input_gradient_applies(g), 1, what)
        let input = uniformTensor([items, height, width, channels], seed: 5)
        let gradient = uniformTensor([items, outH, outW, filters], seed: 6)
        let kernel = uniformTensor([9 * channels, filters], seed: 7)
        let scratch = Tensor(zeros: [max(cnnb_direct_scratch_floats(g, Int32(filters), Int32(items)),
                                         cnnb_direct_input_gradient_scratch_floats(g, Int32(filters), Int32(items)),
                                         cnnb_winograd_backward_scratch_floats(g, Int32(filters), Int32(items), tile))])
        // The direct loops: kernel gradient, and the flipped kernel's convolution.
        let directKernel = Tensor(zeros: [9 * channels, filters]), directInput = Tensor(zeros: input.shape)
        cnnb_direct_kernel_gradient(input.pointer, gradient.pointer, nil, directKernel.pointer, nil, g, Int32(filters),
                                    Int32(items), scratch.pointer)
        let flipped = Tensor(zeros: [9 * channels * filters])
        cnnb_direct_flip_kernel(kernel.pointer, flipped.pointer, g, Int32(filters))
        cnnb_direct_input_gradient(gradient.pointer, flipped.pointer, directInput.pointer, g, Int32(filters), Int32(items),
                                   scratch.pointer)
        // Winograd: the kernel transformed and transposed; two calls, the first writing the
        // sums, the second adding its items to them. The input gradient starts as garbage: it
        // must be written, not added to.
        let elements = (tile + 2) * (tile + 2)
        let transformed = Tensor(zeros: [cnnb_winograd_kernel_floats(tile, Int32(channels), Int32(filters))])
        let transposed = Tensor(zeros: [cnnb_winograd_kernel_floats(tile, Int32(filters), Int32(channels))])
        cnnb_winograd_kernel(kernel.pointer, transformed.pointer, tile, Int32(channels), Int32(filters), 0, Int32(channels))
        cnnb_winograd_transpose(transformed.pointer, transposed.pointer, Int32(channels), Int32(filters), 0, elements)
        let sums = Tensor(zeros: [cnnb_winograd_kernel_floats(tile, Int32(channels), Int32(filters))])
        let winogradKernel = Tensor(zeros: [9 * channels, filters]), winogradInput = uniformTensor(input.shape, seed: 8)
        let itemInput = height * width * channels, itemGradient = outH * outW * filters
        cnnb_winograd_backward(input.pointer, gradient.pointer, sums.pointer, transposed.pointer, winogradInput.pointer, g,
                               Int32(filters), 1, scratch.pointer, tile, 0)
        cnnb_winograd_backward(input.pointer + itemInput, gradient.pointer + itemGradient, sums.pointer, transposed.pointer,
                               winogradInput.pointer + itemInput, g, Int32(filters), Int32(items - 1), scratch.pointer, tile, 1)
        cnnb_winograd_kernel_gradient_finish(sums.pointer, winogradKernel.pointer, tile, Int32(channels), Int32(filters), 0,
                                             Int32(channels))
        assertGradientClose(winogradKernel.scalars, directKernel.scalars, "\(what): kernel gradient")
        assertGradientClose(winogradInput.scalars, directInput.scalars, "\(what): input gradient")
    }

    func assertGradientClose(_ actual: [Float], _ expected: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let scale = expected.map(abs).max() ?? 0
        XCTAssertGreaterThan(scale, 1, "\(what): a gradient near zero would prove nothing", file: file, line: line)
        assertRelativelyClose(actual, expected, what, file: file, line: line)
    }
}
