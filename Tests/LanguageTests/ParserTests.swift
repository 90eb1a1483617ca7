import Language
import XCTest

/// One test (or more) per rule of Grammar/cnnb.ebnf: the tree the parser builds, and the spans
/// (line, column, covered text) of its nodes.
final class ParserTests: XCTestCase {
    // MARK: - statements, separator

    func testStatementsEndAtLineBreaksAndSemicolons() {
        let source = "a\n\n  b ; c;;d\n"
        let (statements, diagnostics) = Parser.parseStatements(source)
        XCTAssertEqual(diagnostics, [])
        XCTAssertEqual(statements.map(\.treeDescription), ["a", "b", "c", "d"])
        XCTAssertEqual(statements.map(\.span.line), [1, 3, 3, 3])
        XCTAssertEqual(statements.map(\.span.column), [1, 3, 7, 10])
    }

    func testEmptyInputHasNoStatements() {
        XCTAssertEqual(trees(""), [])
        XCTAssertEqual(trees(" ;\n; # only a comment\n"), [])
    }

    func testFirstLineNumbersTheText() {
        let (statements, _) = Parser.parseStatements("x = 1\ny = 2", file: "cell", firstLine: 40)
        XCTAssertEqual(statements.map(\.span.description), ["cell:40:1", "cell:41:1"])
    }

    // MARK: - assignment

    func testAssignment() throws {
        let source = "history = fit cnn on data.train epochs 5"
        let statement = try XCTUnwrap(single(source))
        XCTAssertEqual(statement.treeDescription, "(= history (fit cnn (on (. data train)) (epochs 5)))")
        guard case .assignment(let name, let value) = statement.kind else { return XCTFail("not an assignment") }
        XCTAssertEqual(name.name, "history")
        XCTAssertEqual(text(of: name.span, in: source), "history")
        XCTAssertEqual(value.span.column, 11)
        XCTAssertEqual(text(of: value.span, in: source), "fit cnn on data.train epochs 5")
        XCTAssertEqual(text(of: statement.span, in: source), source)
    }

    // MARK: - model-definition, block-item

    func testModelBlockSpansLinesAndKeepsItemSpans() throws {
        let source = """
            model cnn { input 32x32x3; conv 32 3x3 relu; pool 2; conv 64 3x3 relu; pool 2
                        conv 64 3x3 relu; flatten; dense 64 relu; dense 10 softmax }
            """
        let statement = try XCTUnwrap(single(source))
        XCTAssertEqual(statement.treeDescription, "(model cnn (layer input 32x32x3) (layer conv 32 3x3 relu) (layer pool 2) "
            + "(layer conv 64 3x3 relu) (layer pool 2) (layer conv 64 3x3 relu) (layer flatten) (layer dense 64 relu) (layer dense 10 softmax))")
        guard case .model(let name, let items) = statement.kind else { return XCTFail("not a model") }
        XCTAssertEqual(text(of: name.span, in: source), "cnn")
        XCTAssertEqual(items.map { "\($0.span.line):\($0.span.column)" },
                       ["1:13", "1:28", "1:46", "1:54", "1:72", "2:13", "2:31", "2:40", "2:55"])
        XCTAssertEqual(text(of: items[1].span, in: source), "conv 32 3x3 relu")
        XCTAssertEqual(statement.span.line, 1)
        XCTAssertEqual(text(of: statement.span, in: source), source)
    }

    func testModelBraceMayFollowOnTheNextLine() {
        XCTAssertEqual(trees("model m\n{\n  flatten\n\n  dense 10 softmax ;\n}\nsummary m"),
                       ["(model m (layer flatten) (layer dense 10 softmax))", "(summary m)"])
        XCTAssertEqual(trees("model m { }"), ["(model m)"])
    }

    func testBlockItemsMayNameEarlierLayersAndModels() {
        XCTAssertEqual(trees("model m { base; c1; base.layers[0]; (stem) }"),
                       ["(model m base c1 (index (. base layers) 0) stem)"])
    }

    // MARK: - command, argument, option

