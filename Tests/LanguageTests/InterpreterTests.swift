import Datasets
import Engine
import Foundation
@testable import Language
import Render
import XCTest

/// Statements run against a session: the text and figures they give, and the values they leave.
final class InterpreterTests: XCTestCase {
    override func tearDown() {
        SessionHarness.removeFolders()
        super.tearDown()
    }

    // MARK: - layer and explain

    func testLayerOnInputShowsKerasShapeParametersAndMultiplyAdds() throws {
        let session = try SessionHarness.makeSession()
        let result = session.succeed("layer conv 64 3x3 stride 3 padding same on 32x32x3")
        XCTAssertEqual(result.texts.count, 1)
        let lines = result.text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 5)
        XCTAssertTrue(lines[0].hasPrefix("Conv2D(filters=64, kernel_size=(3, 3), strides=(3, 3), padding="), lines[0])
        XCTAssertTrue(lines[0].contains("same"), lines[0])
        XCTAssertEqual(lines[1], "input shape:   (None, 32, 32, 3)")
        XCTAssertEqual(lines[2], "output shape:  (None, 11, 11, 64)")
        // 3·3·3·64 weights + 64 biases; 11·11 positions · 64 filters · 27 products.
        XCTAssertEqual(lines[3], "parameters:    1,792")
        XCTAssertEqual(lines[4], "multiply-adds: 209,088")
    }

    func testLayerWithoutInputShowsOnlyItsConfiguration() throws {
        let session = try SessionHarness.makeSession()
        let text = session.succeed("layer maxpool 2x2 stride 2 padding valid").text
        XCTAssertEqual(text.split(separator: "\n").count, 1)
        XCTAssertTrue(text.hasPrefix("MaxPooling2D(pool_size=(2, 2), strides=(2, 2), padding="), text)
        let valid = session.succeed("layer conv 64 3x3 stride 3 padding valid on 32x32x3").text
        XCTAssertTrue(valid.contains("output shape:  (None, 10, 10, 64)"), valid)
        XCTAssertTrue(valid.contains("multiply-adds: 172,800"), valid)  // 10·10·64·27
        let oneByOne = session.succeed("layer conv 16 1x1 relu on 15x15x64").text
        XCTAssertTrue(oneByOne.contains("parameters:    1,040"), oneByOne)  // 64·16 + 16
        XCTAssertTrue(oneByOne.contains("output shape:  (None, 15, 15, 16)"), oneByOne)
        let flat = session.succeed("layer conv1d 64 3 on 100x8").text
        XCTAssertTrue(flat.contains("output shape:  (None, 98, 64)"), flat)
        XCTAssertTrue(flat.contains("parameters:    1,600"), flat)  // 3·8·64 + 64
        let volume = session.succeed("layer conv3d 8 3x3x3 on 10x10x10x2").text
        XCTAssertTrue(volume.contains("output shape:  (None, 8, 8, 8, 8)"), volume)
        XCTAssertTrue(volume.contains("parameters:    440"), volume)  // 27·2·8 + 8
    }

    func testExplainWritesTheArithmeticWithNumbers() throws {
        let session = try SessionHarness.makeSession()
        let same = session.succeed("explain conv 64 3x3 stride 3 padding same on 32x32x3").text
        let sameLines = same.split(separator: "\n").map(String.init)
        XCTAssertEqual(sameLines.first, "Conv2D on an input of (None, 32, 32, 3)")
        XCTAssertEqual(sameLines.last, "output: (None, 11, 11, 64)")
        // TensorFlow's split of an odd padding: the extra row goes after.
        XCTAssertTrue(same.contains("output = ceil(32 / 3) = 11; padding = max((11 - 1) x 3 + 3 - 32, 0) = 1 → 0 before, 1 after"), same)
        XCTAssertTrue(same.contains("= 1,728 + 64 = 1,792"), same)
        XCTAssertTrue(same.contains("11 x 11 positions x 64 filters x 27 each = 209,088"), same)

        let valid = session.succeed("explain conv 64 3x3 stride 3 padding valid on 32x32x3").text
        XCTAssertTrue(valid.contains("output = floor((32 - 3) / 3) + 1 = 10 (the last 2 of 32 are not covered)"), valid)
        XCTAssertTrue(valid.hasSuffix("output: (None, 10, 10, 64)"), valid)

        let pool = session.succeed("explain maxpool 2x2 stride 2 on 30x30x32").text
        XCTAssertTrue(pool.contains("output = floor((30 - 2) / 2) + 1 = 15"), pool)
        XCTAssertTrue(pool.contains("largest"), pool)
        XCTAssertTrue(pool.contains("parameters: 0"), pool)
        XCTAssertTrue(pool.hasSuffix("output: (None, 15, 15, 32)"), pool)

        let dense = session.succeed("explain dense 64 relu on 1024").text
        XCTAssertTrue(dense.contains("1024 x 64 weights + 64 biases = 65,600"), dense)
        XCTAssertTrue(dense.hasSuffix("output: (None, 64)"), dense)
    }

    // MARK: - apply on written matrices

    /// The last `array(...)` block of an `apply` text: the output matrix.
    private func outputMatrix(_ text: String) -> String {
        guard let range = text.range(of: "array(", options: .backwards) else { return "" }
        return String(text[range.lowerBound...])
    }

    func testApplyPoolingOnAWrittenMatrixShowsTheNumbers() throws {
        let session = try SessionHarness.makeSession()
        session.succeed("m = [[1, 3, 2, 1], [4, 6, 5, 2], [3, 1, 0, 1], [2, 8, 4, 3]]")
        // Windows: {1,3,4,6} {2,1,5,2} {3,1,2,8} {0,1,4,3}.
        let maxText = session.succeed("apply maxpool 2 to m").text
        XCTAssertTrue(maxText.contains("output 2x2"), maxText)
        XCTAssertEqual(outputMatrix(maxText), "array([[6., 5.],\n       [8., 4.]])")
        let avgText = session.succeed("apply avgpool 2 to m").text
        XCTAssertEqual(outputMatrix(avgText), "array([[3.5, 2.5],\n       [3.5, 2. ]])")
        let overlapping = session.succeed("apply maxpool 2 stride 1 to m").text
        XCTAssertEqual(outputMatrix(overlapping), "array([[6., 6., 5.],\n       [6., 6., 5.],\n       [8., 8., 4.]])")
        // 46 / 16
        let global = session.succeed("apply globalavgpool to m").text
        XCTAssertEqual(outputMatrix(global), "array([2.875])")
        // Keras leaves padded cells out of the mean: the border windows average fewer values.
        let padded = session.succeed("apply avgpool 2 padding same to [[1, 2, 3], [4, 5, 6], [7, 8, 9]]").text
        XCTAssertEqual(outputMatrix(padded), "array([[3. , 4.5],\n       [7.5, 9. ]])")
        // Max pooling with same padding never picks a padded cell, even when every value is negative.
        let negative = session.succeed("apply maxpool 2 padding same to [[-1, -2, -3], [-4, -5, -6], [-7, -8, -9]]").text
        XCTAssertEqual(outputMatrix(negative), "array([[-1., -3.],\n       [-7., -9.]])")
        // The session's matrix is unchanged by any of this.
        XCTAssertEqual(session.succeed("m[3]").text, "[2, 8, 4, 3]")
    }

    func testApplyAHandWrittenKernelComputesTheCrossCorrelation() throws {
        let session = try SessionHarness.makeSession()
        let text = session.succeed("apply [[1, 0], [0, -1]] to [[1, 3, 2, 1], [4, 6, 5, 2], [3, 1, 0, 1], [2, 8, 4, 3]]").text
        XCTAssertTrue(text.contains("kernel:"), text)
        // out[i][j] = m[i][j] - m[i+1][j+1]
        XCTAssertEqual(outputMatrix(text), "array([[-5., -2.,  0.],\n       [ 3.,  6.,  4.],\n       [-5., -3., -3.]])")
        let strided = session.succeed("apply [[1, 1], [1, 1]] stride 2 to [[1, 3, 2, 1], [4, 6, 5, 2], [3, 1, 0, 1], [2, 8, 4, 3]]").text
        XCTAssertEqual(outputMatrix(strided), "array([[14., 10.],\n       [14.,  8.]])")
    }

    func testApplyAKernelToAnImageDrawsInputAndFeatureMap() throws {
        let session = try SessionHarness.makeSession()
        session.succeed("data = load shapes")
        let result = session.succeed("apply [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]] to data.train[3]")
        // A colour image is seen in grey (the mean of its channels).
        XCTAssertEqual(result.text, "kernel 3x3, stride 1x1, padding valid: (None, 32, 32, 1) → (None, 30, 30, 1)")
        XCTAssertEqual(result.figures.count, 1)
        let (figure, path) = try XCTUnwrap(result.figures.first)
        guard case .panels(let panels) = figure.content else { return XCTFail("expected two panels") }
        XCTAssertEqual(panels.count, 2)
        let input = try XCTUnwrap(imageGrid(of: panels[0])?.images.first)
        let output = try XCTUnwrap(imageGrid(of: panels[1])?.images.first)
        XCTAssertEqual([input.width, input.height, input.channels], [32, 32, 1])
        XCTAssertEqual([output.width, output.height], [30, 30])
        // The feature map is the Sobel kernel slid over the grey image, computed here by hand.
        guard case .dataset(let d) = try XCTUnwrap(session["data"]) else { return XCTFail("not a dataset") }
        let bytes = Array(d.train.pixels(at: 3))
        let grey = (0..<1024).map { p in (0..<3).reduce(Float(0)) { $0 + Float(bytes[p * 3 + $1]) } / 3 }
        XCTAssertEqual(input.pixels, grey)
        let sobel: [[Float]] = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
        for (y, x) in [(0, 0), (10, 17), (29, 29), (15, 3)] {
            var sum: Float = 0
            for a in 0..<3 { for b in 0..<3 { sum += grey[(y + a) * 32 + x + b] * sobel[a][b] } }
            XCTAssertEqual(output.pixels[y * 30 + x], sum, accuracy: 1e-3, "output at \(y), \(x)")
        }
        XCTAssertGreaterThan(output.pixels.map(abs).max() ?? 0, 10, "the shapes have edges")
        try assertDecodesAsPNG(figure, at: path)
    }

    // MARK: - models

    func testSeedModelSummaryHasKerasNumbers() throws {
        let session = try SessionHarness.makeSession()
        session.succeed(SessionHarness.seedModel)
        let summary = session.succeed("summary cnn").text
        let expected: [(String, String, String)] = [
            ("conv2d (Conv2D)", "(None, 30, 30, 32)", "896"),
            ("max_pooling2d (MaxPooling2D)", "(None, 15, 15, 32)", "0"),
            ("conv2d_1 (Conv2D)", "(None, 13, 13, 64)", "18,496"),
            ("max_pooling2d_1 (MaxPooling2D)", "(None, 6, 6, 64)", "0"),
            ("conv2d_2 (Conv2D)", "(None, 4, 4, 64)", "36,928"),
            ("flatten (Flatten)", "(None, 1024)", "0"),
            ("dense (Dense)", "(None, 64)", "65,600"),
            ("dense_1 (Dense)", "(None, 10)", "650"),
        ]
        let rows = summary.split(separator: "\n").map { $0.split(separator: "│").map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { $0.count == 3 }
        XCTAssertEqual(rows.count, expected.count + 1, summary)  // + the input layer
        for (row, want) in zip(rows.dropFirst(), expected) {
            XCTAssertEqual(row, [want.0, want.1, want.2])
        }
        XCTAssertTrue(summary.hasPrefix("Model: \"cnn\""), summary)
        XCTAssertTrue(summary.contains("Total params: 122,570 (478.79 KB)"), summary)
        XCTAssertTrue(summary.contains("Trainable params: 122,570 (478.79 KB)"), summary)
        XCTAssertTrue(summary.contains("Non-trainable params: 0 (0.00 B)"), summary)

        guard case .model(let model) = try XCTUnwrap(session["cnn"]) else { return XCTFail("cnn is not a model") }
        XCTAssertEqual(model.parameterCount, 122_570)
        XCTAssertEqual(session.succeed("shape cnn").text, "(None, 32, 32, 3) → (None, 10)")
        // A model shown on its own line is its summary.
        XCTAssertEqual(session.succeed("cnn").text, summary)
    }

    func testLayersWeightsAndLayerIndexing() throws {
        let session = try SessionHarness.makeSession()
        session.succeed(SessionHarness.seedModel)
        let list = session.succeed("layers cnn").text.split(separator: "\n").map {
            $0.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        XCTAssertEqual(list.count, 10)
        XCTAssertEqual(list[0], ["#", "name", "type", "output shape", "receptive field"])
        // Receptive fields grow by (kernel - 1) x jump; each pooling doubles the jump.
        let expected = [["0", "input_layer", "InputLayer", "(None, 32, 32, 3)", "1x1"],
                        ["1", "conv2d", "Conv2D", "(None, 30, 30, 32)", "3x3"],
                        ["2", "max_pooling2d", "MaxPooling2D", "(None, 15, 15, 32)", "4x4"],
                        ["3", "conv2d_1", "Conv2D", "(None, 13, 13, 64)", "8x8"],
                        ["4", "max_pooling2d_1", "MaxPooling2D", "(None, 6, 6, 64)", "10x10"],
                        ["5", "conv2d_2", "Conv2D", "(None, 4, 4, 64)", "18x18"],
                        ["6", "flatten", "Flatten", "(None, 1024)", "all"],
                        ["7", "dense", "Dense", "(None, 64)", "all"],
                        ["8", "dense_1", "Dense", "(None, 10)", "all"]]
        XCTAssertEqual(Array(list.dropFirst()), expected)
        XCTAssertEqual(session.succeed("weights cnn.layers[1]").text, "conv2d.kernel  (3, 3, 3, 32)\nconv2d.bias  (32,)")
        XCTAssertEqual(session.succeed("weights cnn.layers[7]").text, "dense.kernel  (1024, 64)\ndense.bias  (64,)")
        XCTAssertEqual(session.succeed("weights cnn.layers[2]").text, "max_pooling2d has no weights")
        XCTAssertEqual(session.succeed("shape cnn.layers[1, 3, 5]").text, "(None, 30, 30, 32), (None, 13, 13, 64), (None, 4, 4, 64)")
        XCTAssertEqual(session.succeed("shape cnn.layers[-1]").text, "(None, 10)")
        XCTAssertEqual(session.succeed("shape cnn.layers[6...8]").text, "(None, 1024), (None, 64), (None, 10)")
        XCTAssertEqual(session.succeed("cnn.layers[3].name").text, "conv2d_1")
        XCTAssertEqual(session.succeed("shape cnn.layers[1].kernel").text, "(3, 3, 3, 32)")
        // Fresh biases are zeros, as Keras initialises them.
        session.succeed("b = cnn.layers[1].bias")
        guard case .tensor(let bias) = try XCTUnwrap(session["b"]) else { return XCTFail("bias is not a tensor") }
        XCTAssertEqual(bias.scalars, [Float](repeating: 0, count: 32))
    }

    func testLayerValuesNameLayersOfModels() throws {
        let session = try SessionHarness.makeSession()
        session.succeed("block = conv 8 3x3 relu padding same\nshrink = pool 2")
        let shown = session.succeed("block").text
        XCTAssertTrue(shown.hasPrefix("Conv2D(filters=8, kernel_size=(3, 3), strides=(1, 1), padding="), shown)
        XCTAssertTrue(shown.contains("same") && shown.contains("activation='relu'"), shown)
        // A layer value named on two lines is one layer, its weights shared (Keras's semantics);
        // a layer without weights (pooling) may follow any shape.
        session.succeed("twin = conv 8 3x3 relu padding same")
        session.succeed("model m { input 16x16x8; twin; twin; shrink; flatten; dense 10 softmax }")
        guard case .model(let m) = try XCTUnwrap(session["m"]) else { return XCTFail("not a model") }
        XCTAssertEqual(m.outputShapes, [[10]])
        XCTAssertEqual(m.layers.map(\.name), ["input_layer", "conv2d", "max_pooling2d", "flatten", "dense"])
        XCTAssertEqual(m.nodes.map(\.layer.name), ["input_layer", "conv2d", "conv2d", "max_pooling2d", "flatten", "dense"])
        XCTAssertEqual(m.parameterCount, (72 * 8 + 8) + (8 * 8 * 8 * 10 + 10))
        XCTAssertTrue(m.nodes[1].layer === m.nodes[2].layer)
        // Layer indices count layers, as Keras's model.layers does: the shared one once.
        XCTAssertEqual(session.succeed("shape m.layers[1, 2]").text, "(None, 16, 16, 8), (None, 8, 8, 8)")
        XCTAssertEqual(session.succeed("layers m").text.split(separator: "\n").count, 6)
        // Shared weights fit one input shape: a second use on another shape is refused at its line.
        XCTAssertEqual(session.fail("model bad { input 16x16x3; block; shrink; block }")?.message,
                       "Conv2D cannot follow an output of shape (None, 8, 8, 8): layer conv2d was built for input (None, 16, 16, 3), it is now applied to (None, 8, 8, 8)")
        // Values print as Python would show them.
        session.succeed("names = [\"a\", \"b\"]\nsize = 3x4\nrate = 0.25")
        XCTAssertEqual(session.succeed("print names, size, rate").texts, ["['a', 'b'] 3x4 0.25"])
        XCTAssertEqual(session.definitionOrder, ["block", "shrink", "twin", "m", "names", "size", "rate"])
        session.reset()
        XCTAssertTrue(session.definitionOrder.isEmpty)
        XCTAssertEqual(session.fail("block")?.message, "'block' is not defined")
    }

    func testSubmodelWithThreeOutputs() throws {
        let session = try SessionHarness.makeSession()
        session.succeed("data = load shapes\ndata = data / 255")
        session.succeed(SessionHarness.seedModel)
        session.succeed("short = submodel cnn outputs cnn.layers[1, 3, 5]")
        guard case .model(let short) = try XCTUnwrap(session["short"]),
              case .model(let cnn) = try XCTUnwrap(session["cnn"]) else { return XCTFail("not models") }
        XCTAssertEqual(short.outputShapes, [[30, 30, 32], [13, 13, 64], [4, 4, 64]])
        XCTAssertEqual(short.parameterCount, 896 + 18_496 + 36_928)
        // The sub-model shares the layers (and so the weights) of the model.
        XCTAssertTrue(short.nodes[1].layer === cnn.nodes[1].layer)
        // Keras 3's own summary of Model(inputs=model.inputs, outputs=[three convolutions]): the
        // outputs lie on one chain, so it is the plain table, without "Connected to".
        XCTAssertEqual(session.succeed("summary short").text, """
        Model: "functional_1"
        ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
        ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
        ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
        │ input_layer (InputLayer)        │ (None, 32, 32, 3)      │             0 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ conv2d (Conv2D)                 │ (None, 30, 30, 32)     │           896 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ max_pooling2d (MaxPooling2D)    │ (None, 15, 15, 32)     │             0 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ conv2d_1 (Conv2D)               │ (None, 13, 13, 64)     │        18,496 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ max_pooling2d_1 (MaxPooling2D)  │ (None, 6, 6, 64)       │             0 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ conv2d_2 (Conv2D)               │ (None, 4, 4, 64)       │        36,928 │
        └─────────────────────────────────┴────────────────────────┴───────────────┘
         Total params: 56,320 (220.00 KB)
         Trainable params: 56,320 (220.00 KB)
         Non-trainable params: 0 (0.00 B)
        """)
        XCTAssertEqual(session.succeed("shape short").text,
                       "(None, 32, 32, 3) → (None, 30, 30, 32), (None, 13, 13, 64), (None, 4, 4, 64)")

        session.succeed("p = predict short data.train[0..<2]")
        guard case .list(let outputs) = try XCTUnwrap(session["p"]) else { return XCTFail("predict of 3 outputs is not a list") }
        let shapes = outputs.compactMap { if case .tensor(let t) = $0 { return t.shape } else { return nil } }
        XCTAssertEqual(shapes, [[2, 30, 30, 32], [2, 13, 13, 64], [2, 4, 4, 64]])
        XCTAssertEqual(session.succeed("shape p").text, "[(2, 30, 30, 32), (2, 13, 13, 64), (2, 4, 4, 64)]")
        // The first output is the model's own first convolution on the same images.
        session.succeed("whole = submodel cnn outputs cnn.layers[1]")
        session.succeed("q = predict whole data.train[0..<2]")
        guard case .tensor(let first) = outputs[0], case .tensor(let again) = try XCTUnwrap(session["q"]) else {
            return XCTFail("not tensors")
        }
        XCTAssertEqual(first.scalars, again.scalars)
    }

    // MARK: - data

    func testLoadShapeAndLazyScaling() throws {
        let session = try SessionHarness.makeSession(trainCount: 40, testCount: 12)
        session.succeed("raw = load shapes")
        XCTAssertEqual(session.succeed("shape raw.train, raw.test").text,
                       "((40, 32, 32, 3), (40,))\n((12, 32, 32, 3), (12,))")
        XCTAssertEqual(session.succeed("shape raw.train[7]").text, "(32, 32, 3)")
        XCTAssertEqual(session.succeed("raw.train.count").text, "40")
        XCTAssertEqual(session.succeed("raw.classes").text,
                       "[" + ShapesDataset.classNames.map { "'\($0)'" }.joined(separator: ", ") + "]")
        session.succeed("data = raw / 255")
        guard case .dataset(let raw) = try XCTUnwrap(session["raw"]),
              case .dataset(let scaled) = try XCTUnwrap(session["data"]) else { return XCTFail("not datasets") }
        // Scaling records a factor: the bytes are shared, the original stays as it was.
        XCTAssertTrue(raw.train.imageBuffer === scaled.train.imageBuffer)
        XCTAssertFalse(raw.train.isScaled)
        XCTAssertTrue(scaled.train.isScaled && scaled.test.isScaled)
        let bytes = Array(raw.train.pixels(at: 0))
        let values = scaled.train.image(at: 0).scalars
        XCTAssertEqual(values.count, 32 * 32 * 3)
        for (byte, value) in zip(bytes, values) { XCTAssertEqual(value, Float(Double(byte) / 255)) }
        XCTAssertEqual(values.max(), bytes.max().map { Float(Double($0) / 255) })
        // Printed like NumPy: the raw image as uint8, the scaled one as float32.
        let rawText = session.succeed("raw.train[0]").text
        XCTAssertTrue(rawText.hasSuffix("dtype=uint8)"), String(rawText.suffix(40)))
        let scaledText = session.succeed("data.train[0]").text
        XCTAssertTrue(scaledText.hasSuffix("dtype=float32)"), String(scaledText.suffix(40)))
        XCTAssertTrue(scaledText.hasPrefix("array([[["), String(scaledText.prefix(20)))
        // Chained arithmetic: (x / 255 - 0.5) * 2 maps the bytes to -1…1.
        session.succeed("centred = (raw.train[0..<4] / 255 - 0.5) * 2")
        guard case .images(let centred) = try XCTUnwrap(session["centred"]) else { return XCTFail("not images") }
        XCTAssertEqual(centred.count, 4)
        for (byte, value) in zip(bytes, centred.image(at: 0).scalars) {
            XCTAssertEqual(value, Float((Double(byte) / 255 - 0.5) * 2), accuracy: 1e-6)
        }
        // A number first reads as NumPy reads it: 2 * x, 1 + x, 1 - x.
        session.succeed("twice = 2 * raw.train[0..<1]\ninverted = 1 - raw.train[0..<1] / 255\nshifted = 1 + raw.train[0..<1]")
        guard case .images(let twice) = try XCTUnwrap(session["twice"]), case .images(let inverted) = try XCTUnwrap(session["inverted"]),
              case .images(let shifted) = try XCTUnwrap(session["shifted"]) else { return XCTFail("not images") }
        for (i, byte) in bytes.enumerated() where i % 97 == 0 {
            XCTAssertEqual(twice.image(at: 0).scalars[i], Float(2 * Double(byte)))
            XCTAssertEqual(inverted.image(at: 0).scalars[i], Float(1 - Double(byte) / 255), accuracy: 1e-6)
            XCTAssertEqual(shifted.image(at: 0).scalars[i], Float(1 + Double(byte)))
        }
        XCTAssertEqual(session.fail("255 / raw")?.message, "cannot compute a number / a dataset")
    }

    func testIndexingAndRanges() throws {
        let session = try SessionHarness.makeSession(trainCount: 40, testCount: 12)
        session.succeed("data = load shapes")
        XCTAssertEqual(session.succeed("shape data.train[0..<25]").text, "((25, 32, 32, 3), (25,))")
        XCTAssertEqual(session.succeed("shape data.train[30...39]").text, "((10, 32, 32, 3), (10,))")
        XCTAssertEqual(session.succeed("shape data.test[..<5]").text, "((5, 32, 32, 3), (5,))")
        XCTAssertEqual(session.succeed("shape data.test[10..<]").text, "((2, 32, 32, 3), (2,))")
        guard case .dataset(let d) = try XCTUnwrap(session["data"]) else { return XCTFail("not a dataset") }
        XCTAssertEqual(session.succeed("data.test.labels[3]").text, String(d.test.label(at: 3)))
        XCTAssertEqual(session.succeed("data.test.labels[-1]").text, String(d.test.label(at: 11)))
        let labels = session.succeed("data.test.labels").text
        XCTAssertEqual(labels, "array([" + d.test.labels.map { String($0) }.joined(separator: ", ") + "], dtype=uint8)")
        // An index into a range picks from the range.
        session.succeed("part = data.train[10..<20]")
        session.succeed("seven = part[7]")
        guard case .image(let seven) = try XCTUnwrap(session["seven"]) else { return XCTFail("not an image") }
        XCTAssertEqual(Array(seven.pixels(at: 0)), Array(d.train.pixels(at: 17)))
        XCTAssertEqual(seven.label(at: 0), d.train.label(at: 17))
        // Lists and numbers.
        session.succeed("xs = [10, 20, 30, 40]")
        XCTAssertEqual(session.succeed("xs[1..<3]").text, "[20, 30]")
        XCTAssertEqual(session.succeed("xs[-2]").text, "30")
        XCTAssertEqual(session.succeed("xs[1 + 1]").text, "30")
        XCTAssertEqual(session.succeed("(7 + 5) / 8 * 2 - 1").text, "2")
        XCTAssertEqual(session.succeed("7 % 4; -2.5").text, "3\n-2.5")
    }

    // MARK: - training

    func testCompileFitEvaluateOnGeneratedShapes() throws {
        let session = try SessionHarness.makeSession(trainCount: 96, testCount: 32)
        session.succeed("data = load shapes\ndata = data / 255")
        session.succeed("model net { input 32x32x3; conv 4 3x3 relu; pool 4; flatten; dense 10 softmax }")
        let compiled = session.succeed("compile net optimizer adam loss sparse_categorical_crossentropy metrics accuracy lr 0.003").text
        XCTAssertTrue(compiled.contains("adam"), compiled)
        XCTAssertTrue(compiled.contains("0.003"), compiled)
        let fit = session.succeed("history = fit net on data.train epochs 2 validate data.test")
        XCTAssertTrue(fit.texts.isEmpty, "fit reports through progress only: \(fit.texts)")
        let log = fit.progress.joined(separator: "\n").split(separator: "\n").map(String.init)
        XCTAssertEqual(log.count, 4, log.joined(separator: "\n"))
        XCTAssertEqual(log[0], "Epoch 1/2")
        XCTAssertEqual(log[2], "Epoch 2/2")
        for line in [log[1], log[3]] {
            // Keras 3's line: 96 images in batches of 32, a full bar of 20, the seconds and the
            // time per step, then the metrics by name and the validation ones by name.
            let keras3 = #"^3/3 ━{20} \d+s \d+(s|ms|us)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4} - val_accuracy: \d\.\d{4} - val_loss: \d\.\d{4}$"#
            XCTAssertNotNil(line.range(of: keras3, options: .regularExpression), line)
        }
        guard case .history(let history) = try XCTUnwrap(session["history"]) else { return XCTFail("not a history") }
        XCTAssertEqual(history.keys, ["accuracy", "loss", "val_accuracy", "val_loss"])  // Keras 3's order
        XCTAssertEqual(history.epochs, 2)
        for key in history.keys { XCTAssertEqual(history[key]?.count, 2, key) }
        XCTAssertTrue(history.accuracy.allSatisfy { (0...1).contains($0) })
        XCTAssertTrue(history.loss.allSatisfy { $0.isFinite && $0 > 0 })
        XCTAssertEqual(session.succeed("history.val_loss").text,
                       "[" + history.valLoss.map { formatNumber($0) }.joined(separator: ", ") + "]")
        let table = session.succeed("history").text.split(separator: "\n")
        XCTAssertEqual(table.count, 3)
        XCTAssertTrue(table[0].hasPrefix("epoch") && table[0].contains("val_accuracy"), String(table[0]))

        // evaluate prints Keras's line and the seed's percentage, and gives [loss, accuracy].
        let evaluation = session.succeed("result = evaluate net on data.test").text
        guard case .list(let numbers) = try XCTUnwrap(session["result"]), numbers.count == 2,
              case .number(let loss) = numbers[0], case .number(let accuracy) = numbers[1] else {
            return XCTFail("evaluate gives no [loss, accuracy]")
        }
        XCTAssertNotNil(evaluation.range(of: #"^1/1 ━{20} \d+s \d+(s|ms|us)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}\n"#,
                                         options: .regularExpression), evaluation)
        // predict shows its line too (no metrics), among the outputs already shown.
        let predicted = session.succeed("p = predict net data.test")
        XCTAssertEqual(predicted.progress.count, 1)
        XCTAssertNotNil(predicted.progress.first?.range(of: #"^1/1 ━{20} \d+s \d+(s|ms|us)/step$"#, options: .regularExpression),
                        "\(predicted.progress)")
        XCTAssertTrue(evaluation.hasSuffix("\naccuracy: " + String(format: "%.2f%%", accuracy * 100)), evaluation)
        // With no dropout the validation after the last epoch measures the same weights.
        XCTAssertEqual(loss, history.valLoss[1], accuracy: 1e-4)
        XCTAssertEqual(accuracy, history.valAccuracy[1], accuracy: 1e-9)
        XCTAssertEqual(accuracy * 32, (accuracy * 32).rounded(), accuracy: 1e-6)  // a count of 32 images

        // plot of the history: one series per metric, the values of the history.
        let plot = session.succeed("plot history accuracy val_accuracy")
        let (figure, path) = try XCTUnwrap(plot.figures.first)
        guard case .lineChart(let chart) = figure.content else { return XCTFail("not a line chart") }
        XCTAssertEqual(chart.series.map(\.name), ["accuracy", "val_accuracy"])
        XCTAssertEqual(chart.series[0].y, history.accuracy)
        XCTAssertEqual(chart.series[1].y, history.valAccuracy)
        XCTAssertEqual(chart.yLabel, "accuracy")
        try assertDecodesAsPNG(figure, at: path)
        let losses = session.succeed("plot history")
        guard case .lineChart(let lossChart) = try XCTUnwrap(losses.figures.first).figure.content else { return XCTFail("no chart") }
        XCTAssertEqual(lossChart.series.map(\.name), ["loss", "val_loss"])
    }

    final class RecordingObserver: TrainingObserver {
        let isLive: Bool
        var lines: [String] = []
        var live: [String] = []
        init(isLive: Bool) { self.isLive = isLive }
        func line(_ text: String) { lines.append(text) }
        func live(_ text: String) { live.append(text) }
    }

    func testTrainingIsWatchedLiveOnATerminalAndLineByLineElsewhere() throws {
        for isLive in [true, false] {
            let session = try SessionHarness.makeSession(trainCount: 96, testCount: 16)
            let observer = RecordingObserver(isLive: isLive)
            session.trainingObserver = observer
            session.succeed("data = load shapes\ndata = data / 255\nmodel net { input 32x32x3; pool 8; flatten; dense 10 softmax }")
            session.succeed("compile net optimizer sgd loss sparse_categorical_crossentropy metrics accuracy")
            let fit = session.succeed("fit net on data.train epochs 2 batch 8 validate data.test")
            // Finished lines as they happen, the same lines the statement gives back.
            XCTAssertEqual(observer.lines.count, 4)
            XCTAssertEqual([observer.lines[0], observer.lines[2]], ["Epoch 1/2", "Epoch 2/2"])
            XCTAssertTrue(observer.lines[1].hasPrefix("12/12 ━━━━━━━━━━━━━━━━━━━━ "), observer.lines[1])
            XCTAssertTrue(observer.lines[3].contains("- val_accuracy: "), observer.lines[3])
            XCTAssertEqual(fit.progress, [observer.lines.joined(separator: "\n")])
            if isLive {
                // The running line is redrawn: each shows a batch before the last of its epoch.
                XCTAssertFalse(observer.live.isEmpty)
                for text in observer.live {
                    // Keras pads the count to the width of the total: ` 1/12`.
                    let done = Int(text.prefix { $0 != "/" }.trimmingCharacters(in: .whitespaces))
                    XCTAssertNotNil(done, text)
                    XCTAssertLessThan(done ?? 12, 12, text)
                    // Without colour the steps to come are drawn light; no escape codes.
                    XCTAssertTrue(text.contains("/12 ") && text.contains("─") && text.contains("- loss: "), text)
                    XCTAssertFalse(text.contains("\u{1B}"), text)
                }
            } else {
                XCTAssertEqual(observer.live, [])
            }
        }
    }

    func testStoppingTrainingKeepsTheUpdatesAndSaysSo() throws {
        let session = try SessionHarness.makeSession(trainCount: 96, testCount: 16)
        session.succeed("data = load shapes\ndata = data / 255\nmodel net { input 32x32x3; pool 8; flatten; dense 10 softmax }")
        session.succeed("compile net optimizer sgd loss sparse_categorical_crossentropy metrics accuracy")
        guard case .model(let net) = try XCTUnwrap(session["net"]) else { return XCTFail("not a model") }
        let before = net.parameters.map { $0.value.scalars }
        var polls = 0
        session.shouldStop = { polls += 1; return polls >= 3 }
        let fit = session.succeed("h = fit net on data.train epochs 3 batch 8")
        let log = fit.progress.joined()
        XCTAssertTrue(log.hasPrefix("Epoch 1/3\n"), log)
        XCTAssertNotNil(log.range(of: #"stopped after \d+ batches of epoch 1; the weights keep every update so far$"#,
                                  options: .regularExpression), log)
        guard case .history(let h) = try XCTUnwrap(session["h"]) else { return XCTFail("not a history") }
        XCTAssertTrue(h.cancelled)
        XCTAssertEqual(h.epochs, 0)
        XCTAssertGreaterThan(h.batchesInCancelledEpoch, 0)
        XCTAssertLessThan(h.batchesInCancelledEpoch, 12)
        XCTAssertNotEqual(net.parameters.map { $0.value.scalars }, before, "the batches that ran changed the weights")
        let error = try XCTUnwrap(session.fail("plot h"))
        XCTAssertEqual(error.message, "the history is empty: no epoch finished")
        XCTAssertEqual(error.hint, "fit for at least one epoch")
        XCTAssertTrue(session.succeed("h").text.contains("(stopped during epoch 1, after \(h.batchesInCancelledEpoch) batches)"))
    }

    func testEpochAndImageLimitsFromTheEnvironment() throws {
        let session = try SessionHarness.makeSession(environment: ["CNNB_LIMIT": "40", "CNNB_EPOCHS": "1"],
                                                     trainCount: 96, testCount: 32)
        XCTAssertEqual(session.imageLimit, 40)
        XCTAssertEqual(session.epochLimit, 1)
        session.succeed("data = load shapes")
        XCTAssertEqual(session.succeed("shape data.train, data.test").text, "((40, 32, 32, 3), (40,))\n((8, 32, 32, 3), (8,))")
        session.succeed("model net { input 32x32x3; pool 8; flatten; dense 10 softmax }")
        session.succeed("compile net optimizer sgd loss sparse_categorical_crossentropy metrics accuracy")
        session.succeed("h = fit net on data.train / 255 epochs 5 batch 16")
        guard case .history(let history) = try XCTUnwrap(session["h"]) else { return XCTFail("not a history") }
        XCTAssertEqual(history.epochs, 1)
        XCTAssertEqual(history.keys, ["accuracy", "loss"])
        // Without metrics evaluate gives the loss alone, as Keras does.
        session.succeed("compile net optimizer sgd loss sparse_categorical_crossentropy\nloss = evaluate net on data.test / 255")
        guard case .number(let loss) = try XCTUnwrap(session["loss"]) else { return XCTFail("not a number") }
        XCTAssertTrue(loss.isFinite && loss > 0)
        let ignored = Session(environment: ["CNNB_LIMIT": "none", "CNNB_EPOCHS": "-3"])
        XCTAssertNil(ignored.imageLimit)
        XCTAssertNil(ignored.epochLimit)
    }

    func testPredictNeedsNoLabels() throws {
        let session = try SessionHarness.makeSession(trainCount: 8, testCount: 4)
        session.succeed("data = load shapes\ndata = data / 255")
        // Three outputs for ten classes cannot be trained with class indices, but can predict.
        session.succeed("model three { input 32x32x3; pool 8; flatten; dense 3 softmax }")
        session.succeed("compile three optimizer adam loss sparse_categorical_crossentropy")
        session.succeed("p = predict three data.test")
        guard case .tensor(let p) = try XCTUnwrap(session["p"]) else { return XCTFail("not a tensor") }
        XCTAssertEqual(p.shape, [4, 3])
        let features = session.succeed("features three.layers[1] of data.test[0]")
        XCTAssertEqual(features.figures.count, 1)
    }

    // MARK: - figures

    func testFiltersAndFeatureFiguresDecodeWithTheirSizes() throws {
        let session = try SessionHarness.makeSession(trainCount: 8, testCount: 4)
        session.succeed("data = load shapes\ndata = data / 255")
        session.succeed("model net { input 32x32x3; conv 16 3x3 relu; pool 2; conv 32 3x3 relu; pool 2; flatten; dense 10 softmax }")

        let filters = session.succeed("filters net.layers[1] channel 1 grid 4x4")
        XCTAssertEqual(filters.figures.count, 1)
        let (figure, path) = try XCTUnwrap(filters.figures.first)
        let grid = try XCTUnwrap(imageGrid(of: figure))
        XCTAssertEqual([grid.rows, grid.columns], [4, 4])
        XCTAssertEqual(grid.images.count, 16)
        XCTAssertTrue(grid.images.allSatisfy { $0.width == 3 && $0.height == 3 && $0.channels == 1 })
        XCTAssertEqual(figure.title, "conv2d: 16 filters 3x3, channel 1")
        // Tile f holds kernel[:, :, 1, f].
        session.succeed("k = net.layers[1]")
        guard case .layers(let model, _) = try XCTUnwrap(session["k"]) else { return XCTFail("not a layer") }
        let kernel = model.nodes[1].layer.parameters[0].value
        XCTAssertEqual(kernel.shape, [3, 3, 3, 16])
        let values = kernel.scalars
        for f in [0, 7, 15] {
            let expected = (0..<9).map { values[($0 * 3 + 1) * 16 + f] }
            XCTAssertEqual(grid.images[f].pixels, expected, "filter \(f)")
        }
        let image = try assertDecodesAsPNG(figure, at: path)
        XCTAssertGreaterThanOrEqual(image.width, 4 * 3 * grid.scale)
        XCTAssertGreaterThanOrEqual(image.height, 4 * 3 * grid.scale)
        XCTAssertTrue(path.hasPrefix(session.outputDirectory + "/figures/"), path)

        let rgb = session.succeed("filters net.layers[1] rgb")
        let rgbGrid = try XCTUnwrap(imageGrid(of: try XCTUnwrap(rgb.figures.first).figure))
        XCTAssertEqual([rgbGrid.rows, rgbGrid.columns], [4, 4])  // 16 filters in 4 columns by default
        XCTAssertTrue(rgbGrid.images.allSatisfy { $0.channels == 3 })

        let features = session.succeed("features net.layers[1, 3] of data.test[0]")
        XCTAssertEqual(features.figures.count, 2)
        let maps = features.figures.map { try? XCTUnwrap(imageGrid(of: $0.figure)) }
        XCTAssertEqual(maps[0]?.images.count, 16)
        XCTAssertEqual(maps[0]?.images.first.map { [$0.width, $0.height] }, [30, 30])
        XCTAssertEqual(maps[1]?.images.count, 32)
        XCTAssertEqual(maps[1]?.images.first.map { [$0.width, $0.height] }, [13, 13])
        XCTAssertEqual(features.figures[0].figure.title, "conv2d: 16 feature maps 30x30")
        XCTAssertEqual(features.figures[1].figure.title, "conv2d_1: 32 feature maps 13x13")
        for (figure, path) in features.figures { try assertDecodesAsPNG(figure, at: path) }
        // The maps are the activations: channel 5 of the first convolution's output.
        session.succeed("probe = submodel net outputs net.layers[1]\nout = predict probe data.test[0]")
        guard case .tensor(let activations) = try XCTUnwrap(session["out"]) else { return XCTFail("not a tensor") }
        XCTAssertEqual(activations.shape, [1, 30, 30, 16])
        let a = activations.scalars
        XCTAssertEqual(maps[0]?.images[5].pixels, (0..<900).map { a[$0 * 16 + 5] })

        // show: images with their class names.
        let show = session.succeed("show data.train[0..<6] grid 2x3 labels")
        let shown = try XCTUnwrap(imageGrid(of: try XCTUnwrap(show.figures.first).figure))
        XCTAssertEqual([shown.rows, shown.columns, shown.images.count], [2, 3, 6])
        guard case .dataset(let d) = try XCTUnwrap(session["data"]) else { return XCTFail("not a dataset") }
        XCTAssertEqual(shown.images.map(\.caption), (0..<6).map { d.train.className(at: $0) })
        let png = try assertDecodesAsPNG(show.figures[0].figure, at: show.figures[0].path)
        // The PNG holds the images themselves: the centre of each enlarged pixel has its bytes.
        for tile in [0, 4] {
            let origin = shown.tileOrigin(tile)
            let bytes = Array(d.train.pixels(at: tile))
            for (x, y) in [(0, 0), (5, 9), (31, 31), (16, 20)] {
                let colour = png.pixel(x: origin.x + x * shown.scale + shown.scale / 2, y: origin.y + y * shown.scale + shown.scale / 2)
                let k = 3 * (y * 32 + x)
                XCTAssertEqual([colour.red, colour.green, colour.blue], Array(bytes[k..<(k + 3)]), "tile \(tile) pixel \(x),\(y)")
            }
        }

        // plot of a model: one box per layer.
        let graph = session.succeed("plot net")
        guard case .modelGraph(let g) = try XCTUnwrap(graph.figures.first).figure.content else { return XCTFail("not a graph") }
        XCTAssertEqual(g.nodes.map(\.name), ["input_layer", "conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1", "flatten", "dense"])
        XCTAssertEqual(g.nodes.last?.outputShape, "(None, 10)")
        try assertDecodesAsPNG(graph.figures[0].figure, at: graph.figures[0].path)

        // Figures are numbered in the order they were made.
        let files = try FileManager.default.contentsOfDirectory(atPath: session.outputDirectory + "/figures").sorted()
        let pngs = files.filter { $0.hasSuffix(".png") }
        XCTAssertEqual(pngs.map { String($0.prefix(3)) }, ["01-", "02-", "03-", "04-", "05-", "06-"], "\(files)")
        // The model graph is also written as SVG.
        XCTAssertEqual(files.filter { $0.hasSuffix(".svg") }, [String(pngs[5].dropLast(4)) + ".svg"])
    }

    // MARK: - checking without running

    func testColourMapAndColourBarForFiltersAndFeatureMaps() throws {
        let session = try SessionHarness.makeSession(trainCount: 8, testCount: 4)
        session.succeed("data = load shapes\ndata = data / 255")
        session.succeed("model net { input 32x32x3; conv 8 3x3 relu; flatten; dense 10 softmax }")
        let plain = try XCTUnwrap(imageGrid(of: try XCTUnwrap(session.succeed("filters net.layers[1]").figures.first).figure))
        XCTAssertEqual(plain.colourMap, .gray)
        XCTAssertFalse(plain.showsColourBar)
        for statement in ["filters net.layers[1] colormap viridis colorbar",
                          "features net.layers[1] of data.train[0] colormap viridis colorbar"] {
            let result = session.succeed(statement)
            let (figure, path) = try XCTUnwrap(result.figures.first)
            let grid = try XCTUnwrap(imageGrid(of: figure))
            XCTAssertEqual(grid.colourMap, .viridis, statement)
            XCTAssertTrue(grid.showsColourBar, statement)
            // The bar makes the picture wider than the tiles alone.
            let image = try assertDecodesAsPNG(figure, at: path)
            XCTAssertGreaterThan(image.width, grid.columns * grid.images[0].width * grid.scale + 40, statement)
        }
        let error = try XCTUnwrap(session.fail("filters net.layers[1] colormap jet"))
        XCTAssertEqual(error.span.line, 1)
        XCTAssertEqual(error.span.column, 32)
        XCTAssertTrue(error.message.contains("jet"), error.message)
    }

    func testCheckOnlyBuildsModelsButLoadsTrainsAndDrawsNothing() throws {
        let session = try SessionHarness.makeSession()
        session.checkOnly = true
        let source = try String(contentsOfFile: NotebookRunTests.notebooks.appendingPathComponent("quick.cnnb").path, encoding: .utf8)
        let runner = NotebookRunner(source: source, fileName: "quick.cnnb")
        let results = runner.run(in: session, keepGoing: false)
        XCTAssertTrue(results.allSatisfy { $0.error == nil && $0.ran })
        // The model and its summary exist; no data was loaded, nothing trained, no figure made.
        guard case .model(let net) = try XCTUnwrap(session["net"]) else { return XCTFail("no model") }
        XCTAssertEqual(net.parameterCount, 42_314)
        XCTAssertNil(net.optimizer)
        XCTAssertNil(session["data"])
        XCTAssertNil(session["history"])
        let outputs = results.flatMap(\.outputs)
        XCTAssertTrue(outputs.allSatisfy { if case .figure = $0 { return false } else { return true } })
        XCTAssertTrue(outputs.contains { $0.plainText?.contains("Total params: 42,314") ?? false })
        XCTAssertFalse(FileManager.default.fileExists(atPath: session.outputDirectory + "/figures"))
        // Statements that use what skipped statements define are skipped too, not reported.
        session.succeed("""
            data = load shapes
            layer conv 8 3x3 on data.train[0]
            n = 3 + 4
            layer dense (n) on 10
            units = 10
            model later { input (data.train[0]); flatten; dense (units) softmax }
            summary later
            """)
        XCTAssertNil(session["later"])
        XCTAssertEqual(session.fail("summary never")?.message, "'never' is not defined")
        // Shape errors are still found.
        let error = try XCTUnwrap(session.fail("model bad { input 32x32x3; conv 8 3x3; dense 10 }"))
        XCTAssertEqual(error.span.column, 40)
        XCTAssertEqual(error.hint, "add `flatten` before `dense` to turn (30, 30, 8) into (7200,)")
    }

    // MARK: - weights

    func testSaveAndLoadWeightsRoundTrip() throws {
        let session = try SessionHarness.makeSession(trainCount: 8, testCount: 4)
        session.succeed("data = load shapes\ndata = data / 255")
        let network = "{ input 32x32x3; conv 8 3x3 relu; pool 2; flatten; dense 10 softmax }"
        session.succeed("model a \(network)\nmodel b \(network)")
        let path = session.outputDirectory + "/a.cnnbw"
        let saved = session.succeed("save a weights \"\(path)\"").text
        XCTAssertTrue(saved.hasPrefix("saved 18,234 weights of a"), saved)  // 3·3·3·8 + 8 + 15·15·8·10 + 10
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
        session.succeed("pa = predict a data.test\npb = predict b data.test")
        guard case .tensor(let pa) = try XCTUnwrap(session["pa"]), case .tensor(var pb) = try XCTUnwrap(session["pb"]) else {
            return XCTFail("not tensors")
        }
        XCTAssertEqual(pa.shape, [4, 10])
        XCTAssertNotEqual(pa.scalars, pb.scalars, "two models should start from different weights")
        session.succeed("load b weights \"\(path)\"")
        session.succeed("pb = predict b data.test")
        guard case .tensor(let reloaded) = try XCTUnwrap(session["pb"]) else { return XCTFail("not a tensor") }
        pb = reloaded
        XCTAssertEqual(pa.scalars, pb.scalars)
        for row in 0..<4 {
            XCTAssertEqual(pa.scalars[(row * 10)..<(row * 10 + 10)].reduce(0, +), 1, accuracy: 1e-5)
        }
    }
}

/// Losses, optimizer options, selections and label encodings as statements.
final class TrainingOptionsTests: XCTestCase {
    override func tearDown() {
        SessionHarness.removeFolders()
        super.tearDown()
    }

    func testCompileTakesKerasOptimizerArguments() throws {
        let session = try SessionHarness.makeSession()
        session.succeed("model m { input 32x32x3; pool 8; flatten; dense 10 softmax }")
        let text = session.succeed("compile m optimizer sgd momentum 0.9 nesterov clipnorm 1.0 learning_rate 0.05 loss sparse_categorical_crossentropy").text
        XCTAssertEqual(text, "m: optimizer sgd (learning rate 0.05), loss sparse_categorical_crossentropy")
        guard case .model(let m)? = session["m"], let sgd = m.optimizer as? SGD else { return XCTFail("no SGD") }
        XCTAssertEqual(sgd.momentum, 0.9)
        XCTAssertTrue(sgd.nesterov)
        XCTAssertEqual(sgd.clipnorm, 1.0)
        session.succeed("compile m optimizer adamw beta_1 0.8 beta_2 0.99 epsilon 0.001 weight_decay 0.01 loss sparse_categorical_crossentropy")
        guard case .model(let m2)? = session["m"], let adamw = m2.optimizer as? AdamW else { return XCTFail("no AdamW") }
        XCTAssertEqual([adamw.beta1, adamw.beta2, adamw.epsilon, adamw.weightDecay], [0.8, 0.99, 0.001, 0.01])
    }

    func testLinearOutputWithCrossEntropyWarnsAndFromLogitsDoesNot() throws {
        let session = try SessionHarness.makeSession()
        session.succeed("model m { input 32x32x3; pool 8; flatten; dense 10 }")
        let warned = session.succeed("compile m optimizer adam loss sparse_categorical_crossentropy").texts
        XCTAssertEqual(warned.count, 2)
        XCTAssertEqual(warned[1], """
            test.cnnb:1:31: warning: sparse_categorical_crossentropy expects probabilities, but dense gives linear outputs
            compile m optimizer adam loss sparse_categorical_crossentropy
                                          ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
            hint: end the model with dense 10 softmax, or add from_logits to compile
            """)
        let quiet = session.succeed("compile m optimizer adam loss sparse_categorical_crossentropy from_logits").texts
        XCTAssertEqual(quiet, ["m: optimizer adam (learning rate 0.001), loss sparse_categorical_crossentropy from logits"])
        session.succeed("model p { input 32x32x3; pool 8; flatten; dense 10 softmax }")
        let reverse = session.succeed("compile p optimizer adam loss sparse_categorical_crossentropy from_logits").texts
        XCTAssertEqual(reverse.last, """
            test.cnnb:1:63: warning: from_logits takes the outputs as logits, but dense already applies softmax
            compile p optimizer adam loss sparse_categorical_crossentropy from_logits
                                                                          ^~~~~~~~~~~
            hint: drop from_logits, or leave the last layer linear (dense 10)
            """)
        session.succeed("model b { input 32x32x3; pool 8; flatten; dense 1 sigmoid }")
        XCTAssertEqual(session.succeed("compile b optimizer adam loss binary_crossentropy").texts.count, 1)
    }

    func testFromLogitsTrainsALinearHead() throws {
        // The official tutorials' pattern, dense 10 with from_logits (the engine's tests show it
        // is the same computation as dense 10 softmax).
        let session = try SessionHarness.makeSession("logits", trainCount: 128, testCount: 32)
        session.succeed("data = load shapes\ndata = data / 255")
        for name in ["soft", "logits", "clipped"] {
            let head = name == "soft" ? "dense 10 softmax" : "dense 10"
            session.succeed("model \(name) { input 32x32x3; conv 4 3x3 relu; pool 4; flatten; \(head) }")
        }
        guard case .model(let soft)? = session["soft"], case .model(let logits)? = session["logits"],
              case .model(let clipped)? = session["clipped"] else { return XCTFail("no models") }
        for other in [logits, clipped] {
            for (p, q) in zip(soft.parameters, other.parameters) { q.value.pointer.update(from: p.value.pointer, count: p.value.count) }
        }
        session.succeed("compile soft optimizer adam loss sparse_categorical_crossentropy metrics accuracy")
        session.succeed("compile logits optimizer adam loss sparse_categorical_crossentropy from_logits metrics accuracy")
        session.succeed("compile clipped optimizer adam loss sparse_categorical_crossentropy metrics accuracy")
        var histories: [History] = []
        for name in ["soft", "logits", "clipped"] {
            session.succeed("h = fit \(name) on data.train epochs 3 batch 32")
            guard case .history(let h)? = session["h"] else { return XCTFail("no history") }
            histories.append(h)
        }
        // Shuffles differ per model, so the two heads end close, not equal; the clipped head
        // starts far worse (its outputs are read as probabilities and clipped at 1e-7).
        XCTAssertLessThan(histories[1].loss[2], histories[1].loss[0] - 0.1, "\(histories[1].loss)")
        XCTAssertEqual(histories[1].loss[2], histories[0].loss[2], accuracy: 0.1)
        XCTAssertGreaterThan(histories[2].loss[0], histories[0].loss[0] + 1, "\(histories[2].loss) vs \(histories[0].loss)")
    }

    func testOneHotLabelsWithCategoricalCrossEntropyTrainLikeSparse() throws {
        let session = try SessionHarness.makeSession("onehot", trainCount: 64, testCount: 16)
        session.succeed("data = load shapes\ndata = data / 255")
        XCTAssertEqual(session.succeed("shape onehot data.train.labels").text, "(64, 10)")
        XCTAssertEqual(session.succeed("print onehot data.train.labels[0..<1]").text.filter { $0 == "1" }.count, 1)
        session.succeed("model a { input 32x32x3; pool 8; flatten; dense 10 softmax }")
        session.succeed("model b { input 32x32x3; pool 8; flatten; dense 10 softmax }")
        // Same seed-drawn weights: copy a's into b so only the loss's form differs.
        guard case .model(let a)? = session["a"], case .model(let b)? = session["b"] else { return XCTFail("no models") }
        for (p, q) in zip(a.parameters, b.parameters) { q.value.pointer.update(from: p.value.pointer, count: p.value.count) }
        session.succeed("compile a optimizer sgd loss sparse_categorical_crossentropy")
        session.succeed("compile b optimizer sgd loss categorical_crossentropy")
        let error = try XCTUnwrap(session.fail("fit b on data.train epochs 1 batch 64"))
        XCTAssertEqual(error.message, "categorical_crossentropy needs one-hot targets, these images have class labels")
        session.succeed("hot = onehot data")
        let ha = session.succeed("ha = fit a on data.train epochs 1 batch 64")
        let hb = session.succeed("hb = fit b on hot.train epochs 1 batch 64")
        XCTAssertNil(ha.error)
        XCTAssertNil(hb.error)
        guard case .history(let x)? = session["ha"], case .history(let y)? = session["hb"] else { return XCTFail("no histories") }
        XCTAssertEqual(x.loss[0], y.loss[0], accuracy: 1e-5)
        for (p, q) in zip(a.parameters, b.parameters) {
            for i in 0..<p.value.count { XCTAssertEqual(p.value[flat: i], q.value[flat: i], accuracy: 1e-5) }
        }
    }

    func testSelectionsAndRelabelling() throws {
        let session = try SessionHarness.makeSession("select", trainCount: 96, testCount: 32)
        session.succeed("data = load shapes")
        guard case .dataset(let d)? = session["data"] else { return XCTFail("no data") }
        let labels = d.train.labels
        let threes = labels.filter { $0 == 3 }.count
        XCTAssertGreaterThan(threes, 0)
        XCTAssertEqual(session.succeed("(data.train[data.train.labels == 3]).count").text, "\(threes)")
        XCTAssertEqual(session.succeed("(data.train[labels == 3]).count").text, "\(threes)")
        XCTAssertEqual(session.succeed("(data.train[labels < 5]).count").text, "\(labels.filter { $0 < 5 }.count)")
        XCTAssertEqual(session.succeed("(data.train[labels != 3]).count").text, "\(labels.filter { $0 != 3 }.count)")
        let both = labels.filter { $0 == 3 || $0 == 5 }.count
        session.succeed("pair = data.train[labels in [3, 5]]")
        XCTAssertEqual(session.succeed("pair.count").text, "\(both)")
        guard case .images(let pair)? = session["pair"] else { return XCTFail("no selection") }
        // The selected images are the originals, in order.
        let firstThree = try XCTUnwrap(labels.firstIndex { $0 == 3 || $0 == 5 })
        XCTAssertEqual(Array(pair.pixels(at: 0)), Array(d.train.pixels(at: firstThree)))
        session.succeed("binary = relabel data [3, 5]")
        guard case .dataset(let binary)? = session["binary"] else { return XCTFail("no relabelled data") }
        XCTAssertEqual(binary.train.count, both)
        XCTAssertEqual(Set(binary.train.labels), [0, 1])
        XCTAssertEqual(binary.classNames, [d.classNames[3], d.classNames[5]])
        XCTAssertEqual(binary.train.labels.filter { $0 == 0 }.count, threes)
        // A binary head on the relabelled data trains with binary_crossentropy on the labels.
        session.succeed("binary = binary / 255")
        session.succeed("model cat { input 32x32x3; pool 8; flatten; dense 1 sigmoid }")
        session.succeed("compile cat optimizer adam loss binary_crossentropy metrics accuracy")
        XCTAssertNil(session.succeed("h = fit cat on binary.train epochs 2").error)
    }

    func testArithmeticAsPython() throws {
        let session = try SessionHarness.makeSession()
        XCTAssertEqual(session.succeed("print 7 // 2, -7 // 2, -7 % 3, 7 % -3, (floor 2.5), (floor -2.5)").text, "3 -4 2 -2 2 -3")
        XCTAssertEqual(session.succeed("print 3 < 5, 3 == 4").text, "1 0")
        XCTAssertEqual(session.succeed("print \"loss\", 0.5").text, "loss 0.5")
    }

    func testAnOptionsNameHoldsItsValue() throws {
        let session = try SessionHarness.makeSession("optionname", trainCount: 32, testCount: 8)
        session.succeed("data = load shapes\ndata = data / 255\nepochs = 2\nbatch = 16")
        session.succeed("model m { input 32x32x3; pool 8; flatten; dense 10 softmax }")
        session.succeed("compile m optimizer adam loss sparse_categorical_crossentropy")
        session.succeed("h = fit m on data.train epochs epochs batch batch")
        guard case .history(let h)? = session["h"] else { return XCTFail("no history") }
        XCTAssertEqual(h.epochs, 2)
    }
}

/// fit's Keras options: validation_split, verbose, initial_epoch and the callbacks.
final class FitOptionsTests: XCTestCase {
    override func tearDown() {
        SessionHarness.removeFolders()
        super.tearDown()
    }

    func testValidationSplitHoldsOutTheLastFractionAndVerboseTwoPrintsOneLinePerEpoch() throws {
        let session = try SessionHarness.makeSession("fitsplit", trainCount: 100, testCount: 20)
        session.succeed("data = load shapes\ndata = data / 255")
        session.succeed("model m { input 32x32x3; pool 8; flatten; dense 10 softmax }")
        session.succeed("compile m optimizer adam loss sparse_categorical_crossentropy metrics accuracy")
        let run = session.succeed("h = fit m on data.train epochs 2 batch_size 30 validation_split 0.1 verbose 2")
        let lines = run.progress.joined(separator: "\n").split(separator: "\n")
        XCTAssertEqual(lines.count, 2, "\(lines)")
        // 90 training images in batches of 30: 3 steps; the 10 last images validate.
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("3/3 ") && $0.contains("val_loss") }, "\(lines)")
        guard case .history(let h)? = session["h"], case .model(let m)? = session["m"],
              case .dataset(let d)? = session["data"] else { return XCTFail("missing values") }
        let held = try m.evaluate(d.train[90..<100])
        XCTAssertEqual(h.valLoss[1], held.loss, accuracy: 1e-6)
        let later = session.succeed("fit m on data.train epochs 4 initial_epoch 2 batch 50")
        XCTAssertEqual(later.progress.joined(separator: "\n").split(separator: "\n").filter { $0.hasPrefix("Epoch") },
                       ["Epoch 3/4", "Epoch 4/4"])
    }

    func testEarlyStoppingWithACheckpointKeepsTheBestEpoch() throws {
        let session = try SessionHarness.makeSession("fitstop", trainCount: 64, testCount: 32)
        session.succeed("data = load shapes\ndata = data / 255")
        // A learning rate far too large: validation loss gets worse and training stops.
        session.succeed("model m { input 32x32x3; pool 4; flatten; dense 10 softmax }")
        session.succeed("compile m optimizer sgd lr 5 loss sparse_categorical_crossentropy")
        let run = session.succeed("h = fit m on data.train epochs 30 validate data.test patience 2 restore_best checkpoint \"best.npz\"")
        guard case .history(let h)? = session["h"], case .model(let m)? = session["m"] else { return XCTFail("missing values") }
        XCTAssertFalse(h.cancelled)
        let best = try XCTUnwrap(h.valLoss.indices.min { h.valLoss[$0] < h.valLoss[$1] })
        let text = run.progress.joined(separator: "\n")
        // Keras's rule: stop when the best is `patience` epochs behind.
        XCTAssertLessThan(h.epochs, 30, "\(h.valLoss)")
        XCTAssertEqual(h.epochs, best + 3, "\(h.valLoss)")
        XCTAssertTrue(text.contains("Epoch \(h.epochs): early stopping"), text)
        XCTAssertTrue(text.contains("Restoring model weights from the end of the best epoch: \(best + 1)."), text)
        // The checkpoint holds the best epoch's weights, which restore_best put back.
        session.succeed("model copy { input 32x32x3; pool 4; flatten; dense 10 softmax }")
        session.succeed("load copy weights \"best.npz\"")
        guard case .model(let copy)? = session["copy"] else { return XCTFail("no copy") }
        XCTAssertEqual(copy.parameters.map(\.value.scalars), m.parameters.map(\.value.scalars))
        XCTAssertEqual(try m.evaluate(try XCTUnwrap({ if case .dataset(let d)? = session["data"] { return d.test } else { return nil } }())).loss,
                       h.valLoss[best], accuracy: 1e-6)
    }

    func testReduceLRAndSchedulesSetTheRateAndTheHistoryRecordsIt() throws {
        let session = try SessionHarness.makeSession("fitrate", trainCount: 64, testCount: 32)
        session.succeed("data = load shapes\ndata = data / 255")
        session.succeed("model m { input 32x32x3; pool 4; flatten; dense 10 softmax }")
        session.succeed("compile m optimizer sgd lr 0.5 loss sparse_categorical_crossentropy")
        let run = session.succeed("h = fit m on data.train epochs 8 batch_size 32 validate data.test reduce_lr 0.5 patience 1 min_lr 0.1 verbose 2")
        guard case .history(let h)? = session["h"], case .model(let m)? = session["m"] else { return XCTFail("missing values") }
        // The rate each epoch trained with, and the reductions Keras's rule makes on these val_loss values.
        let replay = ReduceLROnPlateau(monitor: Monitor("val_loss", minDelta: 1e-4), factor: 0.5, patience: 1, minLR: 0.1)
        let optimizer = SGD(learningRate: 0.5)
        var rates: [Double] = []
        for (epoch, loss) in h.valLoss.enumerated() {
            rates.append(Double(optimizer.learningRate))
            replay.epochEnded(epoch, logs: ["val_loss": loss], optimizer: optimizer)
        }
        XCTAssertEqual(h["learning_rate"], rates, "\(h.valLoss)")
        XCTAssertEqual(m.optimizer?.learningRate, optimizer.learningRate)
        XCTAssertTrue(rates.allSatisfy { [0.5, 0.25, 0.125, 0.1].contains(Float($0)) }, "\(rates)")
        XCTAssertTrue(run.progress.joined().contains(" - learning_rate: 0.5000\n"), run.progress.joined())
        // A schedule from compile's rate, per step: 2 steps an epoch, so 0.1 · 0.5^(2/2) and ^(4/2);
        // the compiled rate is back afterwards.
        session.succeed("compile m optimizer sgd lr 0.1 loss sparse_categorical_crossentropy")
        session.succeed("h2 = fit m on data.train epochs 2 lr_schedule exponential decay_steps 2 decay_rate 0.5")
        guard case .history(let h2)? = session["h2"] else { return XCTFail("no h2") }
        XCTAssertEqual(h2["learning_rate"]?.map { Float($0) }, [0.05, 0.025])
        XCTAssertEqual(m.optimizer?.learningRate, 0.1)
    }

    func testBalancedClassWeightsWeighTheReportedLoss() throws {
        let session = try SessionHarness.makeSession("fitweights", trainCount: 60, testCount: 10)
        session.succeed("data = load shapes\ndata = data / 255")
        session.succeed("model m { input 32x32x3; pool 4; flatten; dense 10 softmax }")
        session.succeed("compile m optimizer sgd loss sparse_categorical_crossentropy")
        guard case .model(let m)? = session["m"], case .dataset(let d)? = session["data"] else { return XCTFail("missing values") }
        let labels = d.train.labels.map(Int.init)
        let counts = d.train.classCounts
        let present = counts.filter { $0 > 0 }.count
        // One batch of all 60 images: the reported loss is measured before the step, on the
        // predictions of the weights as they were.
        func reported(_ options: String, weight: (Int) -> Double) throws {
            let p = try m.predict(d.train.tensor())[0]
            let expected = labels.enumerated().reduce(0.0) { $0 + weight($1.element) * -log(Double(p[$1.offset, $1.element])) } / 60
            session.succeed("h = fit m on data.train epochs 1 batch_size 60 " + options)
            guard case .history(let h)? = session["h"] else { return XCTFail("no history") }
            XCTAssertEqual(h.loss[0], expected, accuracy: 1e-5, options)
            XCTAssertNil(h["learning_rate"])
        }
        try reported("class_weight balanced") { Double(labels.count) / Double(present * counts[$0]) }
        // Classes past the list weigh 1, as a class missing from Keras's dictionary.
        try reported("class_weight [0, 0, 0, 2]") { $0 < 4 ? [0, 0, 0, 2][$0] : 1 }
        try reported("") { _ in 1 }
    }

    func testCallbackOptionsAreChecked() throws {
        let session = try SessionHarness.makeSession("fitchecks", trainCount: 16, testCount: 8)
        session.succeed("data = load shapes\nmodel m { input 32x32x3; pool 8; flatten; dense 10 softmax }")
        session.succeed("compile m optimizer adam loss sparse_categorical_crossentropy")
        let noValidation = try XCTUnwrap(session.fail("fit m on data.train patience 2"))
        XCTAssertEqual(noValidation.message, "val_loss is measured on validation data, and this fit has none")
        XCTAssertEqual(noValidation.hint, "add validate DATA or validation_split 0.2, or monitor loss")
        let accuracy = try XCTUnwrap(session.fail("fit m on data.train patience 2 monitor accuracy"))
        XCTAssertEqual(accuracy.message, "accuracy is not measured: m was compiled without metrics accuracy")
        let typo = try XCTUnwrap(session.fail("fit m on data.train patience 2 monitor val_los validate data.test"))
        XCTAssertEqual(typo.hint, "did you mean 'val_loss'? monitor one of val_loss, val_accuracy, loss, accuracy")
        let lone = try XCTUnwrap(session.fail("fit m on data.train restore_best"))
        XCTAssertEqual(lone.message, "restore_best belongs to early stopping, which patience turns on")
        XCTAssertEqual(try XCTUnwrap(session.fail("fit m on data.train verbose 3")).message,
                       "verbose is 0 (silent), 1 (a progress bar) or 2 (one line per epoch), got 3")
        XCTAssertEqual(try XCTUnwrap(session.fail("fit m on data.train epochs 2 initial_epoch 2")).message,
                       "initial_epoch 2 leaves no epoch to train of 2")
    }
}

