import Language
import XCTest

/// Parse → print → parse gives the same tree (spans aside), and printing is stable.
final class SourcePrinterTests: XCTestCase {
    static let lesson = """
        %% md
        # Convolutional networks
        A small CNN on CIFAR-10, after the Keras lesson.

        %%
        layer conv 64 3x3 stride 3 padding same on 32x32x3   # config, output shape 11x11x64, params, MACs
        explain maxpool 2x2 stride 2 on 30x30x32              # the arithmetic, step by step

        %%
        data = load cifar10
        data = data / 255
        shape data.train ; shape data.test
        show data.train[0..<25] grid 5x5 labels               # figure: 25 images with class names

        %%
        model cnn { input 32x32x3; conv 32 3x3 relu; pool 2; conv 64 3x3 relu; pool 2
                    conv 64 3x3 relu; flatten; dense 64 relu; dense 10 softmax }
        summary cnn                                           # Keras-style table
        plot cnn                                              # model graph figure
        compile cnn optimizer adam loss sparse_categorical_crossentropy metrics accuracy
        history = fit cnn on data.train epochs 5 validate data.test
        plot history accuracy val_accuracy
        evaluate cnn on data.test                             # accuracy: 69.84%
        filters cnn.layers[1] channel 0 grid 8x4
        features cnn.layers[1,3,5] of data.train[7]

        %% md
        ## Teaching aids

        %%
        edge = [[-1, -1, -1],
                [-1,  8, -1],
                [-1, -1, -1]]
        apply edge to data.train[7] padding same
        m = [[1, 3, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]
        layer maxpool 2 on 4x4x1
        save cnn weights "cnn.npz"
        load cnn weights 'cnn.npz'
        predict cnn data.test[0..<64] to "p.npy"
        parts = submodel cnn outputs cnn.layers[1, 3, 5]
        export cnn onnx "cnn.onnx"
        """

    static let programs: [String] = [
        "input 32x32x3; conv 32 3x3 relu; pool 2; conv 64 3x3 relu; pool 2; conv 64 3x3 relu; flatten; dense 64 relu; dense 10 softmax",
        "model small {\n  input 28x28x1\n  conv1d 8 3 activation relu stride 2 padding valid name \"first\"\n  maxpool3d 2x2x2\n  dropout 0.25\n  globalavgpool\n  dense 10 softmax\n}",
        "compile m optimizer sgd loss mse lr 1e-3 metrics accuracy\nx = -(1 + 2.5) * 3 % 2 - -4 / (a - b)",
        "y = x[..<5]; z = x[5...]; w = a.b[1, 2...4]; v = x[...]; r = (0..<3)",
        "s = \"tab\\there \\\"quoted\\\" back\\\\slash\\nnew line \\0\"; t = 'it\\'s'",
        "f = 1.5e-7; g = 1e+300; h = 0.1 + 0.2; i = 123456789012",
        // Forms the printer must parenthesise to keep their meaning.
        "dense (units) relu; conv (2 * k) (k); dense (cfg).units",
        "fit (on) on x epochs (epochs); show (labels) grid (grid)",
        "plot h, -1, -x; print -1, 2",
        "model m { base; base.layers[0]; (a - 1); (fit m on x); (stride); 3 }",
        "(fit m on x); (summary m) + 1",
        "x = (conv 3 3) + 1; y = [summary m, layer conv 3 3]; z = (layer dense 2 on 4).shape",
        "print fit cnn on data.train epochs 5",
        "load (weights \"w.npz\"); print (layer activation relu)",
        "show (dense 3) grid 2x2; apply (conv 3 3) stride 2; apply conv 3 3 stride 2",
        "x = (((((1)))))[0]; y = (a.b).c; z = [1][0]; u = 3.e",
        "explain conv 8 3x3 stride 2 padding same on 32x32x3",
        "evaluate cnn on activation; fit m on relu epochs dense",
        "s = ecg.reshape 140x1; t = (x.reshape [-1, 1]).train; fit m on x.reshape (n) epochs 2; y = x.reshape 4 / 2",
    ]

