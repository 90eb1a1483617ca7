import Datasets
import Engine
import Foundation
@testable import Language
import XCTest

/// Numbers for 1D and tabular lessons: `load csv`/`load tsv` (the UCR archive's files),
/// `reshape`, and a written list as a 1D signal for `apply`.
final class NumericDataTests: XCTestCase {
    override func tearDown() {
        SessionHarness.removeFolders()
        super.tearDown()
    }

    /// A session whose working files are in its output folder, with a UCR-like pair of files:
    /// 4 training and 2 test rows of 6 values, labels 1 and 2.
    func makeSession() throws -> (Session, String) {
        let session = try SessionHarness.makeSession("numbers")
        let folder = session.outputDirectory
        try "1\t0\t1\t2\t3\t4\t5\n2\t5\t4\t3\t2\t1\t0\n1\t1\t1\t1\t1\t1\t1\n2\t-1\t-2\t-3\t-4\t-5\t-6\n"
            .write(toFile: folder + "/Toy_TRAIN.tsv", atomically: true, encoding: .utf8)
        try "2\t0.5\t0.25\t0\t0\t0\t0\n1\t9\t8\t7\t6\t5\t4\n".write(toFile: folder + "/Toy_TEST.tsv", atomically: true, encoding: .utf8)
        try "a,b,kind\n1.5,2,cat\n3,4.25,dog\n,1,cat\n".write(toFile: folder + "/pets.csv", atomically: true, encoding: .utf8)
        try "1,2,3\n4,5\n".write(toFile: folder + "/ragged.csv", atomically: true, encoding: .utf8)
        return (session, folder)
    }

    func testUCRFilesLoadAsADatasetWithTheBuiltInMembers() throws {
        let (session, folder) = try makeSession()
        let loaded = session.succeed("ecg = load tsv \"\(folder)/Toy_TRAIN.tsv\" test \"\(folder)/Toy_TEST.tsv\"")
        XCTAssertEqual(loaded.text, "Toy_TRAIN.tsv: 4 rows of 6 values, Toy_TEST.tsv: 2 rows, 2 classes (labels 1 as 0, 2 as 1; .classes keeps them)")
        XCTAssertEqual(session.succeed("shape ecg").text, "train ((4, 6), (4,)), test ((2, 6), (2,))")
        XCTAssertEqual(session.succeed("ecg.classes").text, "['1', '2']")
        XCTAssertEqual(session.succeed("ecg.train.labels").text, "array([0, 1, 0, 1], dtype=uint8)")
        XCTAssertEqual(session.succeed("ecg.test.labels").text, "array([1, 0], dtype=uint8)")
        XCTAssertEqual(session.succeed("ecg.test").text,
                       "array([[0.5 , 0.25, 0.  , 0.  , 0.  , 0.  ],\n       [9.  , 8.  , 7.  , 6.  , 5.  , 4.  ]], dtype=float32)")
        XCTAssertEqual(session.succeed("ecg.train[3] / 2").text, "array([-0.5, -1. , -1.5, -2. , -2.5, -3. ], dtype=float32)")
        XCTAssertEqual(session.succeed("ecg.train[ecg.train.labels == 1].count").text, "2")
        // Labels computed from labels stay with the same rows of numbers.
        XCTAssertEqual(session.succeed("ecg.train.labels + 1").text, "array([1, 2, 1, 2], dtype=uint8)")
        // A .tsv file is read with tabs by load csv too.
        XCTAssertEqual(session.succeed("again = load csv \"\(folder)/Toy_TEST.tsv\"\nshape again").text,
                       "Toy_TEST.tsv: 2 rows of 6 values, 2 classes (labels 1 as 0, 2 as 1; .classes keeps them)\ntrain ((2, 6), (2,)), test ((0, 6), (0,))")

        // Rows become signals of one channel, and a Conv1D network trains on them.
        session.succeed("""
            signals = ecg.reshape 6x1
            model net { input 6x1; conv1d 2 3 relu; globalavgpool1d; dense 2 softmax }
            compile net optimizer adam loss sparse_categorical_crossentropy metrics accuracy
            """)
        XCTAssertEqual(session.succeed("shape signals.train, signals.test[0]").text, "((4, 6, 1), (4,))\n(6, 1)")
        let fit = session.succeed("h = fit net on signals.train epochs 2 validate signals.test verbose 0")
        XCTAssertNil(fit.error)
        guard case .history(let history)? = session["h"] else { return XCTFail("no history") }
        XCTAssertEqual(history.epochs, 2)
        XCTAssertEqual(history["val_loss"]?.count, 2)
        // Without the channel axis the model says how to add it.
        let mismatch = try XCTUnwrap(session.run("fit net on ecg.train epochs 1", file: "lesson.cnnb").error)
        XCTAssertEqual(mismatch.message, "the model takes inputs of (None, 6, 1) but these images are (None, 6)")
        XCTAssertEqual(mismatch.span.column, 12)
        XCTAssertEqual(mismatch.hint, "reshape them to the model's input: ecg.train.reshape 6x1, or change the model's input to input 6")
    }

