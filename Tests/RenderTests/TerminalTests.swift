import Foundation
import Render
import XCTest

final class TerminalPreviewTests: XCTestCase {
    func cellCode(_ top: Colour, _ bottom: Colour) -> String {
        "\u{1B}[38;2;\(top.red);\(top.green);\(top.blue);48;2;\(bottom.red);\(bottom.green);\(bottom.blue)m▀"
    }

    func testFourByFourImageIsTwoLinesOfFourHalfBlocks() throws {
        var image = RasterImage(width: 4, height: 4, fill: .white)
        let red = Colour(red: 255, green: 0, blue: 0), blue = Colour(red: 0, green: 0, blue: 255)
        image.setPixel(x: 0, y: 0, red)
        image.setPixel(x: 3, y: 1, blue)
        image.setPixel(x: 2, y: 3, Colour(red: 1, green: 2, blue: 3))
        let lines = TerminalPreview.lines(for: image)
        XCTAssertEqual(lines.count, 2)
        XCTAssertEqual(lines[0], cellCode(red, .white) + cellCode(.white, .white) + cellCode(.white, .white) + cellCode(.white, blue) + "\u{1B}[0m")
        XCTAssertEqual(lines[1], cellCode(.white, .white) + cellCode(.white, .white) + cellCode(.white, Colour(red: 1, green: 2, blue: 3)) + cellCode(.white, .white) + "\u{1B}[0m")
        for line in lines {
            XCTAssertEqual(line.filter { $0 == "▀" }.count, 4)
            XCTAssertEqual(line.components(separatedBy: "\u{1B}[").count - 1, 5, "one colour code per cell and a reset")
        }
    }

    func testOddHeightKeepsTheTerminalBackgroundBelow() throws {
        let image = try RasterImage(width: 1, height: 3, rgb: [10, 20, 30, 40, 50, 60, 70, 80, 90])
        XCTAssertEqual(TerminalPreview.lines(for: image), [
            "\u{1B}[38;2;10;20;30;48;2;40;50;60m▀\u{1B}[0m",
            "\u{1B}[38;2;70;80;90;49m▀\u{1B}[0m",
        ])
    }

    func testWideImagesAreShrunkByAveraging() throws {
        // 128x64: left half black, right half white, except a 2x2 block of red at (64, 0).
        var image = RasterImage(width: 128, height: 64, fill: .black)
        for y in 0..<64 {
            for x in 64..<128 { image.setPixel(x: x, y: y, .white) }
        }
        for (x, y) in [(64, 0), (65, 0), (64, 1), (65, 1)] { image.setPixel(x: x, y: y, Colour(red: 255, green: 0, blue: 0)) }
        let small = TerminalPreview.fitted(image, maximumWidth: 64)
        XCTAssertEqual(small.width, 64)
        XCTAssertEqual(small.height, 32)
        XCTAssertEqual(small.pixel(x: 0, y: 0), .black)
        XCTAssertEqual(small.pixel(x: 63, y: 31), .white)
        XCTAssertEqual(small.pixel(x: 32, y: 0), Colour(red: 255, green: 0, blue: 0), "a 2x2 box averages to its one colour")
        XCTAssertEqual(TerminalPreview.lines(for: image, maximumWidth: 64).count, 16)
        XCTAssertEqual(TerminalPreview.fitted(image, maximumWidth: 200), image, "small pictures are shown pixel for pixel")
        let mixed = try RasterImage(width: 2, height: 1, rgb: [0, 0, 0, 255, 255, 255])
        XCTAssertEqual(TerminalPreview.fitted(mixed, maximumWidth: 1).pixel(x: 0, y: 0), Colour(red: 128, green: 128, blue: 128))
    }

