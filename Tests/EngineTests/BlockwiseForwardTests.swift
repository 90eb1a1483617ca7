import Engine
import Foundation
import XCTest

/// Pooling after a convolution takes each block of the convolution's output as it is written
/// (`BlockwiseProducer` into `ItemwiseForward`); the results must be those of the two layers run
/// one after the other, bit for bit, and the pooling's backward pass must find its winners.
final class BlockwiseForwardTests: XCTestCase {
    func testPoolingTakesEachBlockOfAConvolutionAsItIsWritten() throws {
        // 40 items: several blocks per core on every path (direct loops, Winograd, GEMM).
        for (channels, filters, kernel) in [(3, 16, 3), (16, 32, 3), (5, 7, 2)] {
            for kind in PoolingKind.allCases {
                for training in [false, true] {
                    try checkBlocks(channels: channels, filters: filters, kernel: kernel, kind: kind, training: training)
                }
            }
        }
    }

    func checkBlocks(channels: Int, filters: Int, kernel: Int, kind: PoolingKind, training: Bool) throws {
        let what = "\(channels) channels, \(filters) filters, \(kind), training \(training)"
        let convolution = try Convolution(rank: 2, filters: filters, kernelSize: [kernel], activation: .relu)
        let pooling = try Pooling(kind: kind, rank: 2, poolSize: [2], padding: .same)
        var generator = SeededGenerator(seed: 5)
        try convolution.build(inputShape: [12, 11, channels], generator: &generator)
        let pooledShape = try convolution.outputShape(for: [12, 11, channels])
        try pooling.build(inputShape: pooledShape, generator: &generator)
        let x = uniformTensor([40, 12, 11, channels], seed: 7)

        // One after the other.
        let expected = pooling.forward(convolution.forward(x, training: training), training: training).copy()
        let gradient = uniformTensor(expected.shape, seed: 8)
        let expectedInputGradient = pooling.backward(gradient).copy()

        // Block by block, from whichever thread wrote each block.
        let lock = NSLock()
        var covered = [Int](repeating: 0, count: 40)
        let output = pooling.prepareForward(inputShape: [40] + pooledShape, training: training)
        let convolved = convolution.forward(x, training: training) { written, items in
            pooling.forward(items: items, of: written)
            lock.lock()
            for n in items { covered[n] += 1 }
            lock.unlock()
        }
        pooling.finishForward(convolved)
        XCTAssertEqual(covered, [Int](repeating: 1, count: 40), "\(what): every item once")
        XCTAssertEqual(output.shape, expected.shape, what)
        XCTAssertEqual(output.scalars, expected.scalars, what)
        XCTAssertEqual(pooling.backward(gradient).scalars, expectedInputGradient.scalars, "\(what): input gradient")
    }

    /// A model's predictions (which take that path between conv2d and max_pooling2d, and between
    /// conv2d_1 and average_pooling2d) equal its layers' forward passes one by one.
    func testAModelsPredictionsEqualItsLayersRunOneByOne() throws {
        let input = Node.input(shape: [14, 14, 3], seed: 3)
        var x = try Convolution(rank: 2, filters: 16, kernelSize: [3], activation: .relu)(input)
        x = try Pooling(kind: .max, rank: 2)(x)
        x = try Convolution(rank: 2, filters: 32, kernelSize: [3], padding: .same, activation: .relu)(x)
        x = try Pooling(kind: .average, rank: 2)(x)
        x = try Flatten()(x)
        let model = try Model(inputs: input, outputs: try Dense(units: 5, activation: .softmax)(x))
        let images = uniformTensor([37, 14, 14, 3], seed: 4)
        let predicted = try model.predict(images, batchSize: 37)[0]
        var value = images
        for node in model.nodes.dropFirst() { value = node.layer.forward(value, training: false).copy() }
        XCTAssertEqual(predicted.shape, [37, 5])
        XCTAssertEqual(predicted.scalars, value.scalars)
    }

    /// Going backward, max pooling after a layer that ends in relu applies relu's derivative on
    /// its way and the layer goes back from its pre-activation gradient (`InputReluMasking` into
    /// `ReluEnding`), and pooling after a convolution writes its input gradient block by block
    /// inside the convolution's backward pass (`ItemwiseBackward` into `BlockwiseGradientConsumer`):
    /// weight and input gradients must be those of the layers' own backward passes one by one,
    /// bit for bit, with and without the first layer's input gradient.
    func testFusedBackwardPassesGiveTheLayersOwnGradients() throws {
        let input = Node.input(shape: [14, 14, 3], seed: 3)
        var x = try Convolution(rank: 2, filters: 16, kernelSize: [3], activation: .relu)(input)
        x = try Pooling(kind: .max, rank: 2)(x)
        x = try Convolution(rank: 2, filters: 32, kernelSize: [3], padding: .same, activation: .relu)(x)
        x = try Pooling(kind: .max, rank: 2, poolSize: [3], strides: [1])(x)
        x = try Convolution(rank: 2, filters: 16, kernelSize: [1])(x)
        x = try ActivationLayer(.relu)(x)
        x = try Pooling(kind: .max, rank: 2, padding: .same)(x)
        x = try Convolution(rank: 2, filters: 8, kernelSize: [3], padding: .same, activation: .relu)(x)
        x = try Pooling(kind: .average, rank: 2, padding: .same)(x)
        x = try Flatten()(x)
        let model = try Model(inputs: input, outputs: try Dense(units: 5)(x))
        let images = uniformTensor([37, 14, 14, 3], seed: 4)
        let parameters = model.nodes.flatMap(\.layer.parameters)
        func takeGradients() -> [[Float]] {
            defer { for p in parameters { p.gradient.pointer.update(repeating: 0, count: p.gradient.count) } }
            return parameters.map(\.gradient.scalars)
        }
        for inputGradient in [true, false] {
            model.computesInputGradient = inputGradient
            let output = model.forward(images, training: true)
            let seed = uniformTensor(output.shape, seed: 9)
            let modelInputGradient = model.backward(seed).copy()
            let modelGradients = takeGradients()

            var value = images
            for node in model.nodes.dropFirst() { value = node.layer.forward(value, training: true).copy() }
            var gradient = seed
            for node in model.nodes.dropFirst().reversed() { gradient = node.layer.backward(gradient).copy() }
            let layerGradients = takeGradients()
            XCTAssertEqual(modelGradients.count, 10)
            for (k, (fromModel, fromLayers)) in zip(modelGradients, layerGradients).enumerated() {
                XCTAssertTrue(fromModel.contains { $0 != 0 }, "parameter \(k) gets a gradient")
                XCTAssertEqual(fromModel, fromLayers, "parameter \(k), input gradient \(inputGradient)")
            }
            if inputGradient { XCTAssertEqual(modelInputGradient.scalars, gradient.scalars) }
        }
    }
}
