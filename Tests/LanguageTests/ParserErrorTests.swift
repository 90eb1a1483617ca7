import Language
import XCTest

/// Malformed programs: each must give exactly the diagnostics listed — message, line, column and
/// the width of the underlined culprit — and render them with the source line, a caret line under
/// the culprit and a hint.
final class ParserErrorTests: XCTestCase {
    struct Case {
        let source: String
        let message: String
        let line: Int
        let column: Int
        let width: Int
        let hint: String
        /// How many diagnostics the input gives in all (the first is the one described).
        var count = 1
    }

    static let depthHint = "split it with intermediate names; each parenthesis, operator in a row, '.' and '[ ]' is a level, and 64 is the most"

    static let cases: [Case] = [
        // Blocks
        Case(source: "model cnn { input 32x32x3; conv 32 3x3 relu\n  pool 2\nsummary cnn",
             message: "unclosed '{' of model 'cnn'", line: 1, column: 11, width: 1, hint: "add '}' after the last layer"),
        Case(source: "model cnn {\n  input 32x32x3\n  conv 32 3x3 relu\n",
             message: "unclosed '{' of model 'cnn'", line: 1, column: 11, width: 1, hint: "add '}' after the last layer"),
        Case(source: "model cnn {\n  conv 8 3x3\nx = 1", message: "unclosed '{' of model 'cnn'", line: 1, column: 11, width: 1,
             hint: "add '}' after the last layer"),
        Case(source: "model cnn", message: "expected '{' after 'model cnn'", line: 1, column: 7, width: 3,
             hint: "list the layers in braces: model cnn { input 32x32x3; conv 32 3x3 relu; … }"),
        Case(source: "model fit { dense 3 }", message: "'fit' is a keyword and cannot name a model", line: 1, column: 7, width: 3,
             hint: "choose another name: model cnn { … }"),
        Case(source: "model cnn { fit cnn }", message: "'fit' cannot appear inside a model block", line: 1, column: 13, width: 3,
             hint: "a model block lists layers, such as conv 32 3x3 relu; close the block with '}' first"),
        Case(source: "x = 1\n}", message: "unexpected '}'", line: 2, column: 1, width: 1, hint: "there is no open '{' for it to close"),
        // Sizes and numbers
        Case(source: "input 32x", message: "incomplete size '32x': a number must follow the last 'x'", line: 1, column: 7, width: 3,
             hint: "a size is numbers joined by 'x', such as 32x32x3 or 3x3; one number stands for every axis"),
        Case(source: "model m {\n  conv 32 3x\n}", message: "incomplete size '3x': a number must follow the last 'x'", line: 2, column: 11, width: 2,
             hint: "a size is numbers joined by 'x', such as 32x32x3 or 3x3; one number stands for every axis"),
        Case(source: "x = 1.5x3", message: "malformed size '1.5x3'", line: 1, column: 5, width: 5,
             hint: "a size is numbers joined by 'x', such as 32x32x3 or 3x3; one number stands for every axis"),
        Case(source: "x = 3px", message: "malformed number '3px'", line: 1, column: 5, width: 3,
             hint: "separate a number from the next word with a space"),
        Case(source: "x = 99999999999999999999", message: "number '99999999999999999999' is too large", line: 1, column: 5, width: 20,
             hint: "whole numbers go up to 9223372036854775807"),
        Case(source: "x = 1e999", message: "number '1e999' is out of range", line: 1, column: 5, width: 5,
             hint: "numbers go up to about 1.8e308"),
        Case(source: "x = .5", message: "a number must start with a digit: '.5'", line: 1, column: 5, width: 2, hint: "write 0.5"),
        // Layers
        Case(source: "model cnn {\n  input 32x32x3\n  dens 10 softmax\n}", message: "unknown layer kind 'dens'", line: 3, column: 3, width: 4,
             hint: "did you mean 'dense'?"),
        Case(source: "model m {\n\tconw 32 3x3\n}", message: "unknown layer kind 'conw'", line: 2, column: 2, width: 4,
             hint: "did you mean 'conv'?"),
        Case(source: "layer cnv 64 3x3", message: "unknown layer kind 'cnv'", line: 1, column: 7, width: 3, hint: "did you mean 'conv'?"),
        Case(source: "conv 32 3x3 padding sme", message: "unknown padding 'sme' for conv", line: 1, column: 21, width: 3,
             hint: "did you mean 'same'?"),
        Case(source: "apply k to x padding full", message: "unknown padding 'full' for apply", line: 1, column: 22, width: 4,
             hint: "padding is one of: valid, same"),
        Case(source: "conv 32 3x3 relu on 32x32x3", message: "'on' is not an option of conv", line: 1, column: 18, width: 2,
             hint: "to see a layer on an input shape, write: layer conv … on SHAPE"),
        Case(source: "dense n", message: "'n' is not an option or activation of dense", line: 1, column: 7, width: 1,
             hint: "usage: dense UNITS [ACTIVATION] (e.g. dense 64 relu); a variable as argument goes in parentheses: (n)"),
        Case(source: "dense 10 relu softmax", message: "too many arguments for dense", line: 1, column: 15, width: 7,
             hint: "usage: dense UNITS [ACTIVATION] (e.g. dense 64 relu)"),
        Case(source: "flatten 2", message: "flatten takes no arguments", line: 1, column: 9, width: 1, hint: "usage: flatten"),
        Case(source: "conv 32", message: "conv needs 2 arguments", line: 1, column: 1, width: 4,
             hint: "usage: conv FILTERS KERNEL [ACTIVATION] [stride S] [padding same|valid] [dilation D] (e.g. conv 32 3x3 relu)"),
        Case(source: "conv 32 3x3 relu stride 2 stride 1", message: "option 'stride' is given twice", line: 1, column: 27, width: 6,
             hint: "keep one 'stride'"),
        Case(source: "maxpool 2x2 stride\nflatten", message: "missing value after 'stride'", line: 1, column: 13, width: 6,
             hint: "write e.g. 'stride 2'"),
        Case(source: "layer dense 3 on 10 name \"d\"", message: "'name' is an option of dense, not of layer", line: 1, column: 21, width: 4,
             hint: "give the layer's options before 'on': layer dense … name … on …"),
        Case(source: "layer 32", message: "expected a layer kind after 'layer'", line: 1, column: 7, width: 2,
             hint: "write: layer KIND ARGUMENTS [on SHAPE], e.g. layer conv 32 3x3 relu on 32x32x3"),
        Case(source: "layer conv 3 3 + 1", message: "unexpected '+' after the statement", line: 1, column: 16, width: 1,
             hint: "put one statement per line, or separate statements with ';'"),
        // Commands and options
        Case(source: "fitt cnn on data.train", message: "unknown command 'fitt'", line: 1, column: 1, width: 4, hint: "did you mean 'fit'?"),
        Case(source: "conw 32 3x3 relu", message: "unknown layer kind 'conw'", line: 1, column: 1, width: 4, hint: "did you mean 'conv'?"),
        Case(source: "x = 1\nsumary cnn", message: "unknown command 'sumary'", line: 2, column: 1, width: 6, hint: "did you mean 'summary'?"),
        Case(source: "compile cnn optimiser adam", message: "unknown option 'optimiser' for compile", line: 1, column: 13, width: 9,
             hint: "did you mean 'optimizer'?"),
        Case(source: "show x grid 5x5 labls", message: "unknown option 'labls' for show", line: 1, column: 17, width: 5,
             hint: "did you mean 'labels'?"),
        Case(source: "fit cnn on data.train epochs", message: "missing value after 'epochs'", line: 1, column: 23, width: 6,
             hint: "write e.g. 'epochs 5'"),
        Case(source: "compile cnn optimizer adam loss mse lr\n", message: "missing value after 'lr'", line: 1, column: 37, width: 2,
             hint: "write e.g. 'lr 0.001'"),
        Case(source: "show data.train grid 5x5 labels labels", message: "option 'labels' is given twice", line: 1, column: 33, width: 6,
             hint: "keep one 'labels'"),
        Case(source: "summary cnn extra", message: "too many arguments for summary", line: 1, column: 13, width: 5, hint: "usage: summary MODEL"),
        Case(source: "show x y", message: "too many arguments for show", line: 1, column: 8, width: 1,
             hint: "usage: show IMAGES [grid ROWSxCOLUMNS] [labels]"),
        Case(source: "predict cnn", message: "predict needs 2 arguments", line: 1, column: 1, width: 7,
             hint: "usage: predict MODEL INPUTS [to \"FILE\"]"),
        // Per-output values: each output once, each with its value.
        Case(source: "compile two loss digit mse, digit mae", message: "output 'digit' is given twice in loss", line: 1, column: 29,
             width: 5, hint: "give each output once"),
        Case(source: "compile two loss digit mse, odd", message: "missing the loss of output 'odd'", line: 1, column: 29, width: 3,
             hint: "each output's name is followed by its value: …, odd VALUE"),
        Case(source: "x = fit", message: "fit needs an argument", line: 1, column: 5, width: 3,
             hint: "usage: fit MODEL on DATA epochs N [batch_size N] [validate DATA | validation_split F] [verbose 0|1|2] [patience N] [checkpoint \"FILE\"] [targets OUTPUT LABELS, …]"),
        Case(source: "print a,", message: "expected a value after ','", line: 1, column: 8, width: 1, hint: "usage: print VALUE[, VALUE ...]"),
        // Assignments
        Case(source: "fit = 3", message: "'fit' is a keyword and cannot be a variable name", line: 1, column: 1, width: 3,
             hint: "choose another name, such as 'fit_1'"),
        Case(source: "x =", message: "expected a value after '='", line: 1, column: 3, width: 1, hint: "write: x = VALUE"),
        Case(source: "3 = x", message: "only a name can be assigned to", line: 1, column: 3, width: 1, hint: "write: name = value"),
        Case(source: "x = 5 y", message: "unexpected 'y' after the statement", line: 1, column: 7, width: 1,
             hint: "put one statement per line, or separate statements with ';'"),
        // Strings and characters
        Case(source: "save cnn weights \"w.npz", message: "unterminated string", line: 1, column: 18, width: 6,
             hint: "end the string with \" on the same line"),
        Case(source: "x = \"a\\qb\"", message: "unknown escape '\\q' in string", line: 1, column: 7, width: 2,
             hint: "known escapes are \\n \\t \\r \\0 \\\\ \\\" \\'"),
        Case(source: "x = 1 ; y = 2 $", message: "unexpected character '$'", line: 1, column: 15, width: 1,
             hint: "remove it: cnnb is written with letters, digits, quotes and ( ) [ ] { } , ; . = + - * / % #"),
        Case(source: "k = 3×3", message: "unexpected character '×'", line: 1, column: 6, width: 1, hint: "sizes are written with the letter x: 3x3"),
        Case(source: "x = “hi”", message: "unexpected character '“'", line: 1, column: 5, width: 1, hint: "use straight quotes: \"text\"", count: 2),
        Case(source: "fit cnn epochs: 5", message: "unexpected character ':'", line: 1, column: 15, width: 1,
             hint: "ranges are written 0..<25, and options without ':' (stride 2)"),
        // Expressions
        Case(source: "x = data[0..]", message: "'..' is not an operator", line: 1, column: 11, width: 2,
             hint: "write '..<' for a range without its end (0..<25) or '...' for one with it (0...24)"),
        Case(source: "x = 0...", message: "expected a bound after '...'", line: 1, column: 6, width: 3, hint: "write a range as 0..<25"),
        Case(source: "x = " + String(repeating: "(", count: 40) + "1" + String(repeating: ")", count: 40),
             message: "expression nested too deeply", line: 1, column: 37, width: 1, hint: ParserErrorTests.depthHint),
        Case(source: "x = " + String(repeating: "1+", count: 100) + "1",
             message: "expression nested too deeply", line: 1, column: 131, width: 1, hint: ParserErrorTests.depthHint),
        Case(source: "k = [1, 2", message: "unclosed '['", line: 1, column: 5, width: 1, hint: "add ']' to close the list"),
        Case(source: "x = (1 + 2\ny = 3", message: "unclosed '('", line: 1, column: 5, width: 1, hint: "add ')' to close the parenthesis"),
        Case(source: "x = [1, 2 3]", message: "expected ',' or ']' in the list, found number 3", line: 1, column: 11, width: 1,
             hint: "separate the elements with ',' and close with ']'"),
        Case(source: "x = data.", message: "expected a name after '.'", line: 1, column: 9, width: 1, hint: "write e.g. data.train"),
        Case(source: "x = 1 +", message: "expected a value after '+'", line: 1, column: 7, width: 1,
             hint: "an operator needs a value on each side, as in data / 255"),
        Case(source: "x = -", message: "expected a value after '-'", line: 1, column: 5, width: 1,
             hint: "write the value to negate right after '-', as in -1"),
        Case(source: "x = a[]", message: "expected an index inside '[ ]'", line: 1, column: 6, width: 1, hint: "write e.g. x[0] or x[0..<25]"),
        Case(source: "x = ()", message: "expected a value inside '( )'", line: 1, column: 5, width: 1, hint: "write a value between them, as in (n)"),
        Case(source: ", a", message: "expected a value, found ','", line: 1, column: 1, width: 1,
             hint: "a value is a number, a size (3x3), a string, a name, a list [1, 2] or an expression in ( )"),
    ]

