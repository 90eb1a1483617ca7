import Engine
import Foundation
@testable import Language
import XCTest

/// The layers beyond the first lesson, written in cnnb: `layer`, `explain`, models and their summaries.
final class NewLayerStatementTests: XCTestCase {
    override func tearDown() {
        SessionHarness.removeFolders()
        super.tearDown()
    }

    /// `layer SPEC on SHAPE`'s lines: configuration, input, output, parameters, multiply-adds.
    func layerLines(_ session: Session, _ spec: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        session.succeed("layer \(spec)", file: file, line: line).text.split(separator: "\n").map(String.init)
    }

    func testEveryNewWordMakesKerassLayer() throws {
        let session = try SessionHarness.makeSession()
        // word on input → Keras's configuration, output shape and parameter count (Keras 3.15).
        let cases: [(String, String, String, String)] = [
            ("batchnorm on 10x10x8", "BatchNormalization(axis=-1, momentum=0.99, epsilon=0.001)", "(None, 10, 10, 8)", "32 (16 non-trainable)"),
            ("batchnorm momentum 0.9 epsilon 0.01 on 5", "BatchNormalization(axis=-1, momentum=0.9, epsilon=0.01)", "(None, 5)", "20 (10 non-trainable)"),
            ("zeropad on 5x5x3", "ZeroPadding2D(padding=((1, 1), (1, 1)))", "(None, 7, 7, 3)", "0"),
            ("zeropad 1x2 on 5x5x3", "ZeroPadding2D(padding=((1, 1), (2, 2)))", "(None, 7, 9, 3)", "0"),
            ("zeropad1d 2 on 5x3", "ZeroPadding1D(padding=(2, 2))", "(None, 9, 3)", "0"),
            ("zeropad3d on 2x3x4x2", "ZeroPadding3D(padding=((1, 1), (1, 1), (1, 1)))", "(None, 4, 5, 6, 2)", "0"),
            ("upsample on 5x5x3", "UpSampling2D(size=(2, 2), interpolation='nearest')", "(None, 10, 10, 3)", "0"),
            ("upsample 2x3 on 5x5x3", "UpSampling2D(size=(2, 3), interpolation='nearest')", "(None, 10, 15, 3)", "0"),
            ("upsample1d on 5x3", "UpSampling1D(size=2)", "(None, 10, 3)", "0"),
            ("upsample3d 2 on 2x3x4x2", "UpSampling3D(size=(2, 2, 2))", "(None, 4, 6, 8, 2)", "0"),
            ("globalmaxpool1d on 10x8", "GlobalMaxPooling1D()", "(None, 8)", "0"),
            ("globalmaxpool3d on 2x3x4x5", "GlobalMaxPooling3D()", "(None, 5)", "0"),
            ("depthwiseconv 3x3 multiplier 2 on 8x8x3", "DepthwiseConv2D(kernel_size=(3, 3), strides=(1, 1), padding='valid', depth_multiplier=2, activation='linear', use_bias=True)",
             "(None, 6, 6, 6)", "60"),
            ("depthwiseconv1d 3 multiplier 2 on 10x3", "DepthwiseConv1D(kernel_size=(3,), strides=(1,), padding='valid', depth_multiplier=2, activation='linear', use_bias=True)",
             "(None, 8, 6)", "24"),
            ("sepconv 16 3x3 on 8x8x3", "SeparableConv2D(filters=16, kernel_size=(3, 3), strides=(1, 1), padding='valid', depth_multiplier=1, activation='linear', use_bias=True)",
             "(None, 6, 6, 16)", "91"),
            ("sepconv 16 3x3 relu multiplier 2 stride 2 padding same on 8x8x3",
             "SeparableConv2D(filters=16, kernel_size=(3, 3), strides=(2, 2), padding='same', depth_multiplier=2, activation='relu', use_bias=True)",
             "(None, 4, 4, 16)", "166"),
            ("sepconv1d 16 3 on 10x3", "SeparableConv1D(filters=16, kernel_size=(3,), strides=(1,), padding='valid', depth_multiplier=1, activation='linear', use_bias=True)",
             "(None, 8, 16)", "73"),
            ("convtranspose 8 3x3 stride 2 on 5x5x3", "Conv2DTranspose(filters=8, kernel_size=(3, 3), strides=(2, 2), padding='valid', activation='linear', use_bias=True)",
             "(None, 11, 11, 8)", "224"),
            ("convtranspose 8 3x3 stride 2 padding same on 5x5x3", "Conv2DTranspose(filters=8, kernel_size=(3, 3), strides=(2, 2), padding='same', activation='linear', use_bias=True)",
             "(None, 10, 10, 8)", "224"),
            ("convtranspose1d 8 3 stride 2 on 5x3", "Conv1DTranspose(filters=8, kernel_size=(3,), strides=(2,), padding='valid', activation='linear', use_bias=True)",
             "(None, 11, 8)", "80"),
            ("convtranspose3d 4 3 stride 2 padding same on 3x4x5x2",
             "Conv3DTranspose(filters=4, kernel_size=(3, 3, 3), strides=(2, 2, 2), padding='same', activation='linear', use_bias=True)",
             "(None, 6, 8, 10, 4)", "220"),
            ("conv 4 3x3 dilation 2 on 9x9x2", "Conv2D(filters=4, kernel_size=(3, 3), strides=(1, 1), padding='valid', dilation_rate=(2, 2), activation='linear', use_bias=True)",
             "(None, 5, 5, 4)", "76"),
            ("rescaling 0.5 offset -1 on 32x32x3", "Rescaling(scale=0.5, offset=-1.0)", "(None, 32, 32, 3)", "0"),
            ("resizing 3x5 on 4x4x1", "Resizing(height=3, width=5, interpolation='bilinear')", "(None, 3, 5, 1)", "0"),
            ("centercrop 4x3 on 6x6x1", "CenterCrop(height=4, width=3)", "(None, 4, 3, 1)", "0"),
            ("randomflip horizontal on 6x6x3", "RandomFlip(mode='horizontal', seed=", "(None, 6, 6, 3)", "0"),
            ("randomflip on 6x6x3", "RandomFlip(mode='horizontal_and_vertical', seed=", "(None, 6, 6, 3)", "0"),
            ("randomrotation 0.1 on 6x6x3", "RandomRotation(factor=(-0.1, 0.1), fill_mode='reflect', interpolation='bilinear', seed=", "(None, 6, 6, 3)", "0"),
            ("randomtranslation 0.1 0.2 on 6x6x3", "RandomTranslation(height_factor=0.1, width_factor=0.2, fill_mode='reflect'", "(None, 6, 6, 3)", "0"),
            ("randomzoom 0.2 on 6x6x3", "RandomZoom(height_factor=0.2, width_factor=None, fill_mode='reflect'", "(None, 6, 6, 3)", "0"),
            ("randomcontrast 0.2 on 6x6x3", "RandomContrast(factor=0.2, value_range=(0.0, 255.0), seed=", "(None, 6, 6, 3)", "0"),
            ("relu on 6x6x3", "ReLU(max_value=None, negative_slope=0.0, threshold=0.0)", "(None, 6, 6, 3)", "0"),
            ("relu max 6 on 6x6x3", "ReLU(max_value=6.0, negative_slope=0.0, threshold=0.0)", "(None, 6, 6, 3)", "0"),
            ("leakyrelu on 7", "LeakyReLU(negative_slope=0.3)", "(None, 7)", "0"),
            ("leakyrelu alpha 0.1 on 7", "LeakyReLU(negative_slope=0.1)", "(None, 7)", "0"),
            ("softmax on 3x10", "Softmax(axis=-1)", "(None, 3, 10)", "0"),
            ("elu on 4x2", "ELU(alpha=1.0)", "(None, 4, 2)", "0"),
            ("prelu on 10x10x8", "PReLU(shared_axes=None)", "(None, 10, 10, 8)", "800"),
            ("gaussiannoise 0.1 on 28x28x1", "GaussianNoise(stddev=0.1, seed=", "(None, 28, 28, 1)", "0"),
        ]
        for (spec, configuration, output, parameters) in cases {
            let lines = layerLines(session, spec)
            guard lines.count >= 4 else { XCTFail("\(spec): \(lines)"); continue }
            XCTAssertTrue(lines[0].hasPrefix(configuration), "\(spec): \(lines[0])")
            XCTAssertEqual(lines[2], "output shape:  \(output)", spec)
            XCTAssertEqual(lines[3], "parameters:    \(parameters)", spec)
        }
    }

