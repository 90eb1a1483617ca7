@testable import Language
import XCTest

/// A `.cnnb` file's bytes become text only when they are UTF-8 without NUL; otherwise the first
/// bad byte is placed by line and column.
final class SourceTextTests: XCTestCase {
    func testTheFirstBadBytePlaced() {
        let cases: [(bytes: [UInt8], line: Int, column: Int, message: String)] = [
            (Array("%%\nx = 1\nprint ".utf8) + [0xE9, 0x74, 0xE9], 3, 7, "the text is not UTF-8: byte 0xE9 does not start a UTF-8 character here"),
            // Characters of several bytes before it count one column each.
            (Array("é€😀".utf8) + [0xFF], 1, 4, "the text is not UTF-8: byte 0xFF does not start a UTF-8 character here"),
            ([0x41, 0xC0, 0x80], 1, 2, "the text is not UTF-8: byte 0xC0 does not start a UTF-8 character here"),        // overlong NUL
            ([0x0A, 0xED, 0xA0, 0x80], 2, 1, "the text is not UTF-8: byte 0xED does not start a UTF-8 character here"),  // a surrogate
            ([0xF4, 0x90, 0x80, 0x80], 1, 1, "the text is not UTF-8: byte 0xF4 does not start a UTF-8 character here"),  // past U+10FFFF
            ([0x41, 0x42, 0xE2, 0x82], 1, 3, "the text is not UTF-8: byte 0xE2 does not start a UTF-8 character here"),  // cut short
            ([0x41, 0x80], 1, 2, "the text is not UTF-8: byte 0x80 does not start a UTF-8 character here"),
            (Array("%%\n\n  x".utf8) + [0] + Array("1".utf8), 3, 4, "a NUL byte in the text"),
        ]
        for c in cases {
            guard case .failure(let failure) = SourceText.decode(c.bytes, file: "f.cnnb") else {
                XCTFail("\(c.bytes) decoded")
                continue
            }
            XCTAssertEqual(failure.diagnostic.message, c.message, "\(c.bytes)")
            XCTAssertEqual(failure.diagnostic.span.line, c.line, "\(c.bytes)")
            XCTAssertEqual(failure.diagnostic.span.column, c.column, "\(c.bytes)")
        }
    }

    func testUTF8TextDecodesAsItIs() throws {
        let text = "%%\n# café, 卷积, 🧠\nconv 8 3x3\n"
        guard case .success(let decoded) = SourceText.decode(Array(text.utf8), file: "f.cnnb") else { return XCTFail("refused") }
        XCTAssertEqual(decoded, text)
        XCTAssertNil(SourceText.firstBadByte(Array("\u{10FFFF}\u{FEFF}".utf8)))
    }

    func testTheDiagnosticShowsTheLineWithACaret() {
        guard case .failure(let failure) = SourceText.decode(Array("a\nb\u{0}c\n".utf8), file: "f.cnnb") else { return XCTFail("decoded") }
        XCTAssertEqual(failure.rendered(), """
            f.cnnb:2:2: error: a NUL byte in the text
            b\u{2400}c
             ^
            hint: a .cnnb file is UTF-8 text; a NUL byte usually means it was saved as UTF-16 or is not text
            """)
    }
}
