import Engine
@testable import Language
import XCTest

/// The layer registry: every word it lists is written, parsed, built and explained the same
/// way, from its one definition.
final class LayerRegistryTests: XCTestCase {
    override func tearDown() { SessionHarness.removeFolders() }

    func testEveryLayerWordBuildsItsKerasClassFromItsOwnExample() throws {
        let session = try SessionHarness.makeSession("registry")
        for syntax in LayerRegistry.syntaxes where !syntax.definition.isInput {
            let result = session.succeed("layer " + syntax.example)
            XCTAssertTrue(result.text.hasPrefix(syntax.form.kerasClass + "("), "\(syntax.word): \(result.text)")
        }
    }

    func testWordsAreUniqueAndEachDefinitionHasAForm() {
        let words = LayerRegistry.syntaxes.map(\.word)
        XCTAssertEqual(Set(words).count, words.count)
        for definition in LayerCatalog.definitions { XCTAssertFalse(definition.forms.isEmpty, definition.id) }
        XCTAssertEqual(LayerRegistry.byWord["conv1d"]?.rank, 1)
        XCTAssertEqual(LayerRegistry.byWord["pool3d"]?.form.kerasClass, "MaxPooling3D")
        XCTAssertNil(LayerRegistry.byWord["dense"]?.rank)
    }

    func testUsageAndHelpComeFromTheDefinition() {
        XCTAssertEqual(LayerRegistry.byWord["maxpool"]?.usage, "maxpool [POOL_SIZE] [stride S] [padding same|valid] (e.g. maxpool 2x2)")
        XCTAssertEqual(LayerRegistry.byWord["conv3d"]?.usage,
                       "conv3d FILTERS KERNEL [ACTIVATION] [stride S] [padding same|valid] [dilation D] (e.g. conv3d 32 3x3x3 relu)")
        XCTAssertEqual(LayerRegistry.byWord["activation"]?.usage, "activation NAME (e.g. activation relu)")
        XCTAssertEqual(LayerRegistry.byWord["flatten"]?.usage, "flatten")
        XCTAssertEqual(Help.text(topic: "dense"), """
            dense UNITS [ACTIVATION] (e.g. dense 64 relu)
            every unit sees every input of the last axis (Keras's Dense)
            options: activation relu, name "conv_1"
            """)
    }

    func testKerasClassNamesAreAnsweredWithTheCnnbWord() throws {
        let cases: [(String, String, Int)] = [
            ("maxpooling2d 2", "did you mean 'maxpool'? (Keras's MaxPooling2D)", 1),
            ("layer globalaveragepooling1d on 10x3", "did you mean 'globalavgpool1d'? (Keras's GlobalAveragePooling1D)", 7),
            ("model m { input 4x4x1; MaxPooling3D 2 }", "did you mean 'maxpool3d'? (Keras's MaxPooling3D)", 24),
        ]
        for (source, hint, column) in cases {
            let (_, diagnostics) = Parser.parseStatements(source)
            XCTAssertEqual(diagnostics.first?.hint, hint, source)
            XCTAssertEqual(diagnostics.first?.span.column, column, source)
        }
        XCTAssertEqual(Help.text(topic: "Dense"), "no help for 'Dense'; did you mean 'dense'? (Keras's Dense)")
    }

    func testALayerKeepsTheNameItIsGiven() throws {
        let session = try SessionHarness.makeSession("names")
        session.succeed("model m { input 8; dense 4 relu name \"hidden\"; dense 2 softmax name 'head' }")
        let summary = session.succeed("summary m").text
        XCTAssertTrue(summary.contains("hidden (Dense)"), summary)
        XCTAssertTrue(summary.contains("head (Dense)"), summary)
        XCTAssertTrue(session.succeed("layer conv 8 3x3 name \"edge\"").text.hasPrefix("Conv2D("))

        let duplicate = try XCTUnwrap(session.fail("model n { input 8; dense 4 name \"a\"; dense 2 name \"a\" }"))
        XCTAssertEqual(duplicate.message, "the layer name 'a' is already used in model n")
        XCTAssertEqual(duplicate.span.column, 46)
        let taken = try XCTUnwrap(session.fail("model k { input 8; dense 4; dense 2 name \"dense\" }"))
        XCTAssertEqual(taken.message, "the layer name 'dense' is already used in model k")
        let slash = try XCTUnwrap(session.fail("layer dense 3 name \"a/b\""))
        XCTAssertEqual(slash.message, "a layer name must be non-empty and hold no '/'")
        XCTAssertEqual(slash.span.column, 20)
    }

    func testAnActivationTakenForAnArgumentLeavesItMissing() throws {
        let session = try SessionHarness.makeSession("missing")
        let dense = try XCTUnwrap(session.fail("layer dense relu"))
        XCTAssertEqual(dense.message, "dense is missing its UNITS argument")
        XCTAssertEqual(dense.span.column, 7)
        XCTAssertEqual(dense.hint, "usage: dense UNITS [ACTIVATION] (e.g. dense 64 relu)")
        let conv = try XCTUnwrap(session.fail("layer conv 8 relu"))
        XCTAssertEqual(conv.message, "conv is missing its KERNEL argument")
    }

    func testBareWordsBelongToTheirLayer() {
        let (_, diagnostics) = Parser.parseStatements("avgpool swish")
        XCTAssertEqual(diagnostics.first?.message, "'swish' is not an option of avgpool")
        let (_, ok) = Parser.parseStatements("dense 10 softmax; activation relu; conv 8 3x3 relu stride 2; conv 8 3x3 silu")
        XCTAssertEqual(ok.map(\.message), [])
    }

    func testExplainReadsWindowsFromTheAbilityAndSentencesFromTheDefinition() throws {
        let session = try SessionHarness.makeSession("explain")
        let pool = session.succeed("explain avgpool1d 3 stride 2 padding same on 9x4").text
        XCTAssertEqual(pool, """
            AveragePooling1D on an input of (None, 9, 4)
            pool window 3, stride 2, padding same
            length  same: output = ceil(9 / 2) = 5; padding = max((5 - 1) x 2 + 3 - 9, 0) = 2 → 1 before, 1 after
            channels: pooled one by one, 4 in → 4 out
            each output is the mean of its 3 window (padded cells are left out)
            parameters: 0
            output: (None, 5, 4)
            """)
        XCTAssertEqual(session.succeed("explain dropout 0.5 on 7").text, """
            Dropout on an input of (None, 7)
            the shape is unchanged; parameters: 0
            output: (None, 7)
            """)
    }
}
