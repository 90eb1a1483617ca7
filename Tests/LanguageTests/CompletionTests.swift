import Language
import XCTest

final class CompletionTests: XCTestCase {
    private func complete(_ line: String, in session: Session = Session(outputDirectory: NSTemporaryDirectory())) -> [String]? {
        let word = String(line.split(whereSeparator: { " \t;{}[](),=+-*/".contains($0) }).last ?? "")
        let current = " \t;{}[](),=+-*/".contains(line.last ?? " ") ? "" : word
        return Completion.candidates(line: line, word: current, session: session)?.filter { $0.hasPrefix(current) }
    }

    func testStatementStartOffersKeywordsLayersAndVariables() throws {
        XCTAssertEqual(complete("con"), ["concat", "conv", "conv1d", "conv2d", "conv3d", "convtranspose", "convtranspose1d", "convtranspose2d", "convtranspose3d"])
        XCTAssertEqual(complete("conv1"), ["conv1d"])
        XCTAssertEqual(complete("batchn"), ["batchnorm"])
        XCTAssertEqual(complete("x = 1; sum"), ["summary"])
        XCTAssertEqual(complete("h = evalu"), ["evaluate"])
        let session = Session(outputDirectory: NSTemporaryDirectory())
        XCTAssertNil(session.run("model tiny { input 4x4x1; flatten; dense 2 softmax }").error)
        XCTAssertEqual(complete("summary ti", in: session), ["tiny"])
        XCTAssertEqual(complete("tiny.l", in: session), ["tiny.layers"])
    }

    func testOptionsAndValuesAfterAKeyword() {
        XCTAssertEqual(complete("h = fit m ep"), ["epochs"])
        XCTAssertEqual(complete("data = load sh"), ["shapes"])
        XCTAssertEqual(complete("layer conv 8 3x3 pad"), ["padding"])
        XCTAssertEqual(complete("compile m optimizer ad"), ["adam"])
    }

    func testCommandsAndFileNames() {
        XCTAssertEqual(complete(":l"), [":load"])
        XCTAssertEqual(complete(":help fi"), ["filters", "fit"])
        XCTAssertNil(complete(":load Note"), "file names are readline's")
        XCTAssertNil(complete(":save out/s"))
    }

    /// The kernel's form: a whole cell and a cursor in Unicode scalars, the replaced range back.
    func testCompletionAtACursorInACell() {
        let session = Session(outputDirectory: NSTemporaryDirectory())
        XCTAssertNil(session.run("model tiny { input 4x4x1; flatten; dense 2 softmax }").error)
        func complete(_ code: String, _ cursor: Int) -> ([String], Int, Int) {
            let result = Completion.complete(code, cursor: cursor, session: session)
            return (result.matches, result.start, result.end)
        }
        let cell = "x = 1\nsummary ti\nfit tiny ep"
        XCTAssertEqual(complete(cell, 16).0, ["tiny"])
        XCTAssertEqual(complete(cell, 16).1, 14)
        XCTAssertEqual(complete(cell, 16).2, 16)
        // In the middle of a word: the rest of the word is replaced too.
        XCTAssertEqual(complete(cell, 15).0, ["tanh", "tiny"])
        XCTAssertEqual(complete(cell, 15).2, 16)
        XCTAssertEqual(complete(cell, cell.unicodeScalars.count).0, ["epochs"])
        XCTAssertEqual(complete("tiny.l", 6).0, ["tiny.layers"])
        XCTAssertEqual(complete("tiny.l", 6).1, 0)
        // Positions count Unicode scalars: the é before the word is one.
        XCTAssertEqual(complete("# é\nfit tiny ep", 15).0, ["epochs"])
        XCTAssertEqual(complete("# é\nfit tiny ep", 15).1, 13)
        // Out-of-range cursors are clamped; a file name inside quotes is not completed.
        XCTAssertEqual(complete("fit", 99).0, ["fit"])
        XCTAssertEqual(complete("fit", -3).1, 0)
        XCTAssertEqual(complete("fit", -3).2, 3)
        XCTAssertEqual(complete("save tiny weights \"ti", 21).0, [])
        XCTAssertEqual(complete(":", 1).0, [":help", ":vars"])
    }
}
