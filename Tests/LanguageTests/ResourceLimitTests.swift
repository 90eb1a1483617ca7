import Foundation
@testable import Language
import Engine
import Render
import XCTest

/// Work that would not fit in free memory, or a figure past the pixel budget, is refused before
/// anything is allocated, with the bytes it needs and a hint; the session keeps what it had.
final class ResourceLimitTests: XCTestCase {
    override func tearDown() {
        SessionHarness.removeFolders()
        super.tearDown()
    }

    func testAModelTooLargeForMemoryIsRefusedWithItsByteCount() throws {
        let session = try SessionHarness.makeSession()
        session.availableMemory = { 1 << 20 }
        // 256·256 + 256 = 65,792 weights and biases fit in 1 MiB with their gradients (526,336
        // bytes); adding 256·512 + 512 = 131,584 makes 197,376, 1,579,008 bytes.
        let source = "model wide {\n    input 256\n    dense 256 relu\n    dense 512 softmax\n}"
        let error = try XCTUnwrap(session.fail(source))
        XCTAssertEqual(error.message, "model wide with 197,376 weights (and their gradients) needs 1,579,008 bytes (1.51 MB) of memory; 1.00 MB is free")
        XCTAssertEqual(error.span.line, 4)
        XCTAssertEqual(error.span.column, 5)
        XCTAssertEqual(error.hint, "use fewer units or filters, or shrink the input first (pooling, strides)")
        XCTAssertNil(session["wide"])
        session.availableMemory = { 2 << 20 }
        session.succeed(source)
        guard case .model(let model) = try XCTUnwrap(session["wide"]) else { return XCTFail("not a model") }
        XCTAssertEqual(model.parameterCount, 196_608 + 256 + 512)
    }

    func testABatchTooLargeForMemoryIsRefusedBeforeTraining() throws {
        let session = try SessionHarness.makeSession(trainCount: 96, testCount: 16)
        session.succeed("""
            data = load shapes
            model m { input 32x32x3; pool 8; flatten; dense 10 softmax }
            compile m optimizer adam loss sparse_categorical_crossentropy
            """)
        guard case .model(let model) = try XCTUnwrap(session["m"]) else { return XCTFail("not a model") }
        let before = model.parameters.map { $0.value.scalars }
        session.availableMemory = { 1_000_000 }
        // 490 weights, 4 copies each; per image 3,072 + 48 + 48 + 10 outputs and 106 gradients:
        // 4 · (490 · 4 + 96 · 3,284) = 1,268,896 bytes.
        let error = try XCTUnwrap(session.fail("h = fit m on data.train epochs 1 batch 96"))
        XCTAssertEqual(error.message, "training m in batches of 96 needs 1,268,896 bytes (1.21 MB) of memory; 976.56 KB is free")
        XCTAssertEqual(error.span.column, 40)
        XCTAssertEqual(error.hint, "use a smaller batch (batch 32), or a smaller model")
        XCTAssertNil(session["h"])
        XCTAssertEqual(model.parameters.map { $0.value.scalars }, before)
        // A batch larger than the data is as large as the data.
        let whole = try XCTUnwrap(session.fail("h = fit m on data.train epochs 1 batch 100000"))
        XCTAssertEqual(whole.message, "training m in batches of 96 needs 1,268,896 bytes (1.21 MB) of memory; 976.56 KB is free")
        session.succeed("h = fit m on data.train epochs 1 batch 32")
        XCTAssertNotNil(session["h"])
    }

    func testPredictionsTooLargeForMemoryAreRefused() throws {
        let session = try SessionHarness.makeSession(trainCount: 8, testCount: 16)
        session.succeed("data = load shapes\nmodel m { input 32x32x3; pool 8; flatten; dense 10 softmax }")
        // 16 images, 10 outputs each, and one batch of 16 on the way, 3,072 + 48 + 48 + 10
        // values an image: 4 · (160 + 16 · 3,178) = 204,032 bytes.
        session.availableMemory = { 204_031 }
        let error = try XCTUnwrap(session.fail("p = predict m data.test"))
        XCTAssertEqual(error.message, "predicting m for 16 images needs 204,032 bytes (199.25 KB) of memory; 199.25 KB is free")
        XCTAssertEqual(error.span.column, 15)
        XCTAssertEqual(error.hint, "predict a slice of them at a time, such as [0..<1000]")
        XCTAssertNil(session["p"])
        session.availableMemory = { 204_032 }
        session.succeed("p = predict m data.test")
        guard case .tensor(let p) = try XCTUnwrap(session["p"]) else { return XCTFail("not a tensor") }
        XCTAssertEqual(p.shape, [16, 10])
    }

