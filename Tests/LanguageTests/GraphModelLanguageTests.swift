import Engine
@testable import Language
import XCTest

/// Model blocks that branch, written as a person writes them; numbers from Keras 3.15.
final class GraphModelLanguageTests: XCTestCase {
    override func tearDown() { SessionHarness.removeFolders() }

    static let residualInception = """
        model ri {
            input 32x32x3
            stem = conv 16 3x3 relu padding same
            conv 16 3x3 relu padding same
            b = conv 16 3x3 padding same
            add stem, b
            activation relu
            p = maxpool 2
            c1 = conv 8 1x1 relu from p
            c3 = conv 8 3x3 relu padding same from p
            concat c1, c3
            globalavgpool
            dense 10 softmax
        }
        """

    func testTheIssuesBlockHasKerasCountsConnectionsAndFieldsAlongTheLongestPath() throws {
        let session = try SessionHarness.makeSession()
        session.succeed(Self.residualInception)
        guard case .model(let ri) = try XCTUnwrap(session["ri"]) else { return XCTFail("not a model") }
        XCTAssertEqual(ri.parameterCount, 6554)
        XCTAssertEqual(ri.layers.map(\.parameterCount), [0, 448, 2320, 2320, 0, 0, 0, 136, 1160, 0, 0, 170])
        let summary = session.succeed("summary ri").text
        XCTAssertTrue(summary.contains("Connected to"), summary)
        XCTAssertTrue(summary.contains("│ conv2d[0][0],"), summary)
        XCTAssertTrue(summary.contains("Total params: 6,554 (25.60 KB)"), summary)
        let layers = session.succeed("layers ri").text.split(separator: "\n").map { $0.split(separator: " ").last.map(String.init) ?? "" }
        // The 3x3 branch sees more than the 1x1 one; the concat takes the wider.
        XCTAssertEqual(Array(layers.dropFirst()), ["1x1", "3x3", "5x5", "7x7", "7x7", "7x7", "8x8", "8x8", "12x12", "12x12", "all", "all"])
        let plot = session.succeed("plot ri")
        XCTAssertEqual(plot.figures.count, 1)
        // The printed block parses back to the same tree.
        let (statements, diagnostics) = Parser.parseStatements(Self.residualInception, file: "t.cnnb")
        XCTAssertTrue(diagnostics.isEmpty)
        let printed = SourcePrinter.render(statements[0])
        XCTAssertTrue(printed.contains("    c1 = conv 8 1x1 relu from p\n"), printed)
        XCTAssertTrue(printed.contains("    concat from c1, c3\n"), printed)
        let again = Parser.parseStatements(printed, file: "t.cnnb").0
        XCTAssertEqual(again.map(\.treeDescription), statements.map(\.treeDescription))
    }

    func testTwoOutputsAndAnUnusedBranch() throws {
        let session = try SessionHarness.makeSession()
        let result = session.succeed("""
            model two {
                input 28x28x1
                conv 8 3x3 relu
                maxpool 2
                f = flatten
                digit = dense 10 softmax name "digit"
                odd = dense 1 sigmoid name "odd" from f
                spare = dense 3 from f
                outputs digit, odd
            }
            """)
        XCTAssertEqual(result.texts.count, 1)
        XCTAssertTrue(result.text.hasPrefix("test.cnnb:8:5: warning: the output of this line is never read, so it is left out of model two"), result.text)
        XCTAssertTrue(result.text.contains("hint: read it with from spare, or list it on the outputs line"), result.text)
        guard case .model(let two) = try XCTUnwrap(session["two"]) else { return XCTFail("not a model") }
        XCTAssertEqual(two.outputNames, ["digit", "odd"])
        XCTAssertEqual(two.parameterCount, 14_963)
        XCTAssertTrue(session.succeed("summary two").text.contains("Connected to"))
        XCTAssertEqual(session.succeed("shape two").text, "(None, 28, 28, 1) → (None, 10), (None, 1)")
    }