    func testMalformedStatementsGiveExactDiagnostics() {
        XCTAssertGreaterThanOrEqual(Self.cases.count, 30)
        for item in Self.cases {
            let (_, diagnostics) = Parser.parseStatements(item.source)
            check(item, diagnostics)
        }
    }

    private func check(_ item: Case, _ diagnostics: [Diagnostic], file: String = "<input>",
                       sourceFile: StaticString = #filePath, sourceLine: UInt = #line) {
        let context = String(reflecting: item.source)
        XCTAssertEqual(diagnostics.count, item.count, "\(context): \(diagnostics.map(\.description))")
        guard let diagnostic = diagnostics.first else { return XCTFail("\(context): no diagnostic") }
        XCTAssertEqual(diagnostic.severity, .error, context)
        XCTAssertEqual(diagnostic.message, item.message, context)
        XCTAssertEqual(diagnostic.span.line, item.line, context)
        XCTAssertEqual(diagnostic.span.column, item.column, context)
        XCTAssertEqual(diagnostic.hint, item.hint, context)
        XCTAssertEqual(diagnostic.description, "\(file):\(item.line):\(item.column): error: \(item.message)", context)

        // Rendered: header, the source line, carets under the culprit, the hint.
        let lines = diagnostic.rendered(source: item.source).components(separatedBy: "\n")
        let sourceLines = item.source.components(separatedBy: "\n")
        guard lines.count >= 4 else { return XCTFail("\(context): rendered too short: \(lines)") }
        XCTAssertEqual(lines[0], diagnostic.description, context)
        XCTAssertEqual(lines[1], sourceLines[item.line - 1], context)
        let indent = sourceLines[item.line - 1].prefix(item.column - 1).map { $0 == "\t" ? "\t" : " " }.joined()
        XCTAssertEqual(lines[2], indent + "^" + String(repeating: "~", count: item.width - 1), context)
        XCTAssertEqual(lines[3], "hint: " + item.hint, context)
    }

