import REPL
import XCTest

final class ContinuationTests: XCTestCase {
    func testOpenBlocksContinue() {
        XCTAssertTrue(needsMoreInput("model cnn { input 32x32x3"))
        XCTAssertTrue(needsMoreInput("k = [[1, 0, -1],"))
        XCTAssertFalse(needsMoreInput("model cnn { input 32x32x3\n conv 32 3x3 relu }"))
        XCTAssertFalse(needsMoreInput("shape data.train"))
    }

    func testTrailingOperatorContinues() {
        XCTAssertTrue(needsMoreInput("data = data /"))
        XCTAssertTrue(needsMoreInput("x = "))
        XCTAssertFalse(needsMoreInput("data = data / 255"))
    }

    func testBracesInStringsAndCommentsDoNotCount() {
        XCTAssertFalse(needsMoreInput(#"data = load cifar10 from "a{b""#))
        XCTAssertFalse(needsMoreInput("summary cnn   # the { of a comment"))
        XCTAssertFalse(needsMoreInput(#"print "unclosed"#), "an unclosed string is the parser's error, not a continuation")
    }
}