    /// A convolution's scratch counts: one block of items for every core, whatever the batch.
    /// Here the direct loops' largest, the input gradient's: one image's output gradient inside
    /// its padding (34 · 34 · 8) and its input gradient (32 · 32 · 3), 12,320 values a core;
    /// and the flipped kernel (3 · 3 · 3 · 8 = 216 values).
    func testTrainingAndEvaluatingCountTheConvolutionsColumns() throws {
        let session = try SessionHarness.makeSession(trainCount: 96, testCount: 16)
        session.succeed("""
            data = load shapes
            model c { input 32x32x3; conv 8 3x3 relu; pool 8; flatten; dense 10 softmax }
            compile c optimizer adam loss sparse_categorical_crossentropy
            """)
        let columns = 12_320 * EngineThreads.count + 216
        // 224 + 730 weights, 4 copies each; per image 3,072 + 7,200 + 72 + 72 + 10 outputs and
        // 7,354 gradients: 4 · (954 · 4 + 32 · 17,780 + columns) bytes.
        let training = 4 * (954 * 4 + 32 * 17_780 + columns)
        session.availableMemory = { training - 1 }
        let error = try XCTUnwrap(session.fail("h = fit c on data.train epochs 1 batch 32"))
        XCTAssertTrue(error.message.hasPrefix("training c in batches of 32 needs \(Render.ModelSummary.grouped(training)) bytes ("), error.message)
        XCTAssertEqual(error.span.column, 40)
        XCTAssertNil(session["h"])
        session.availableMemory = { training }
        session.succeed("h = fit c on data.train epochs 1 batch 32")

        // evaluate: 16 images in one batch, each node's output, and the columns.
        let evaluating = 4 * (16 * 10_426 + columns)
        session.availableMemory = { evaluating - 1 }
        let refused = try XCTUnwrap(session.fail("e = evaluate c on data.test"))
        XCTAssertTrue(refused.message.hasPrefix("evaluating c in batches of 16 needs \(Render.ModelSummary.grouped(evaluating)) bytes ("),
                      refused.message)
        XCTAssertEqual(refused.span.column, 19)
        XCTAssertEqual(refused.hint, "evaluate a smaller model, or shrink its input first (pooling, strides)")
        XCTAssertNil(session["e"])
        session.availableMemory = { evaluating }
        session.succeed("e = evaluate c on data.test")
        XCTAssertNotNil(session["e"])
    }

    func testAFigurePastThePixelBudgetIsRefused() throws {
        let session = try SessionHarness.makeSession(trainCount: 8, testCount: 4)
        session.succeed("data = load shapes")
        let shown = session.succeed("show data.train[0..<4] grid 2x2")
        let size = try XCTUnwrap(shown.figures.first).figure.pixelSize
        session.figurePixelLimit = size.width * size.height - 1
        let error = try XCTUnwrap(session.fail("show data.train[0..<4] grid 2x2"))
        XCTAssertEqual(error.message, "the figure would be \(size.width)x\(size.height) pixels "
                       + "(\(Render.ModelSummary.grouped(size.width * size.height * 4)) bytes); cnnb draws at most "
                       + "\(Render.ModelSummary.grouped(size.width * size.height - 1)) pixels")
        XCTAssertEqual(error.span.column, 1)
        XCTAssertEqual(error.hint, "show fewer images or layers at a time")
        let figures = try FileManager.default.contentsOfDirectory(atPath: session.outputDirectory + "/figures")
        XCTAssertEqual(figures.count, 1)
    }
}