    func testRepeatedOptionNotesWhereItWasFirstGiven() {
        let source = "show data.train grid 5x5 labels labels"
        let (_, diagnostics) = Parser.parseStatements(source)
        XCTAssertEqual(diagnostics.first?.notes, [Diagnostic.Note("first given here",
                                                                  span: SourceSpan(file: "<input>", line: 1, column: 26, offset: 25, length: 6))])
        XCTAssertEqual(diagnostics.first?.rendered(source: source).components(separatedBy: "\n").last,
                       "<input>:1:26: note: first given here")
    }

    func testListErrorNotesWhereTheBracketOpened() {
        let (_, diagnostics) = Parser.parseStatements("x = [1, 2 3]")
        XCTAssertEqual(diagnostics.first?.notes.first?.message, "'[' opened here")
        XCTAssertEqual(diagnostics.first?.notes.first?.span?.column, 5)
    }

    // MARK: - Notebooks

    func testNotebookErrorsCarryFileLinesAcrossCells() {
        let source = "%% md\n# Title\n\n%%\nx = 1\n\n%%\nmodel m {\n  conv 32 3x\n}\n%% mdd\ntext\n%% md extra\n"
        let (notebook, diagnostics) = parseNotebook(source: source, fileName: "lesson.cnnb")
        XCTAssertEqual(diagnostics.map(\.description), [
            "lesson.cnnb:9:11: error: incomplete size '3x': a number must follow the last 'x'",
            "lesson.cnnb:11:4: error: unknown cell kind 'mdd'",
            "lesson.cnnb:13:7: error: unexpected text after the cell marker",
        ])
        XCTAssertEqual(diagnostics.map(\.hint), [
            "a size is numbers joined by 'x', such as 32x32x3 or 3x3; one number stands for every axis",
            "did you mean '%% md'?",
            "a marker is '%%' or '%% md' on a line of its own; comments start with '#'",
        ])
        let rendered = renderDiagnostics(diagnostics, source: source).components(separatedBy: "\n")
        XCTAssertEqual(Array(rendered[0...3]), [
            "lesson.cnnb:9:11: error: incomplete size '3x': a number must follow the last 'x'",
            "  conv 32 3x",
            "          ^~",
            "hint: a size is numbers joined by 'x', such as 32x32x3 or 3x3; one number stands for every axis",
        ])
        XCTAssertEqual(Array(rendered[4...6]), ["lesson.cnnb:11:4: error: unknown cell kind 'mdd'", "%% mdd", "   ^~~"])
        // The cells around the errors are intact.
        XCTAssertEqual(notebook.cells.map(\.kind), [.markdown, .code, .code, .code, .markdown])
        XCTAssertEqual(notebook.cells[1].statements.map(\.treeDescription), ["(= x 1)"])
    }