    func testPreviewOfAWrittenFigure() throws {
        let folder = try makeTemporaryFolder("preview")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let grid = try ImageGrid(images: [try GridImage.pattern(width: 32, height: 32, seed: 3)], rows: 1, columns: 1)
        let figure = Figure.imageGrid(grid)
        try figure.writePNG(to: folder + "/one.png")
        let decoded = try decodePNG(folder + "/one.png")
        let fromFile = try TerminalPreview.lines(forPNGAt: folder + "/one.png", maximumWidth: 40)
        let expectedHeight = Int((Double(decoded.height) * 40 / Double(decoded.width)).rounded())
        XCTAssertEqual(fromFile.count, (expectedHeight + 1) / 2)
        XCTAssertEqual(fromFile, try TerminalPreview.lines(for: figure, maximumWidth: 40))
        let tile = try TerminalPreview.lines(for: GridImage.pattern(width: 4, height: 2, seed: 0))
        XCTAssertEqual(tile.count, 1)
        XCTAssertTrue(tile[0].hasPrefix("\u{1B}[38;2;0;0;0;48;2;0;59;23m▀"), tile[0])
        XCTAssertThrowsError(try TerminalPreview.lines(forPNGAt: folder + "/none.png"))
        let filter = try GridImage(width: 2, height: 2, channels: 1, pixels: [-3, 1, 5, 1])
        XCTAssertEqual(TerminalPreview.lines(for: filter, normalised: true),
                       ["\u{1B}[38;2;0;0;0;48;2;255;255;255m▀\u{1B}[38;2;128;128;128;48;2;128;128;128m▀\u{1B}[0m"])
        XCTAssertTrue(TerminalPreview.lines(for: filter, colourMap: .viridis, normalised: true)[0].hasPrefix("\u{1B}[38;2;68;1;84;48;2;253;231;37m▀"),
                      "viridis runs from dark purple to yellow")
    }

    /// Half blocks need 24-bit colour, and colour itself (a terminal, no NO_COLOR, not TERM=dumb).
    func testHalfBlocksNeedATrueColourTerminal() {
        func blocks(_ environment: [String: String], isTerminal: Bool = true) -> Bool {
            let colour = ColourChoice.auto.isOn(isTerminal: isTerminal, environment: environment)
            return TerminalStyle.inlineImages(environment: environment, colour: colour) == .blocks
        }
        XCTAssertTrue(blocks(["COLORTERM": "truecolor"]))
        XCTAssertTrue(blocks(["COLORTERM": "24bit", "TERM": "xterm-256color"]))
        XCTAssertFalse(blocks(["COLORTERM": "truecolor"], isTerminal: false))
        XCTAssertFalse(blocks(["TERM": "xterm-256color"]))
        XCTAssertFalse(blocks(["COLORTERM": "truecolor", "NO_COLOR": "1"]))
        XCTAssertFalse(blocks(["COLORTERM": "truecolor", "TERM": "dumb"]))
    }
}

final class ProgressLineTests: XCTestCase {
    let seedMetrics: [(String, Double)] = [("loss", 1.5123), ("accuracy", 0.4512), ("val_loss", 1.3012), ("val_accuracy", 0.5321)]

    /// Keras 3's Progbar (width 20, `━`), as `fit`, `evaluate` and `predict` print it.
    func testLinesDuringAndAtTheEndOfAnEpoch() {
        let progress = ProgressLine(target: 1563)
        XCTAssertEqual(ProgressLine.epochHeader(epoch: 1, of: 5), "Epoch 1/5")
        XCTAssertEqual(progress.runningLine(current: 12, secondsPerStep: 83.7 / 1551, metrics: [("accuracy", 0.1042), ("loss", 2.2012)]),
                       "  12/1563 ──────────────────── 1:23 54ms/step - accuracy: 0.1042 - loss: 2.2012")
        XCTAssertEqual(progress.finalLine(elapsedSeconds: 12.4, secondsPerStep: 0.0079, metrics: ProgressLine.kerasOrder(seedMetrics)),
                       "1563/1563 ━━━━━━━━━━━━━━━━━━━━ 12s 8ms/step - accuracy: 0.4512 - loss: 1.5123 - val_accuracy: 0.5321 - val_loss: 1.3012")
        XCTAssertEqual(ProgressLine.kerasOrder(seedMetrics).map(\.0), ["accuracy", "loss", "val_accuracy", "val_loss"])
        XCTAssertEqual(progress.bar(current: 1562), "1562/1563 ━━━━━━━━━━━━━━━━━━━─")
        XCTAssertEqual(progress.bar(current: 53), "  53/1563 ────────────────────")
        let ten = ProgressLine(target: 10)
        XCTAssertEqual(ten.bar(current: 5), " 5/10 ━━━━━━━━━━──────────")
        XCTAssertEqual(ten.bar(current: 0), " 0/10 ────────────────────")
        XCTAssertEqual(ProgressLine(target: 4, width: 8).bar(current: 3), "3/4 ━━━━━━──")
        // With colour, Keras's own escapes: bold count and times, green steps done, white to come.
        let coloured = ProgressLine(target: 10, colour: true)
        XCTAssertEqual(coloured.bar(current: 5), "\u{1B}[1m 5/10\u{1B}[0m \u{1B}[32m━━━━━━━━━━\u{1B}[0m\u{1B}[37m━━━━━━━━━━\u{1B}[0m")
        XCTAssertEqual(coloured.runningLine(current: 5, secondsPerStep: 2, metrics: [("loss", 1)]),
                       coloured.bar(current: 5) + " \u{1B}[1m10s\u{1B}[0m 2s/step - loss: 1.0000")
        XCTAssertEqual(NotebookReport.stripTerminalCodes(coloured.finalLine(elapsedSeconds: 3, secondsPerStep: 0.3, metrics: [])),
                       "10/10 ━━━━━━━━━━━━━━━━━━━━ 3s 300ms/step")
    }