    func testCommandArgumentsAndOptionsInAnyOrder() throws {
        let source = "fit cnn epochs 5 on data.train validate data.test batch 64"
        let statement = try XCTUnwrap(single(source))
        XCTAssertEqual(statement.treeDescription, "(fit cnn (epochs 5) (on (. data train)) (validate (. data test)) (batch 64))")
        guard case .command(let command) = statement.kind else { return XCTFail("not a command") }
        XCTAssertEqual(command.keyword.name, "fit")
        XCTAssertEqual(text(of: command.keyword.span, in: source), "fit")
        XCTAssertEqual(command.options.map { text(of: $0.span, in: source) },
                       ["epochs 5", "on data.train", "validate data.test", "batch 64"])
        XCTAssertEqual(command.options.map(\.name.span.column), [9, 18, 32, 51])
        XCTAssertEqual(command.option("on")?.value.map { text(of: $0.span, in: source) }, "data.train")
        XCTAssertNil(command.option("lr"))
        XCTAssertEqual(trees("fit on data.train cnn"), ["(fit cnn (on (. data train)))"])
    }

    func testSeedCommands() {
        XCTAssertEqual(trees("""
            data = load cifar10
            data = data / 255
            shape data.train ; shape data.test
            show data.train[0..<25] grid 5x5 labels
            summary cnn
            plot cnn
            compile cnn optimizer adam loss sparse_categorical_crossentropy metrics accuracy lr 0.01
            plot history accuracy val_accuracy
            evaluate cnn on data.test
            filters cnn.layers[1] channel 0 grid 8x4 rgb
            features cnn.layers[1,3,5] of data.train[7]
            load cifar10 from "data/cifar"
            save cnn weights "m.npz"; load cnn weights "m.npz"
            export cnn onnx "m.onnx"
            predict cnn data.test[0..<64] to "p.npy"
            parts = submodel cnn outputs cnn.layers[1, 3]
            weights cnn.layers[0]
            layers cnn
            apply edge to data.train[7] stride 1 padding same
            """), [
            "(= data (load cifar10))",
            "(= data (/ data 255))",
            "(shape (. data train))", "(shape (. data test))",
            "(show (index (. data train) (..< 0 25)) (grid 5x5) (labels))",
            "(summary cnn)",
            "(plot cnn)",
            "(compile cnn (optimizer adam) (loss sparse_categorical_crossentropy) (metrics accuracy) (lr 0.01))",
            "(plot history accuracy val_accuracy)",
            "(evaluate cnn (on (. data test)))",
            "(filters (index (. cnn layers) 1) (channel 0) (grid 8x4) (rgb))",
            "(features (index (. cnn layers) 1 3 5) (of (index (. data train) 7)))",
            "(load cifar10 (from \"data/cifar\"))",
            "(save cnn (weights \"m.npz\"))", "(load cnn (weights \"m.npz\"))",
            "(export cnn (onnx \"m.onnx\"))",
            "(predict cnn (index (. data test) (..< 0 64)) (to \"p.npy\"))",
            "(= parts (submodel cnn (outputs (index (. cnn layers) 1 3))))",
            "(weights (index (. cnn layers) 0))",
            "(layers cnn)",
            "(apply edge (to (index (. data train) 7)) (stride 1) (padding same))",
        ])
    }

    func testCommasSeparateArguments() {
        XCTAssertEqual(trees("shape a, b, c.d\nprint x, -1\nplot h, -1"),
                       ["(shape a b (. c d))", "(print x (neg 1))", "(plot h (neg 1))"])
        // Without the comma, '-' is a subtraction.
        XCTAssertEqual(trees("plot h -1"), ["(plot (- h 1))"])
    }

    func testFlagsTakeNoValue() throws {
        let statement = try XCTUnwrap(single("show x labels grid 2x2"))
        guard case .command(let command) = statement.kind else { return XCTFail("not a command") }
        XCTAssertNil(command.option("labels")?.value)
        XCTAssertEqual(command.option("labels")?.span.column, 8)
        XCTAssertEqual(command.option("grid")?.value?.kind, .size([2, 2]))
    }