    // MARK: - Recovery

    func testIndependentMistakesAreAllReportedAndGoodStatementsKept() {
        let source = "x = 1\nfitt cnn\ny = 2\nmodel m {\n  conw 3 3\n  dense 10\n  flaten\n}\nz = (1 +\n"
        let (statements, diagnostics) = Parser.parseStatements(source)
        XCTAssertEqual(diagnostics.map(\.description), [
            "<input>:2:1: error: unknown command 'fitt'",
            "<input>:5:3: error: unknown layer kind 'conw'",
            "<input>:9:8: error: expected a value after '+'",
        ])
        // `flaten` alone is a name item (a layer defined earlier may be named); the interpreter
        // reports it when it is not defined.
        XCTAssertEqual(statements.map(\.treeDescription), ["(= x 1)", "(= y 2)", "(model m (layer dense 10) flaten)"])
    }

    /// A lexical error is the cause; the parser's complaints about the same statement are not
    /// reported on top of it.
    /// Long chains nest the tree as deeply as parentheses do; a tree 100,000 levels deep used to
    /// overflow the stack when it was freed.
    func testLongChainsAreRejectedBeforeTheTreeGetsTooDeep() {
        for source in ["x = " + String(repeating: "1+", count: 100_000) + "1",
                       "x = a" + String(repeating: ".b", count: 100_000),
                       "x = a" + String(repeating: "[0]", count: 100_000),
                       "x = " + String(repeating: "2*", count: 100_000) + "2",
                       "x = " + String(repeating: "-", count: 100_000) + "1",
                       "x = " + String(repeating: "[", count: 100_000)] {
            let (statements, diagnostics) = Parser.parseStatements(source)
            XCTAssertEqual(statements.count, 0)
            XCTAssertEqual(diagnostics.map(\.message), ["expression nested too deeply"], String(source.prefix(12)))
        }
        // Ordinary lengths pass: 40 terms, a 20-step member chain inside parentheses.
        XCTAssertEqual(trees("x = " + String(repeating: "1 + ", count: 39) + "1").count, 1)
        XCTAssertEqual(trees("x = ((((a" + String(repeating: ".b", count: 20) + "))))").count, 1)
    }