    func testKerasClassNamesAreAnsweredWithTheWord() throws {
        let session = try SessionHarness.makeSession()
        for (keras, word) in [("batchnormalization", "batchnorm"), ("separableconv2d", "sepconv"), ("conv2dtranspose", "convtranspose"),
                              ("zeropadding2d", "zeropad"), ("upsampling2d", "upsample"), ("globalmaxpooling1d", "globalmaxpool1d")] {
            let error = session.fail("layer \(keras) on 8x8x3")
            XCTAssertTrue(error?.hint?.contains("did you mean '\(word)'") == true, "\(keras): \(String(describing: error?.hint))")
        }
    }

    func testExplainWritesTheArithmeticOfTheNewLayers() throws {
        let session = try SessionHarness.makeSession()
        let bn = session.succeed("explain batchnorm on 10x10x8").text
        XCTAssertTrue(bn.contains("parameters: 4 x 8 = 32: gamma and beta trained, the moving mean and variance (16) not"), bn)
        XCTAssertTrue(bn.contains("moving = moving x 0.99 + batch x 0.01"), bn)
        let separable = session.succeed("explain sepconv 64 3x3 on 16x16x32").text
        // 3·3·32 + 32·64 + 64 = 2,400 against 3·3·32·64 + 64 = 18,496.
        XCTAssertTrue(separable.contains("parameters: 2,400 (a plain 3x3 convolution to 64 filters has 18,496)"), separable)
        XCTAssertTrue(separable.contains("kernel 3x3, stride 1x1, padding valid"), separable)
        let dilated = session.succeed("explain conv 4 3x3 dilation 2 on 9x9x2").text
        XCTAssertTrue(dilated.contains("dilation 2x2: the 3x3 window spans 5x5 inputs"), dilated)
        XCTAssertTrue(dilated.contains("output = floor((9 - 5) / 1) + 1 = 5"), dilated)
        let transposed = session.succeed("explain convtranspose 8 3x3 stride 2 on 5x5x3").text
        XCTAssertTrue(transposed.contains("axis 1: valid: output = 5 x 2 + max(3 - 2, 0) = 11"), transposed)
        XCTAssertTrue(transposed.contains("parameters: 3x3 x 8 x 3 weights + 8 biases = 224"), transposed)
        XCTAssertTrue(session.succeed("explain depthwiseconv 3x3 multiplier 2 on 8x8x3").text.contains("3 in → 6 out"))
    }

