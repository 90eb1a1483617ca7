import Language
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

final class ClosingBlocksTests: XCTestCase {
    func testEmptyLineClosesOpenBraces() {
        XCTAssertEqual(closingOpenBlocks("model m {\n  input 4x4x1\n  flatten\n"), "model m {\n  input 4x4x1\n  flatten\n}")
        XCTAssertEqual(closingOpenBlocks("model a { input 4x4x1; model b {"), "model a { input 4x4x1; model b {\n}\n}")
        XCTAssertFalse(needsMoreInput(closingOpenBlocks("model m {\n input 4x4x1 # the { in a comment\n")))
    }

    func testOtherBracketsAndClosedTextAreLeftAlone() {
        XCTAssertEqual(closingOpenBlocks("k = [[1, 0,\n"), "k = [[1, 0,")
        XCTAssertEqual(closingOpenBlocks("x = 1"), "x = 1")
        XCTAssertEqual(closingOpenBlocks(#"print "{"#), #"print "{"#)
    }
}