    func testOptionValueIsAWholeExpressionEndingAtTheNextOption() {
        XCTAssertEqual(trees("fit cnn on data.train[0..<1000] epochs 2 * 3 batch n + 1"),
                       ["(fit cnn (on (index (. data train) (..< 0 1000))) (epochs (* 2 3)) (batch (+ n 1)))"])
        XCTAssertEqual(trees("conv 8 3x3 padding \"same\""), ["(layer conv 8 3x3 (padding \"same\"))"])
    }

    func testOptionWordsOfTheStatementEndANestedLayer() {
        XCTAssertEqual(trees("layer conv 64 3x3 stride 3 padding same on 32x32x3"),
                       ["(layer (layer conv 64 3x3 (stride 3) (padding same)) (on 32x32x3))"])
        XCTAssertEqual(trees("explain maxpool 2x2 stride 2 on 30x30x32"),
                       ["(explain (layer maxpool 2x2 (stride 2)) (on 30x30x32))"])
        XCTAssertEqual(trees("layer dense 10 on 64"), ["(layer (layer dense 10) (on 64))"])
    }

    func testParenthesesMakeOptionWordsNamesAgain() {
        XCTAssertEqual(trees("fit (on) on x epochs (epochs)"), ["(fit on (on x) (epochs epochs))"])
    }

    func testCommandsAreExpressions() {
        XCTAssertEqual(trees("print summary cnn\nx = [load mnist, load cifar10]\n(fit m on d)"),
                       ["(print (summary cnn))", "(= x [(load mnist) (load cifar10)])", "(fit m (on d))"])
        // A parenthesised command is an expression statement, a bare one a command statement.
        let (statements, _) = Parser.parseStatements("(fit m on d)\nfit m on d")
        guard case .expression(let expr) = statements.first?.kind, case .command = expr.kind else {
            return XCTFail("parenthesised command is not an expression statement")
        }
        guard case .command = statements.last?.kind else { return XCTFail("bare command is not a command statement") }
    }

    // MARK: - layer-spec, layer-argument

    func testLayerSpecsWithBareActivationsAndOptions() throws {
        let source = "conv 8 3x3 relu stride 2 padding same dilation 1 name \"c1\""
        let statement = try XCTUnwrap(single(source))
        XCTAssertEqual(statement.treeDescription, "(layer conv 8 3x3 relu (stride 2) (padding same) (dilation 1) (name \"c1\"))")
        guard case .expression(let expr) = statement.kind, case .layer(let spec) = expr.kind else { return XCTFail("not a layer") }
        XCTAssertEqual(spec.syntax?.definition.id, "conv")
        XCTAssertEqual(spec.syntax?.rank, 2)
        XCTAssertEqual(spec.arguments.map { text(of: $0.span, in: source) }, ["8", "3x3", "relu"])
        XCTAssertEqual(spec.arguments.map(\.span.column), [6, 8, 12])
        XCTAssertEqual(spec.option("padding")?.value?.kind, .name("same"))
        XCTAssertEqual(text(of: spec.span, in: source), source)
    }

    func testEveryLayerForm() {
        XCTAssertEqual(trees("""
            input 32x32x3
            conv 32 3x3 relu; conv2d 32 3; conv1d 64 3; conv3d 64 3x3x3 activation relu
            pool 2; maxpool 2x2 stride 2 padding valid; maxpool1d 2; maxpool3d 2x2x2; pool3d 2
            avgpool; avgpool 3 stride 1; avgpool1d 2 padding same; avgpool3d 2x2x2
            globalavgpool; globalmaxpool; globalavgpool1d; globalmaxpool3d
            dense 64 relu; dense 10 activation softmax; flatten; dropout 0.25; activation tanh
            """), [
            "(layer input 32x32x3)",
            "(layer conv 32 3x3 relu)", "(layer conv2d 32 3)", "(layer conv1d 64 3)", "(layer conv3d 64 3x3x3 (activation relu))",
            "(layer pool 2)", "(layer maxpool 2x2 (stride 2) (padding valid))", "(layer maxpool1d 2)", "(layer maxpool3d 2x2x2)", "(layer pool3d 2)",
            "(layer avgpool)", "(layer avgpool 3 (stride 1))", "(layer avgpool1d 2 (padding same))", "(layer avgpool3d 2x2x2)",
            "(layer globalavgpool)", "(layer globalmaxpool)", "(layer globalavgpool1d)", "(layer globalmaxpool3d)",
            "(layer dense 64 relu)", "(layer dense 10 (activation softmax))", "(layer flatten)", "(layer dropout 0.25)", "(layer activation tanh)",
        ])
        let (statements, _) = Parser.parseStatements("pool 2; conv1d 1 1; avgpool3d; globalmaxpool2d")
        let kinds = statements.compactMap { statement -> String? in
            if case .expression(let expr) = statement.kind, case .layer(let spec) = expr.kind, let syntax = spec.syntax {
                return "\(syntax.definition.id)/\(syntax.rank ?? 0)/\(syntax.form.kerasClass)"
            }
            return nil
        }
        XCTAssertEqual(kinds, ["maxpool/2/MaxPooling2D", "conv/1/Conv1D", "avgpool/3/AveragePooling3D", "globalmaxpool/2/GlobalMaxPooling2D"])
    }

