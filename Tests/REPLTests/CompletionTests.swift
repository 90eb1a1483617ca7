import Language
@testable import REPL
import XCTest

final class CompletionTests: XCTestCase {
    private func complete(_ line: String, in session: Session = Session(outputDirectory: NSTemporaryDirectory())) -> [String]? {
        let word = String(line.split(whereSeparator: { " \t;{}[](),=+-*/".contains($0) }).last ?? "")
        let current = " \t;{}[](),=+-*/".contains(line.last ?? " ") ? "" : word
        return Completion.candidates(line: line, word: current, session: session)?.filter { $0.hasPrefix(current) }
    }

    func testStatementStartOffersKeywordsLayersAndVariables() throws {
        XCTAssertEqual(complete("con"), ["concat", "conv", "conv1d", "conv2d", "conv3d"])
        XCTAssertEqual(complete("conv"), ["conv", "conv1d", "conv2d", "conv3d"])
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
}