    func testCSVWithAHeaderAndNamedLabels() throws {
        let (session, folder) = try makeSession()
        try "a,b,kind\n1.5,2,cat\n3,4.25,dog\n0,1,cat\n".write(toFile: folder + "/pets.csv", atomically: true, encoding: .utf8)
        let loaded = session.succeed("pets = load csv \"\(folder)/pets.csv\" header label \"kind\"")
        XCTAssertEqual(loaded.text, "pets.csv: 3 rows of 2 values, 2 classes (labels cat as 0, dog as 1; .classes keeps them)")
        XCTAssertEqual(session.succeed("pets.train").text, "array([[1.5 , 2.  ],\n       [3.  , 4.25],\n       [0.  , 1.  ]], dtype=float32)")
        XCTAssertEqual(session.succeed("pets.train.labels").text, "array([0, 1, 0], dtype=uint8)")
        XCTAssertEqual(session.succeed("last = load csv \"\(folder)/pets.csv\" header label -1\nlast.classes").text,
                       "pets.csv: 3 rows of 2 values, 2 classes (labels cat as 0, dog as 1; .classes keeps them)\n['cat', 'dog']")
    }

    /// Problems in the files point at the file's name in the statement and say where in the
    /// file they are; problems with the label column point at the column.
    func testFileProblemsArePositioned() throws {
        let (session, folder) = try makeSession()
        struct Case { var source: String; var message: String; var column: Int; var hint: String? }
        let cases = [
            Case(source: "d = load csv \"\(folder)/ragged.csv\"", message: "line 2 of ragged.csv has 2 values, the lines before it 3",
                 column: 14, hint: "every line needs the same number of values, separated by commas"),
            Case(source: "d = load csv \"\(folder)/pets.csv\"", message: "line 1, column 2 of pets.csv is 'b', not a number",
                 column: 14, hint: "if the first line names the columns, add header: load csv \"pets.csv\" header"),
            Case(source: "d = load csv \"\(folder)/pets.csv\" header label 2", message: "line 4, column 1 of pets.csv is empty",
                 column: 14, hint: "every value but the label must be a number; a missing value cannot be read"),
            Case(source: "d = load csv \"\(folder)/pets.csv\" header label kinds", message: "pets.csv has no column 'kinds'",
                 column: 14 + folder.count + 25, hint: "its columns: a, b, kind"),
            Case(source: "d = load csv \"\(folder)/Toy_TRAIN.tsv\" label 7", message: "Toy_TRAIN.tsv has 7 columns, so there is no column 7",
                 column: 14 + folder.count + 23, hint: "columns count from 0 (the first) to 6; -1 is the last"),
            Case(source: "d = load csv \"\(folder)/Toy_TRAIN.tsv\" test \"\(folder)/ragged.csv\"",
                 message: "line 1 of ragged.csv has 1 value; a row needs a label and at least one value",
                 column: 14 + folder.count + 22, hint: "separate the values with tabs"),
            Case(source: "d = load csv \"nowhere.csv\"", message: "there is no file nowhere.csv", column: 14,
                 hint: "a relative path is read from the folder cnnb runs in (\(FileManager.default.currentDirectoryPath))"),
            Case(source: "d = load csv \"\(folder)/pets.csv\" header grayscale", message: "load csv takes label, header and test, not grayscale",
                 column: 14 + folder.count + 19, hint: "write data = load csv \"data.csv\" [label COLUMN] [header] [test \"test.csv\"]"),
            Case(source: "d = load csv", message: "load csv needs the file, as a quoted path", column: 5,
                 hint: "write data = load csv \"data.csv\" [label COLUMN] [header] [test \"test.csv\"]"),
            Case(source: "d = load csv \"\(folder)/pets.csv\" header label 1.5",
                 message: "the label column is a position (0 is the first, -1 the last) or a name from the header, got 1.5",
                 column: 14 + folder.count + 25, hint: "for example label 0, label -1 or label \"species\""),
        ]
        for c in cases {
            let error = try XCTUnwrap(session.run(c.source, file: "lesson.cnnb").error, c.source)
            XCTAssertEqual(error.message, c.message, c.source)
            XCTAssertEqual(error.span.file, "lesson.cnnb")
            XCTAssertEqual(error.span.line, 1)
            XCTAssertEqual(error.span.column, c.column, c.source)
            XCTAssertEqual(error.hint, c.hint, c.source)
            XCTAssertNil(session["d"])
        }
    }