    func testTimesAndNumbersAreWrittenAsKerasWritesThem() {
        XCTAssertEqual(ProgressLine.eta(seconds: 45.9), "45s")
        XCTAssertEqual(ProgressLine.eta(seconds: 60), "60s")
        XCTAssertEqual(ProgressLine.eta(seconds: 83.7), "1:23")
        XCTAssertEqual(ProgressLine.eta(seconds: 3600), "60:00")
        XCTAssertEqual(ProgressLine.eta(seconds: 3723.5), "1:02:03")
        XCTAssertEqual(ProgressLine.stepTime(seconds: 1.5), " 2s/step")
        XCTAssertEqual(ProgressLine.stepTime(seconds: 2.5), " 2s/step", "half to even, as %.0f")
        XCTAssertEqual(ProgressLine.stepTime(seconds: 0), " 0s/step")
        XCTAssertEqual(ProgressLine.stepTime(seconds: 0.0125), " 12ms/step")
        XCTAssertEqual(ProgressLine.stepTime(seconds: 0.0005, unitName: "sample"), " 500us/sample")
        XCTAssertEqual(ProgressLine.metric(2.20124), "2.2012")
        XCTAssertEqual(ProgressLine.metric(-2.5), "-2.5000")
        XCTAssertEqual(ProgressLine.metric(0.001), "1.0000e-03")
        XCTAssertEqual(ProgressLine.metric(.nan), "nan", "a diverged loss reads as Python prints it")
        XCTAssertEqual(ProgressLine.metric(-.infinity), "-inf")
        XCTAssertEqual(ProgressLine.metric(0.0005), "5.0000e-04")
        XCTAssertEqual(ProgressLine.metric(0), "0.0000e+00")
    }

    func testClockLeavesOutTheFirstStepAndThrottles() throws {
        var progress = ProgressLine(target: 100, interval: 0.05, start: 10)
        // The first step took 2 s (warm-up); the next ones 0.1 s each.
        let first = try XCTUnwrap(progress.update(current: 1, now: 12, metrics: [("loss", 2.3)]))
        XCTAssertEqual(first, "  1/100 ──────────────────── 3:18 2s/step - loss: 2.3000")
        XCTAssertNil(progress.update(current: 2, now: 12.01, metrics: [("loss", 2.2)]), "drawn less than 0.05 s ago")
        let third = try XCTUnwrap(progress.update(current: 3, now: 12.2, metrics: [("loss", 2.1)]))
        XCTAssertEqual(third, "  3/100 ──────────────────── 9s 100ms/step - loss: 2.1000")
        let last = try XCTUnwrap(progress.update(current: 100, now: 12.005 + 9.9, metrics: [("loss", 1.5)]))
        XCTAssertEqual(last, "100/100 ━━━━━━━━━━━━━━━━━━━━ 12s 100ms/step - loss: 1.5000")
        var redraw = ProgressLine(target: 10)
        XCTAssertEqual(redraw.overwrite(with: "abcdef"), "\rabcdef")
        XCTAssertEqual(redraw.overwrite(with: "abc"), "\rabc   ")
        XCTAssertEqual(redraw.drawnWidth, 3)
    }
}

