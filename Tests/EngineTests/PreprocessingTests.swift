import Engine
import XCTest

final class PreprocessingTests: XCTestCase {
    func run(_ layer: Layer, _ input: Tensor, training: Bool = false) throws -> Tensor {
        var generator = SeededGenerator(seed: 1)
        try layer.build(inputShape: Array(input.shape.dropFirst()), generator: &generator)
        return layer.forward(input, training: training)
    }

    func ramp(_ h: Int, _ w: Int) -> Tensor { Tensor(shape: [1, h, w, 1], values: (0..<(h * w)).map(Float.init)) }

    func testRescaling() throws {
        let y = try run(Rescaling(scale: 1.0 / 127.5, offset: -1), Tensor(shape: [1, 3], values: [0, 127.5, 255]))
        XCTAssertEqual(y.scalars, [-1, 0, 1])
        XCTAssertEqual(Rescaling(scale: 0.5).configuration.map(\.value.literal), ["0.5", "0.0"])
    }

    func testResizingMatchesKerasBilinear() throws {
        // Keras 3.15 Resizing of the 4x4 ramp 0…15 (half-pixel centres, no antialiasing).
        XCTAssertEqual(try run(Resizing(height: 3, width: 5), ramp(4, 4)).scalars,
                       [0.6666667, 1.3666668, 2.1666667, 2.9666667, 3.6666667,
                        6, 6.7, 7.5, 8.3, 9,
                        11.333334, 12.033334, 12.833334, 13.633333, 14.333334], accuracy: 1e-5)
        XCTAssertEqual(try run(Resizing(height: 2, width: 2), ramp(4, 4)).scalars, [2.5, 4.5, 10.5, 12.5], accuracy: 1e-5)
        let up = try run(Resizing(height: 8, width: 8), ramp(4, 4)).scalars
        XCTAssertEqual(Array(up[0..<8]), [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3], accuracy: 1e-5)
        XCTAssertEqual(Array(up[56..<64]), [12, 12.25, 12.75, 13.25, 13.75, 14.25, 14.75, 15], accuracy: 1e-5)
    }

    func testCenterCropMatchesKeras() throws {
        XCTAssertEqual(try run(CenterCrop(height: 4, width: 3), ramp(6, 6)).scalars, [7, 8, 9, 13, 14, 15, 19, 20, 21, 25, 26, 27])
        XCTAssertEqual(try run(CenterCrop(height: 3, width: 5), ramp(6, 6)).scalars, [6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 18, 19, 20, 21, 22])
        // A target larger than the image: Keras resizes (smart_resize) instead of cropping.
        let grown = try run(CenterCrop(height: 6, width: 6), ramp(4, 4)).scalars
        XCTAssertEqual(Array(grown[0..<6]), [0, 0.5, 1.1666667, 1.8333335, 2.5, 3], accuracy: 1e-5)
        XCTAssertEqual(Array(grown[12..<18]), [4.666667, 5.166667, 5.8333335, 6.5000005, 7.166667, 7.666667], accuracy: 1e-5)
    }

    /// The random layers, seeded.
    func augmentations(seed: UInt64) throws -> [Layer] {
        [RandomFlip(seed: seed), try RandomRotation(factor: 0.2, seed: seed), try RandomTranslation(heightFactor: 0.3, widthFactor: 0.3, seed: seed),
         try RandomZoom(heightFactor: 0.3, seed: seed), try RandomContrast(factor: 0.5, seed: seed)]
    }

    func images(_ count: Int = 4) -> Tensor {
        var generator = SeededGenerator(seed: 3)
        return Tensor(shape: [count, 6, 5, 3], values: (0..<(count * 90)).map { _ in generator.uniform(0, 1) })
    }

    func testAugmentationIsTheIdentityAtInference() throws {
        let x = images()
        for layer in try augmentations(seed: 5) {
            let y = try run(layer, x)
            XCTAssertEqual(y.scalars, x.scalars, layer.typeName)
            let g = Tensor(shape: x.shape, repeating: 0.5)
            XCTAssertEqual(layer.backward(g).scalars, g.scalars, layer.typeName)
        }
    }

    func testAugmentationInTrainingIsSeeded() throws {
        let x = images()
        let first = try augmentations(seed: 5), second = try augmentations(seed: 5), other = try augmentations(seed: 6)
        for i in first.indices {
            let a = try run(first[i], x, training: true).scalars
            XCTAssertNotEqual(a, x.scalars, "\(first[i].typeName) changes images in training")
            XCTAssertEqual(a, try run(second[i], x, training: true).scalars, "\(first[i].typeName): same seed, same images")
            XCTAssertNotEqual(a, try run(other[i], x, training: true).scalars, "\(first[i].typeName): another seed, other images")
            // The next batch draws new transforms.
            XCTAssertNotEqual(a, first[i].forward(x, training: true).scalars, first[i].typeName)
        }
    }