    private func assertRoundTrip(_ source: String, file: StaticString = #filePath, line: UInt = #line) {
        let (statements, diagnostics) = Parser.parseStatements(source)
        XCTAssertEqual(diagnostics.map(\.description), [], source, file: file, line: line)
        let once = printed(statements)
        let (again, againDiagnostics) = Parser.parseStatements(once)
        XCTAssertEqual(againDiagnostics.map(\.description), [], "printed:\n\(once)", file: file, line: line)
        XCTAssertEqual(again.map(Unspanned.statement), statements.map(Unspanned.statement),
                       "printed:\n\(once)\nbefore: \(statements.map(\.treeDescription))\nafter: \(again.map(\.treeDescription))",
                       file: file, line: line)
        XCTAssertEqual(printed(again), once, "printing is not stable", file: file, line: line)
    }

    func testProgramsRoundTrip() {
        for program in Self.programs { assertRoundTrip(program) }
    }

    func testLessonNotebookRoundTrips() throws {
        let (notebook, diagnostics) = parseNotebook(source: Self.lesson, fileName: "lesson.cnnb")
        XCTAssertEqual(diagnostics.map(\.description), [])
        let text = SourcePrinter.render(notebook)
        let (again, againDiagnostics) = parseNotebook(source: text, fileName: "lesson.cnnb")
        XCTAssertEqual(againDiagnostics.map(\.description), [], text)
        XCTAssertEqual(again.cells.map(\.kind), notebook.cells.map(\.kind))
        XCTAssertEqual(again.cells.map(\.text).enumerated().filter { notebook.cells[$0.offset].kind == .markdown }.map(\.element),
                       notebook.cells.filter { $0.kind == .markdown }.map(\.text))
        XCTAssertEqual(again.cells.map { $0.statements.map(Unspanned.statement) },
                       notebook.cells.map { $0.statements.map(Unspanned.statement) })
        XCTAssertEqual(SourcePrinter.render(again), text)
        XCTAssertEqual(notebook.cells.map { $0.statements.count }, [0, 2, 5, 9, 0, 9])
    }

    func testEveryShippedNotebookRoundTrips() throws {
        let notebooks = try shippedNotebooks()
        XCTAssertFalse(notebooks.isEmpty, "no notebooks in Notebooks/")
        for (name, text) in notebooks {
            let (notebook, diagnostics) = parseNotebook(source: text, fileName: name)
            XCTAssertEqual(diagnostics.map(\.description), [], name)
            XCTAssertGreaterThan(notebook.cells.filter { $0.kind == .code }.count, 0, name)
            let printedText = SourcePrinter.render(notebook)
            let (again, againDiagnostics) = parseNotebook(source: printedText, fileName: name)
            XCTAssertEqual(againDiagnostics.map(\.description), [], "\(name) printed:\n\(printedText)")
            XCTAssertEqual(again.cells.map(\.kind), notebook.cells.map(\.kind), name)
            XCTAssertEqual(again.cells.filter { $0.kind == .markdown }.map(\.text),
                           notebook.cells.filter { $0.kind == .markdown }.map(\.text), name)
            XCTAssertEqual(again.cells.map { $0.statements.map(Unspanned.statement) },
                           notebook.cells.map { $0.statements.map(Unspanned.statement) }, name)
            XCTAssertEqual(SourcePrinter.render(again), printedText, name)
        }
    }

    func testCanonicalLayout() {
        let (statements, _) = Parser.parseStatements("model  m{conv 8 3x3 relu;pool 2}\nx=[1,2 ,3]\nshape a,b\nk = 'q'")
        XCTAssertEqual(printed(statements), "model m {\n    conv 8 3x3 relu\n    pool 2\n}\nx = [1, 2, 3]\nshape a, b\nk = \"q\"\n")
    }

    func testPrinterParenthesisesWhatWouldReadDifferently() {
        let (statements, _) = Parser.parseStatements("dense (n) relu\nfit (on) on x\nplot h, -1\nmodel m { (a - 1) }\n(fit m on x)")
        XCTAssertEqual(printed(statements), "dense (n) relu\nfit (on) on x\nplot h, -1\nmodel m {\n    (a - 1)\n}\n(fit m on x)\n")
    }
}