    /// `x.reshape SHAPE` is a member with a value after a blank, on the same line; anything
    /// else after `.reshape` is what it was before.
    func testReshapeParsesAsAMemberWithAValue() {
        XCTAssertEqual(trees("s = ecg.train.reshape 140x1"), ["(= s (. (. ecg train) reshape 140x1))"])
        XCTAssertEqual(trees("fit m on x.reshape [-1, 1] epochs 2"), ["(fit m (on (. x reshape [(neg 1) 1])) (epochs 2))"])
        XCTAssertEqual(trees("y = (x.reshape 6).labels"), ["(= y (. (. x reshape 6) labels))"])
        XCTAssertEqual(trees("y = x.reshape\n2"), ["(= y (. x reshape))", "2"])
        XCTAssertEqual(trees("show x.reshape 2x3 grid 2"), ["(show (. x reshape 2x3) (grid 2))"])
    }

    func testCompletionOffersReshapeAndTheFileKinds() throws {
        let (session, folder) = try makeSession()
        session.succeed("ecg = load tsv \"\(folder)/Toy_TRAIN.tsv\"")
        XCTAssertEqual(Completion.candidates(line: "s = ecg.re", word: "ecg.re", session: session), ["ecg.classes", "ecg.reshape", "ecg.test", "ecg.train"])
        XCTAssertTrue(Completion.candidates(line: "d = load ", word: "", session: session)?.contains("csv") == true)
        XCTAssertTrue(Help.text(topic: "csv").contains("labels 0…k-1 are kept; other whole numbers (UCR's -1/1 or 1…k) are numbered 0…k-1"))
        XCTAssertTrue(Help.text(topic: "reshape").hasPrefix("X.reshape SHAPE"))
        XCTAssertTrue(Help.text().contains("load csv \"FILE\" [label COLUMN] [header] [test \"FILE\"]"))
    }

    /// `reshape` follows Keras's `Reshape` on items (the count stays) and NumPy's on tensors,
    /// with -1 for one axis; a shape of another size is an error naming both.
    func testReshape() throws {
        let (session, folder) = try makeSession()
        session.succeed("ecg = load tsv \"\(folder)/Toy_TRAIN.tsv\"\nshapes = load shapes")
        XCTAssertEqual(session.succeed("shape ecg.train.reshape 3x2").text, "((4, 3, 2), (4,))")
        XCTAssertEqual(session.succeed("shape ecg.train.reshape [-1, 1]").text, "((4, 6, 1), (4,))")
        XCTAssertEqual(session.succeed("ecg.train[1].reshape 2x3").text, "array([[5., 4., 3.],\n       [2., 1., 0.]], dtype=float32)")
        XCTAssertEqual(session.succeed("shape (shapes.train.reshape 1024x3)[0..<5]").text, "((5, 1024, 3), (5,))")
        XCTAssertEqual(session.succeed("shape shapes.reshape [32, -1]").text, "train ((96, 32, 96), (96,)), test ((32, 32, 96), (32,))")
        // Pixels keep their values and order: the same bytes seen in another shape.
        session.succeed("image = shapes.train[3]\nflat = (shapes.train[3] / 255).reshape 3072")
        guard case .image(let image)? = session["image"], case .image(let flat)? = session["flat"] else { return XCTFail("no images") }
        XCTAssertEqual(flat.imageShape, [3072])
        XCTAssertEqual(flat.image(at: 0).scalars, image.image(at: 0).scalars.map { $0 / 255 })
        session.succeed("model m { input 4; dense 3 }")
        XCTAssertEqual(session.succeed("shape m.layers[1].kernel.reshape 2x6").text, "(2, 6)")
        XCTAssertEqual(session.succeed("shape m.layers[1].kernel.reshape 12").text, "(12,)")

        struct Case { var source: String; var message: String; var column: Int; var hint: String? }
        let cases = [
            Case(source: "ecg.train.reshape 500x1", message: "cannot reshape items of shape (6,) (6 values) into (500, 1) (500 values)",
                 column: 1, hint: "the new shape must hold the same 6 values, such as 6x1"),
            Case(source: "x = m.layers[1].kernel.reshape 5", message: "cannot reshape a tensor of shape (4, 3) (12 values) into (5,) (5 values)",
                 column: 5, hint: "the new shape must hold the same 12 values, such as 12x1"),
            Case(source: "ecg.reshape [-1, 4]", message: "cannot reshape items of shape (6,) (6 values) into (-1, 4): 6 is not a multiple of 4",
                 column: 1, hint: "the axes other than -1 must divide 6"),
            Case(source: "ecg.reshape [-1, -1]", message: "(-1, -1) is not a shape: axes are positive, with at most one -1",
                 column: 13, hint: "for example 6x1 or [-1, 1]"),
            Case(source: "ecg.train.reshape 99999999x99999999", message: "cannot reshape items of shape (6,) (6 values) into (99999999, 99999999) (9.9999998e+15 values)",
                 column: 1, hint: "the new shape must hold the same 6 values, such as 6x1"),
            Case(source: "ecg.train.reshape", message: "reshape needs the new shape after it", column: 11,
                 hint: "write ecg.train.reshape 500x1 (a list such as [-1, 1] lets one axis follow)"),
            Case(source: "ecg.train.labels.reshape 2x2", message: "reshape works on datasets, images and tensors, not on labels",
                 column: 1, hint: "for example data.train.reshape 140x1"),
        ]
        for c in cases {
            let error = try XCTUnwrap(session.run(c.source, file: "lesson.cnnb").error, c.source)
            XCTAssertEqual(error.message, c.message, c.source)
            XCTAssertEqual(error.span.column, c.column, c.source)
            XCTAssertEqual(error.hint, c.hint, c.source)
        }
        XCTAssertNil(session["x"])
    }