    func testLayerArgumentsAreUnaryExpressions() {
        XCTAssertEqual(trees("dense (n) relu; conv (2 * k) -3; dense (n).units[0]; conv [1, 2][0] -n"),
                       ["(layer dense n relu)", "(layer conv (* 2 k) (neg 3))", "(layer dense (index (. n units) 0))",
                        "(layer conv (index [1 2] 0) (neg n))"])
        // A bare name is not an argument, even with a member after it.
        let (_, diagnostics) = Parser.parseStatements("dense n.units")
        XCTAssertEqual(diagnostics.map(\.message), ["'n' is not an option or activation of dense"])
        // A looser operator after the spec applies to the layer value as a whole.
        XCTAssertEqual(trees("dense 64 + 1"), ["(+ (layer dense 64) 1)"])
    }

    func testLayerSpecIsAValue() throws {
        let source = "c = conv 32 3x3 relu"
        let statement = try XCTUnwrap(single(source))
        XCTAssertEqual(statement.treeDescription, "(= c (layer conv 32 3x3 relu))")
        XCTAssertEqual(trees("stack = [conv 8 3, dense 2]"), ["(= stack [(layer conv 8 3) (layer dense 2)])"])
    }

    // MARK: - expression (ranges), additive, multiplicative, unary

    func testRanges() {
        XCTAssertEqual(trees("r = 0..<25; s = a...b + 1; x[..<5]; x[5...]; x[...]; x[1..., ..<2]"), [
            "(= r (..< 0 25))", "(= s (... a (+ b 1)))",
            "(index x (..< _ 5))", "(index x (... 5 _))", "(index x (... _ _))", "(index x (... 1 _) (..< _ 2))",
        ])
    }

    func testRangeSpanCoversBothBounds() throws {
        let source = "x = data.train[10..<n + 2]"
        let statement = try XCTUnwrap(single(source))
        guard case .assignment(_, let value) = statement.kind, case .index(_, let indices) = value.kind else { return XCTFail() }
        XCTAssertEqual(text(of: indices[0].span, in: source), "10..<n + 2")
        XCTAssertEqual(indices[0].span.column, 16)
    }

    func testArithmeticPrecedenceAndAssociativity() {
        XCTAssertEqual(trees("a - b - c\na / b * c % d\n-2 * 3 + 4 % 5\n- -x\na - (b - c)\n2 * -3"), [
            "(- (- a b) c)", "(% (* (/ a b) c) d)", "(+ (* (neg 2) 3) (% 4 5))", "(neg (neg x))", "(- a (- b c))", "(* 2 (neg 3))",
        ])
    }

    func testBinarySpansAndParenthesesSpans() throws {
        let source = "y = (a + b) * c"
        let statement = try XCTUnwrap(single(source))
        guard case .assignment(_, let value) = statement.kind, case .binary(.multiply, let left, let right) = value.kind else {
            return XCTFail()
        }
        XCTAssertEqual(text(of: value.span, in: source), "(a + b) * c")
        XCTAssertEqual(text(of: left.span, in: source), "(a + b)")
        XCTAssertEqual(left.span.column, 5)
        XCTAssertEqual(right.span.column, 15)
    }

    // MARK: - postfix, member, index