/// `save IMAGES images "DIR"` writes PNG class folders that `load images` reads back.
final class ImageFolderRoundTripTests: XCTestCase {
    override func tearDown() {
        SessionHarness.removeFolders()
        super.tearDown()
    }

    func testSavedImagesLoadBackByteForByte() throws {
        let session = try SessionHarness.makeSession("roundtrip", trainCount: 24, testCount: 8)
        session.succeed("data = load shapes")
        let saved = session.succeed("save data.train images \"shapes-png\"").text
        XCTAssertTrue(saved.hasPrefix("wrote 24 PNG images in "), saved)
        session.succeed("back = load images from \"shapes-png\" size 32x32 seed 3")
        guard case .dataset(let d)? = session["data"], case .dataset(let back)? = session["back"] else { return XCTFail("missing") }
        let present = Set(d.train.labels.map { d.classNames[Int($0)] })
        XCTAssertEqual(back.classNames, present.sorted())
        XCTAssertEqual(back.train.count, 24)
        // Same images and classes, in another order: compare as sets of (class, bytes).
        let original = Set((0..<24).map { "\(d.train.className(at: $0)) \(Array(d.train.pixels(at: $0)))" })
        let loaded = Set((0..<24).map { "\(back.train.className(at: $0)) \(Array(back.train.pixels(at: $0)))" })
        XCTAssertEqual(original, loaded)
        let error = try XCTUnwrap(session.fail("save data images \"x\""))
        XCTAssertEqual(error.message, "expected images, got a whole dataset")
    }
}