    func testAFrozenBaseAppliedInANewModelKeepsItsWeightsThroughFit() throws {
        let session = try SessionHarness.makeSession(trainCount: 64, testCount: 16)
        session.succeed("data = load shapes\ndata = data / 255")
        session.succeed("model base { input 32x32x3; conv 8 3x3 relu; pool 2; conv 16 3x3 relu; globalavgpool }")
        XCTAssertEqual(session.succeed("freeze base").text, "froze 2 layers of base: 1,392 weights fit leaves as they are")
        session.succeed("model head { input 32x32x3; base; dense 16 relu; dense 10 softmax }")
        guard case .model(let base) = try XCTUnwrap(session["base"]), case .model(let head) = try XCTUnwrap(session["head"]) else {
            return XCTFail("not models")
        }
        let summary = session.succeed("summary head").text
        XCTAssertTrue(summary.contains("base (Functional)"), summary)
        XCTAssertTrue(summary.contains("Trainable params: 442 (1.73 KB)"), summary)
        XCTAssertTrue(summary.contains("Non-trainable params: 1,392 (5.44 KB)"), summary)
        let before = base.parameters.map(\.value.scalars)
        let headBefore = head.layers[2].parameters.map(\.value.scalars)
        session.succeed("compile head optimizer adam loss sparse_categorical_crossentropy metrics accuracy\nfit head on data.train epochs 1")
        XCTAssertEqual(base.parameters.map(\.value.scalars), before, "frozen weights are bit-identical after fit")
        XCTAssertNotEqual(head.layers[2].parameters.map(\.value.scalars), headBefore)
        XCTAssertEqual(session.succeed("unfreeze base.layers[1]").text, "unfroze conv2d of base: 224 weights train again")
        XCTAssertTrue(session.succeed("summary head").text.contains("Non-trainable params: 1,168 (4.56 KB)"))
    }

    /// keras-io's "Image classification from scratch" (its small Xception, `make_model`) on
    /// CIFAR-10's 32x32x3 images and ten classes, typed line by line.
    static let xception = """
        model xception {
            input 32x32x3
            rescaling (1 / 255)
            conv 32 3x3 stride 2 padding same
            batchnorm
            activation relu
            conv 64 3x3 padding same
            batchnorm
            b0 = activation relu
            activation relu
            sepconv 128 3x3 padding same
            batchnorm
            activation relu
            sepconv 128 3x3 padding same
            batchnorm
            m1 = maxpool 3x3 stride 2 padding same
            r1 = conv 128 1x1 stride 2 padding same from b0
            b1 = add m1, r1
            activation relu
            sepconv 256 3x3 padding same
            batchnorm
            activation relu
            sepconv 256 3x3 padding same
            batchnorm
            m2 = maxpool 3x3 stride 2 padding same
            r2 = conv 256 1x1 stride 2 padding same from b1
            b2 = add m2, r2
            activation relu
            sepconv 512 3x3 padding same
            batchnorm
            activation relu
            sepconv 512 3x3 padding same
            batchnorm
            m3 = maxpool 3x3 stride 2 padding same
            r3 = conv 512 1x1 stride 2 padding same from b2
            b3 = add m3, r3
            activation relu
            sepconv 728 3x3 padding same
            batchnorm
            activation relu
            sepconv 728 3x3 padding same
            batchnorm
            m4 = maxpool 3x3 stride 2 padding same
            r4 = conv 728 1x1 stride 2 padding same from b3
            add m4, r4
            sepconv 1024 3x3 padding same
            batchnorm
            activation relu
            globalavgpool
            dropout 0.5
            dense 10 softmax
        }
        """

    func testTheXceptionOfImageClassificationFromScratchHasKerasCounts() throws {
        let session = try SessionHarness.makeSession()
        session.succeed(Self.xception)
        guard case .model(let xception) = try XCTUnwrap(session["xception"]) else { return XCTFail("not a model") }
        // Keras 3.15.1 (KERAS_BACKEND=jax): make_model((32, 32, 3), 10).summary() and
        // [layer.count_params() for layer in model.layers].
        let summary = session.succeed("summary xception").text
        XCTAssertTrue(summary.contains(" Total params: 2,791,874 (10.65 MB)\n Trainable params: 2,783,138 (10.62 MB)\n Non-trainable params: 8,736 (34.12 KB)"), summary)
        XCTAssertEqual(xception.layers.count, 50)
        XCTAssertEqual(xception.layers.map(\.parameterCount), [
            0, 0, 896, 128, 0, 18496, 256, 0, 0, 8896, 512, 0, 17664, 512, 0, 8320, 0, 0, 34176, 1024, 0, 68096, 1024, 0,
            33024, 0, 0, 133888, 2048, 0, 267264, 2048, 0, 131584, 0, 0, 378072, 2912, 0, 537264, 2912, 0, 373464, 0,
            753048, 4096, 0, 0, 0, 10250,
        ])
        XCTAssertEqual(xception.outputShapes, [[10]])
    }

    func testHelpTellsTheGraphForms() {
        XCTAssertEqual(Help.text(topic: "add"), """
            add
            adds its inputs element by element (Keras's Add)
            options: name "conv_1"
            inside a model block, with the outputs it joins: add a, b
            """)
        XCTAssertTrue(Help.text(topic: "concat").contains("options: axis -1, name"), Help.text(topic: "concat"))
        XCTAssertTrue(Help.text(topic: "model").contains("outputs A, B ends the block"))
        XCTAssertTrue(Help.text().contains("freeze MODEL  or  freeze MODEL.layers[0..<3]"))
    }
}