    func testMemberAndIndex() throws {
        let source = "f = cnn.layers[1, 3, 5].weights[0][1]"
        let statement = try XCTUnwrap(single(source))
        XCTAssertEqual(statement.treeDescription, "(= f (index (index (. (index (. cnn layers) 1 3 5) weights) 0) 1))")
        guard case .assignment(_, let value) = statement.kind, case .index(let base, _) = value.kind,
              case .index(let inner, _) = base.kind, case .member(_, let member) = inner.kind else { return XCTFail() }
        XCTAssertEqual(member.name, "weights")
        XCTAssertEqual(member.span.column, 25)
        XCTAssertEqual(text(of: value.span, in: source), "cnn.layers[1, 3, 5].weights[0][1]")
    }

    func testPostfixMustTouchItsOperand() {
        // A '[' after a blank starts a new argument; '.' after a blank is not a member access.
        XCTAssertEqual(trees("plot h [0]"), ["(plot h [0])"])
        XCTAssertEqual(trees("plot h[0]"), ["(plot (index h 0))"])
        let (_, diagnostics) = Parser.parseStatements("x = a . b")
        XCTAssertEqual(diagnostics.map(\.message), ["unexpected '.' after the statement"])
    }

    func testIndexMayEndWithAComma() {
        XCTAssertEqual(trees("x[1, 2,]"), ["(index x 1 2)"])
    }

    // MARK: - primary, list

    func testPrimaries() {
        XCTAssertEqual(trees("x = 42; x = 2.5; x = 1e-3; x = 3E+2; x = 32x32x3; x = \"s\"; x = 'q'; x = name; x = (7)"), [
            "(= x 42)", "(= x 2.5)", "(= x 0.001)", "(= x 300.0)", "(= x 32x32x3)", "(= x \"s\")", "(= x \"q\")", "(= x name)", "(= x 7)",
        ])
    }

    func testListsAndMatricesMaySpanLines() throws {
        let source = "edge = [[-1, -1, -1],\n        [-1,  8, -1],\n        [-1, -1, -1],]\nk = []"
        let (statements, diagnostics) = Parser.parseStatements(source)
        XCTAssertEqual(diagnostics, [])
        XCTAssertEqual(statements.map(\.treeDescription), [
            "(= edge [[(neg 1) (neg 1) (neg 1)] [(neg 1) 8 (neg 1)] [(neg 1) (neg 1) (neg 1)]])", "(= k [])",
        ])
        guard case .assignment(_, let value) = statements[0].kind, case .list(let rows) = value.kind else { return XCTFail() }
        XCTAssertEqual(rows.map(\.span.line), [1, 2, 3])
        XCTAssertEqual(rows.map(\.span.column), [9, 9, 9])
        XCTAssertEqual(value.span.line, 1)
        XCTAssertEqual(text(of: value.span, in: source), String(source.prefix(while: { $0 != "k" }).dropFirst(7).dropLast()))
    }

    // MARK: - Tokens

    func testSizesAndNumbers() throws {
        let (tokens, diagnostics) = Lexer.tokenize("32x32x3 3x3 2 0.5 1e-3 7E2")
        XCTAssertEqual(diagnostics, [])
        XCTAssertEqual(tokens.map(\.kind), [.size([32, 32, 3]), .size([3, 3]), .integer(2), .float(0.5), .float(0.001), .float(700), .end])
        XCTAssertEqual(tokens.map(\.span.column), [1, 9, 13, 15, 19, 24, 27])
    }