    func testExactTransforms() throws {
        let x = ramp(3, 3)
        let a = x.scalars
        func sampled(_ t: ImageTransform) -> [Float] {
            (0..<3).flatMap { y in (0..<3).map { xx in
                let (sx, sy) = (t.a0 * Float(xx) + t.a1 * Float(y) + t.a2, t.b0 * Float(xx) + t.b1 * Float(y) + t.b2)
                return a[Int(sy.rounded()) * 3 + Int(sx.rounded())]
            } }
        }
        // A quarter turn about the centre of a 3x3 image moves the corners round.
        let quarter = sampled(.rotation(.pi / 2, height: 3, width: 3))
        XCTAssertEqual(quarter, [2, 5, 8, 1, 4, 7, 0, 3, 6])
        XCTAssertEqual(sampled(.zoom(height: 1, width: 1, height: 3, width: 3)), a)
        XCTAssertEqual(ImageTransform.translation(dy: 1, dx: -2), ImageTransform(a0: 1, a1: 0, a2: 2, b0: 0, b1: 1, b2: -1))
    }

    func testTranslationReflectsAtTheEdges() throws {
        // Flip with a fixed seed: every image is flipped or not; either way the values are a
        // permutation of the row, and reflected translation keeps values within the image's.
        let x = Tensor(shape: [8, 1, 4, 1], values: (0..<32).map { Float($0 % 4) })
        let flipped = try run(RandomFlip(mode: .horizontal, seed: 2), x, training: true).scalars
        for n in 0..<8 {
            let row = Array(flipped[(n * 4)..<(n * 4 + 4)])
            XCTAssertTrue(row == [0, 1, 2, 3] || row == [3, 2, 1, 0], "\(row)")
        }
        XCTAssertTrue((0..<8).contains { flipped[$0 * 4] == 3 }, "some image is flipped")
        XCTAssertTrue((0..<8).contains { flipped[$0 * 4] == 0 }, "some image is not")
        let moved = try run(RandomTranslation(heightFactor: 0, widthFactor: 0.5, seed: 2), x, training: true).scalars
        XCTAssertTrue(moved.allSatisfy { $0 >= 0 && $0 <= 3 }, "reflection never brings in values from outside")
    }

    /// Sampling is linear in the image, so backward must be its adjoint: ⟨y, g⟩ = ⟨x, backward(g)⟩.
    func testBackwardIsTheAdjointOfForward() throws {
        let x = images()
        var generator = SeededGenerator(seed: 9)
        var layers = try augmentations(seed: 5)
        layers.removeLast()
        layers += [try Resizing(height: 4, width: 7), try CenterCrop(height: 3, width: 2), try CenterCrop(height: 8, width: 8),
                   try RandomContrast(factor: 0.5, valueRange: (-100, 100), seed: 5)]
        for layer in layers {
            let y = try run(layer, x, training: true)
            let g = Tensor(shape: y.shape, values: (0..<y.count).map { _ in generator.uniform(-1, 1) })
            let d = layer.backward(g)
            var outputSide = 0.0, inputSide = 0.0
            for i in 0..<y.count { outputSide += Double(y[flat: i]) * Double(g[flat: i]) }
            for i in 0..<x.count { inputSide += Double(x[flat: i]) * Double(d[flat: i]) }
            XCTAssertEqual(outputSide, inputSide, accuracy: 1e-4, layer.typeName)
        }
    }

    func testContrastKeepsEachChannelsMean() throws {
        let x = images(2)
        // A value range wide enough that nothing is clipped.
        let y = try run(RandomContrast(factor: 0.5, valueRange: (-10, 10), seed: 4), x, training: true)
        for n in 0..<2 {
            for ch in 0..<3 {
                let mean = { (t: Tensor) in stride(from: n * 90 + ch, to: (n + 1) * 90, by: 3).map { Double(t[flat: $0]) }.reduce(0, +) / 30 }
                XCTAssertEqual(mean(y), mean(x), accuracy: 1e-5)
            }
        }
    }

    func testSettingsKerasRejects() {
        XCTAssertThrowsError(try Resizing(height: 0, width: 4)) { error in
            XCTAssertEqual((error as? ConfigurationError)?.message, "Resizing needs a positive height and width, got 0x4")
        }
        XCTAssertThrowsError(try CenterCrop(height: 3, width: -1))
        XCTAssertThrowsError(try RandomTranslation(heightFactor: 1.5, widthFactor: 0))
        XCTAssertThrowsError(try RandomZoom(heightFactor: -1))
        XCTAssertThrowsError(try RandomContrast(factor: 1.5))
        XCTAssertThrowsError(try RandomRotation(lower: 0.2, upper: 0.1))
        XCTAssertThrowsError(try Resizing(height: 2, width: 2).outputShape(for: [4, 4])) { error in
            XCTAssertEqual((error as? ShapeError)?.message, "Resizing expects images (height, width, channels) but got shape (4, 4)")
        }
    }
}