    /// The keras-io Conv1D time-series classifier, as a cnnb model.
    func testTimeSeriesClassifierSummaryHasKerassCounts() throws {
        let session = try SessionHarness.makeSession()
        let summary = session.succeed("""
            model ts {
                input 500x1
                conv1d 64 3 padding same; batchnorm; relu
                conv1d 64 3 padding same; batchnorm; relu
                conv1d 64 3 padding same; batchnorm; relu
                globalavgpool1d
                dense 2 softmax
            }
            summary ts
            """).text
        XCTAssertTrue(summary.contains("Total params: 25,858"), summary)
        XCTAssertTrue(summary.contains("Trainable params: 25,474"), summary)
        XCTAssertTrue(summary.contains("Non-trainable params: 384"), summary)
        XCTAssertTrue(summary.contains("│ batch_normalization_2           │ (None, 500, 64)        │           256 │"), summary)
        XCTAssertTrue(summary.contains("re_lu_2 (ReLU)"), summary)
    }

    func testAugmentationTrainsAndIsTheIdentityInPrediction() throws {
        let session = try SessionHarness.makeSession()
        session.succeed("""
            data = load shapes
            model aug { input 32x32x3; randomflip horizontal; randomrotation 0.05; randomzoom 0.1; randomcontrast 0.2
                        rescaling 1 offset 0; conv 8 3x3; batchnorm; relu; maxpool 2; sepconv 8 3x3 relu
                        globalavgpool; dense 10 softmax }
            compile aug optimizer adam loss sparse_categorical_crossentropy metrics accuracy
            history = fit aug on data.train epochs 2
            """)
        guard case .model(let model) = session["aug"] else { return XCTFail("aug is a model") }
        var generator = SeededGenerator(seed: 1)
        let x = Tensor(shape: [4, 32, 32, 3], values: (0..<(4 * 32 * 32 * 3)).map { _ in generator.uniform(0, 1) })
        // Inference twice gives the same predictions: the random layers are the identity.
        XCTAssertEqual(try model.predict(x)[0].scalars, try model.predict(x)[0].scalars)
    }

    func testApplyShowsWhatTrainingDoesWithAnAugmentation() throws {
        let session = try SessionHarness.makeSession()
        let capped = session.succeed("apply relu max 1 to [[-2, -0.5, 0, 0.5, 3]]").text
        XCTAssertTrue(capped.hasSuffix("output 1x5x1:\narray([[0. , 0. , 0. , 0.5, 1. ]])"), capped)
        // Each apply makes the layer afresh with the session's next seed: some flip the row.
        let outputs = (0..<8).map { _ in session.succeed("apply randomflip horizontal to [[1, 2, 3]]").text }
        XCTAssertTrue(outputs.contains { $0.hasSuffix("output 1x3x1:\narray([[3., 2., 1.]])") }, outputs.joined(separator: "\n"))
        XCTAssertTrue(outputs.contains { $0.hasSuffix("output 1x3x1:\narray([[1., 2., 3.]])") }, outputs.joined(separator: "\n"))
    }
}
