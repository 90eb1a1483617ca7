import Render
import REPL
import XCTest

final class FigurePreviewTests: XCTestCase {
    private let red = Colour(red: 255, green: 0, blue: 0)
    private let green = Colour(red: 0, green: 255, blue: 0)
    private let blue = Colour(red: 0, green: 0, blue: 255)
    private let white = Colour(red: 255, green: 255, blue: 255)

    private func cell(_ top: String, _ bottom: String) -> String {
        "\u{1B}[38;2;\(top)m\u{1B}[48;2;\(bottom)m▀"
    }

    func testEachCellShowsTwoRowsOfPixels() {
        var image = RasterImage(width: 3, height: 4, fill: white)
        for x in 0..<3 {
            image.setPixel(x: x, y: 0, red)
            image.setPixel(x: x, y: 1, green)
            image.setPixel(x: x, y: 2, blue)
        }
        let text = FigurePreview.render(image, columns: 3, colours: .trueColour)
        let line1 = String(repeating: cell("255;0;0", "0;255;0"), count: 3) + "\u{1B}[0m\n"
        let line2 = String(repeating: cell("0;0;255", "255;255;255"), count: 3) + "\u{1B}[0m\n"
        XCTAssertEqual(text, line1 + line2)
    }

    func testShrinkingAveragesBlocks() throws {
        // 4x4: the left half a black-and-white checkerboard, the right half blue.
        var image = RasterImage(width: 4, height: 4, fill: blue)
        for y in 0..<4 {
            for x in 0..<2 where (x + y) % 2 == 0 { image.setPixel(x: x, y: y, white) }
            for x in 0..<2 where (x + y) % 2 == 1 { image.setPixel(x: x, y: y, Colour(red: 0, green: 0, blue: 0)) }
        }
        let text = FigurePreview.render(image, columns: 2, colours: .trueColour)
        XCTAssertEqual(text, cell("128;128;128", "128;128;128") + cell("0;0;255", "0;0;255") + "\u{1B}[0m\n")
    }

    func testPaletteColoursAreTheNearestOfTheCube() {
        let image = RasterImage(width: 1, height: 2, fill: red)
        XCTAssertEqual(FigurePreview.render(image, columns: 1, colours: .palette256),
                       "\u{1B}[38;5;196m\u{1B}[48;5;196m▀\u{1B}[0m\n")
        let grey = RasterImage(width: 1, height: 1, fill: Colour(red: 135, green: 95, blue: 20))
        XCTAssertEqual(FigurePreview.render(grey, columns: 1, colours: .palette256),
                       "\u{1B}[38;5;\(16 + 36 * 2 + 6 * 1)m\u{1B}[48;5;\(16 + 36 * 2 + 6 * 1)m▀\u{1B}[0m\n")
    }

    func testSizeFollowsTheTerminalAndTheShape() {
        let wide = RasterImage(width: 640, height: 480, fill: white)
        XCTAssertEqual(FigurePreview.columns(for: wide, terminalColumns: 200), 64)
        XCTAssertEqual(FigurePreview.columns(for: wide, terminalColumns: 40), 39)
        let tall = RasterImage(width: 258, height: 444, fill: white)
        XCTAssertEqual(FigurePreview.columns(for: tall, terminalColumns: 200), 27, "24 lines of two pixels")
        let lines = FigurePreview.render(wide, columns: 64, colours: .trueColour).split(separator: "\n")
        XCTAssertEqual(lines.count, 24)
        XCTAssertTrue(lines.allSatisfy { $0.filter { $0 == "▀" }.count == 64 })
    }

    func testColoursFromTheEnvironment() {
        XCTAssertEqual(TerminalColours.detect(["TERM": "xterm-256color", "COLORTERM": "truecolor"]), .trueColour)
        XCTAssertEqual(TerminalColours.detect(["TERM": "xterm-256color"]), .palette256)
        XCTAssertNil(TerminalColours.detect(["TERM": "xterm"]))
        XCTAssertNil(TerminalColours.detect(["TERM": "dumb", "COLORTERM": "truecolor"]))
        XCTAssertNil(TerminalColours.detect(["TERM": "xterm-256color", "COLORTERM": "truecolor", "NO_COLOR": "1"]))
    }
}