/// `--color`, NO_COLOR and TERM, and the picture protocols a terminal names.
final class TerminalStyleTests: XCTestCase {
    func testColourFollowsTheFlagThenNoColorAndTerm() {
        XCTAssertTrue(ColourChoice.auto.isOn(isTerminal: true, environment: ["TERM": "xterm"]))
        XCTAssertFalse(ColourChoice.auto.isOn(isTerminal: false, environment: ["TERM": "xterm"]), "a pipe or a file")
        XCTAssertFalse(ColourChoice.auto.isOn(isTerminal: true, environment: ["NO_COLOR": "1"]))
        XCTAssertTrue(ColourChoice.auto.isOn(isTerminal: true, environment: ["NO_COLOR": ""]), "set but empty does not count")
        XCTAssertFalse(ColourChoice.auto.isOn(isTerminal: true, environment: ["TERM": "dumb"]))
        XCTAssertTrue(ColourChoice.always.isOn(isTerminal: false, environment: ["NO_COLOR": "1"]), "the flag wins")
        XCTAssertFalse(ColourChoice.never.isOn(isTerminal: true, environment: [:]))
    }

    func testPicturesAsTheTerminalNamesThem() {
        func kind(_ environment: [String: String], colour: Bool = true) -> InlineImages.Kind? {
            TerminalStyle.inlineImages(environment: environment, colour: colour)
        }
        XCTAssertEqual(kind(["TERM": "xterm-kitty"]), .kitty)
        XCTAssertEqual(kind(["TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"]), .iterm)
        XCTAssertEqual(kind(["TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"]), .iterm)
        XCTAssertEqual(kind(["TERM": "mlterm"]), .sixel)
        XCTAssertEqual(kind(["TERM": "xterm-256color", "COLORTERM": "truecolor"]), .blocks)
        XCTAssertNil(kind(["TERM": "xterm"]))
        XCTAssertEqual(kind(["TERM": "xterm", "CNNB_IMAGES": "sixel"]), .sixel)
        XCTAssertNil(kind(["TERM": "xterm-kitty", "CNNB_IMAGES": "none"]))
        XCTAssertNil(kind(["TERM": "xterm-kitty"], colour: false), "no pictures with colour off")
    }

    func testKittySendsThePNGInChunks() throws {
        let png = Data((0..<5000).map { UInt8($0 % 251) })
        let text = InlineImages.kitty(png: png)
        let chunks = text.dropLast().components(separatedBy: "\u{1B}\\").dropLast()
        XCTAssertEqual(chunks.count, 2)
        XCTAssertTrue(chunks[0].hasPrefix("\u{1B}_Gf=100,a=T,m=1;"))
        XCTAssertTrue(chunks[1].hasPrefix("\u{1B}_Gm=0;"))
        let payload = chunks.map { String($0[$0.index(after: $0.firstIndex(of: ";")!)...]) }
        XCTAssertEqual(payload[0].count, 4096)
        XCTAssertEqual(Data(base64Encoded: payload.joined()), png)
        XCTAssertTrue(text.hasSuffix("\u{1B}\\\n"))
    }

    func testITermSendsOneInlineFile() {
        let png = Data([1, 2, 3])
        XCTAssertEqual(InlineImages.iterm(png: png, name: "a.png"),
                       "\u{1B}]1337;File=name=YS5wbmc=;size=3;inline=1;preserveAspectRatio=1:AQID\u{07}\n")
    }

    func testSixelBandsByHand() throws {
        // Red, blue / red, red: colour 0 sets both rows of column 0 and the lower of column 1
        // (sixels B and A), colour 1 the upper of column 1 (? then @).
        let red = [UInt8](arrayLiteral: 255, 0, 0), blue = [UInt8](arrayLiteral: 0, 0, 255)
        let image = try RasterImage(width: 2, height: 2, rgb: red + blue + red + red)
        XCTAssertEqual(InlineImages.sixel(image), "\u{1B}Pq\"1;1;2;2#0;2;100;0;0#1;2;0;0;100#0BA$#1?@-\u{1B}\\\n")
        // Runs longer than three are counted.
        let line = try RasterImage(width: 10, height: 1, rgb: Array([[UInt8]](repeating: red, count: 10).joined()))
        XCTAssertEqual(InlineImages.sixel(line), "\u{1B}Pq\"1;1;10;1#0;2;100;0;0#0!10@-\u{1B}\\\n")
    }
}