    /// `apply conv1d 1 3 to [1, 2, 3, 4, 5]`: the list is 5 steps of 1 channel; the output is
    /// the kernel slid along it (shown with the kernel Keras's initialiser drew).
    func testAWrittenListIsASignalForOneDimensionalLayers() throws {
        let session = try SessionHarness.makeSession("signal")
        let text = session.succeed("apply conv1d 1 3 to [1, 2, 3, 4, 5]").text
        let lines = text.components(separatedBy: "\n")
        XCTAssertEqual(lines.first, "Conv1D(filters=1, kernel_size=(3,), strides=(1,), padding='valid', activation='linear', use_bias=True)", text)
        XCTAssertTrue(lines.contains("input 5x1:"), text)
        XCTAssertTrue(lines.contains("array([1., 2., 3., 4., 5.])"), text)
        XCTAssertTrue(lines.contains("output 3x1:"), text)
        let kernelLine = try XCTUnwrap(lines.firstIndex(of: "kernel (3, 1, 1):"), text)
        let numbers = { (line: String) -> [Float] in
            line.split(whereSeparator: { "[](), ".contains($0) || $0.isLetter || $0 == "=" }).compactMap { Float($0) }
        }
        let kernel = numbers(lines[kernelLine + 1])
        XCTAssertEqual(kernel.count, 3)
        let outputLine = try XCTUnwrap(lines.firstIndex(of: "output 3x1:"))
        let output = numbers(lines[outputLine + 1])
        XCTAssertEqual(output.count, 3)
        for i in 0..<3 {
            let expected = (0..<3).reduce(Float(0)) { $0 + kernel[$1] * Float(i + $1 + 1) }
            XCTAssertEqual(output[i], expected, accuracy: 1e-5)
        }
        // Rows of a nested list are steps, its columns channels, as NumPy's (steps, channels).
        XCTAssertTrue(session.succeed("apply maxpool1d 2 to [[1, 8], [3, 2], [5, 6], [0, 9]]").text
            .contains("output 2x2:\narray([[3., 8.],\n       [5., 9.]])"))
        // A signal too short for the window says so, without sending the user to the 2D form.
        let short = try XCTUnwrap(session.run("apply conv1d 1 3 to [1, 2]", file: "lesson.cnnb").error)
        XCTAssertEqual(short.message,
                       "Conv1D cannot take an input of shape (None, 2, 1): Conv1D: window (3,) is larger than the input (2,) with padding valid (axis 1: 3 > 2)")
        XCTAssertEqual(short.span.column, 7)
        XCTAssertFalse(short.hint?.contains("2D") ?? false, short.hint ?? "")
        // A row of numbers needs its channel axis before a 1D layer: the hint says how.
        try "1,2,3,4,5\n0,5,4,3,2\n".write(toFile: session.outputDirectory + "/rows.csv", atomically: true, encoding: .utf8)
        session.succeed("rows = load csv \"\(session.outputDirectory)/rows.csv\"")
        let flat = try XCTUnwrap(session.run("apply conv1d 1 3 to rows.train[0]").error)
        XCTAssertEqual(flat.message, "Conv1D cannot take an input of shape (None, 4): Conv1D expects inputs of rank 2 (steps, channels) but got shape (4,)")
        XCTAssertEqual(flat.hint, "a 1D layer reads steps x channels: reshape the rows first, as x.reshape 4x1")
        XCTAssertTrue(session.succeed("apply conv1d 1 3 to rows.train[0].reshape 4x1").text.contains("output 2x1:"))
        // A 2D layer still reads a flat list as one row of a picture.
        XCTAssertTrue(session.succeed("apply maxpool 1x2 to [1, 5, 2, 0]").text.contains("output 1x2x1:\narray([[5., 2.]])"))
    }
}