    /// Thousands of errors: each line reports its own, once (the merge of lexical and parser
    /// errors searches, so this stays linear).
    func testEveryLineOfAManyErrorInputIsReported() {
        let (statements, diagnostics) = Parser.parseStatements(String(repeating: "a @ b\nfitt x\n", count: 10_000))
        XCTAssertEqual(statements.count, 0)
        XCTAssertEqual(diagnostics.count, 20_000)
        XCTAssertEqual(diagnostics[0].description, "<input>:1:3: error: unexpected character '@'")
        XCTAssertEqual(diagnostics[19_999].description, "<input>:20000:1: error: unknown command 'fitt'")
    }

    func testParserErrorsBeforeALexicalOneAreKept() {
        let (_, diagnostics) = Parser.parseStatements("model fit { conv 3 3x }\nfitt x 3×3")
        XCTAssertEqual(diagnostics.map(\.description), [
            "<input>:1:7: error: 'fit' is a keyword and cannot name a model",
            "<input>:1:20: error: incomplete size '3x': a number must follow the last 'x'",
            "<input>:2:1: error: unknown command 'fitt'",
            "<input>:2:9: error: unexpected character '×'",
        ])
    }

    func testLexicalErrorsAreNotFollowedByConsequences() {
        for source in ["conv 32 3x", "x = 3px", "a @ b", "x = 3×3", "fit cnn on data.train epochs @", "model m { conv 3 3x; dense 2 }"] {
            let (_, diagnostics) = Parser.parseStatements(source)
            XCTAssertEqual(diagnostics.count, 1, "\(source): \(diagnostics.map(\.description))")
        }
    }
}