    func testStringsAndEscapes() {
        let (tokens, diagnostics) = Lexer.tokenize(#""a\"b\n\t\\" 'it''s' "x'y" 'q"r'"#)
        XCTAssertEqual(diagnostics, [])
        XCTAssertEqual(tokens.map(\.kind), [.string("a\"b\n\t\\"), .string("it"), .string("s"), .string("x'y"), .string("q\"r"), .end])
    }

    func testCommentsRunToTheEndOfTheLine() {
        let source = "x = 1 # set x\n# a whole line\ny = \"#not a comment\" # but this is"
        XCTAssertEqual(trees(source), ["(= x 1)", "(= y \"#not a comment\")"])
    }

    func testLineBreaksInsideParenthesesAndBracketsAreBlanks() {
        XCTAssertEqual(trees("x = (1 +\n 2)\ny = [1,\n2]"), ["(= x (+ 1 2))", "(= y [1 2])"])
        let (tokens, _) = Lexer.tokenize("(\n)[\n]{\n}")
        XCTAssertEqual(tokens.map(\.kind), [.leftParen, .rightParen, .leftBracket, .rightBracket, .leftBrace, .newline, .rightBrace, .end])
    }

    func testColumnsCountCharactersNotBytes() throws {
        let source = "x = \"été\" ; y = 2"
        let (statements, _) = Parser.parseStatements(source)
        XCTAssertEqual(statements.map(\.span.column), [1, 13])
    }

    func testOpenBracketCountForTheREPL() {
        XCTAssertEqual(Lexer.openBracketCount(in: "model m {\n conv 3 3"), 1)
        XCTAssertEqual(Lexer.openBracketCount(in: "x = [1, (2"), 2)
        XCTAssertEqual(Lexer.openBracketCount(in: "model m { dense 2 }"), 0)
    }

    // MARK: - Nesting

    func testModerateNestingIsAccepted() {
        let deep = String(repeating: "(", count: 30) + "1" + String(repeating: ")", count: 30)
        XCTAssertEqual(trees("x = " + deep), ["(= x 1)"])
        XCTAssertEqual(trees("x = " + String(repeating: "[", count: 30) + String(repeating: "]", count: 30)).count, 1)
    }

    // MARK: - notebook, cell

    func testNotebookCells() throws {
        let source = """
            x = 0
            %% md
            # Convolutional networks
            Some *text*.

            %%
            layer conv 64 3x3 on 32x32x3   # comment
            %% code # the data
            data = load cifar10
            shape data.train ; shape data.test
            %%markdown
            end
            """
        let (notebook, diagnostics) = parseNotebook(source: source, fileName: "seed.cnnb")
        XCTAssertEqual(diagnostics, [])
        XCTAssertEqual(notebook.fileName, "seed.cnnb")
        XCTAssertEqual(notebook.cells.map(\.kind), [.code, .markdown, .code, .code, .markdown])
        XCTAssertEqual(notebook.cells.map(\.markerLine), [nil, 2, 6, 8, 11])
        XCTAssertEqual(notebook.cells.map(\.line), [1, 3, 7, 9, 12])
        XCTAssertEqual(notebook.cells[1].text, "# Convolutional networks\nSome *text*.")
        XCTAssertEqual(notebook.treeDescription, """
            (code (= x 0))
            (md "# Convolutional networks\\nSome *text*.")
            (code (layer (layer conv 64 3x3) (on 32x32x3)))
            (code (= data (load cifar10)) (shape (. data train)) (shape (. data test)))
            (md "end")
            """)
        // Spans count lines and offsets of the whole file.
        let shape = notebook.cells[3].statements[2]
        XCTAssertEqual(shape.span.description, "seed.cnnb:10:20")
        XCTAssertEqual(text(of: shape.span, in: source), "shape data.test")
    }

    func testByteOrderMarkIsABlank() {
        let (notebook, diagnostics) = parseNotebook(source: "\u{FEFF}%% md\n# T\n%%\nx = 1\n", fileName: "bom.cnnb")
        XCTAssertEqual(diagnostics, [])
        XCTAssertEqual(notebook.cells.map(\.kind), [.markdown, .code])
        XCTAssertEqual(trees("\u{FEFF}x = 1"), ["(= x 1)"])
    }

    func testAStatementAfterAnOpenBlockIsParsed() {
        let (statements, diagnostics) = Parser.parseStatements("model m {\n  dense 2\nx = 1\nsummary m")
        XCTAssertEqual(diagnostics.map(\.message), ["unclosed '{' of model 'm'"])
        XCTAssertEqual(statements.map(\.treeDescription), ["(= x 1)", "(summary m)"])
    }

    func testBlankTextBeforeTheFirstMarkerIsNoCell() {
        let (notebook, _) = parseNotebook(source: "\n  \n%%\nx = 1\n", fileName: "n.cnnb")
        XCTAssertEqual(notebook.cells.count, 1)
        XCTAssertEqual(notebook.cells[0].statements.first?.span.line, 4)
    }
}
