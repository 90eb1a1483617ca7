import Foundation
import Render
import XCTest

final class ImageGridTests: XCTestCase {
    let classNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    func testCaptionedRGBGridKeepsEveryPixelCrisp() throws {
        let folder = try makeTemporaryFolder("grid")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let images = try (0..<25).map { try GridImage.pattern(width: 32, height: 32, seed: $0, caption: classNames[$0 % 10]) }
        let grid = try ImageGrid(images: images, rows: 5, columns: 5)
        XCTAssertEqual(grid.scale, 4, "32-pixel images become 128-pixel tiles")
        let figure = Figure.imageGrid(grid)
        let png = folder + "/grid.png", svg = folder + "/grid.svg"
        try figure.writePNG(to: png)
        try figure.writeSVG(to: svg)

        let decoded = try decodePNG(png)
        XCTAssertEqual(decoded.width, figure.pixelSize.width)
        XCTAssertEqual(decoded.height, figure.pixelSize.height)
        XCTAssertGreaterThan(decoded.width, 5 * 128)
        XCTAssertGreaterThan(decoded.height, 5 * 128)
        XCTAssertEqual(decoded.pixel(1, 1), 0xFFFFFF, "white background")
        for index in [0, 7, 24] {
            let origin = grid.tileOrigin(index)
            let source = images[index]
            func expected(_ x: Int, _ y: Int) -> UInt32 {
                let i = 3 * (y * 32 + x)
                return UInt32(Colour.byte(fromUnit: source.pixels[i])) << 16 | UInt32(Colour.byte(fromUnit: source.pixels[i + 1])) << 8 | UInt32(Colour.byte(fromUnit: source.pixels[i + 2]))
            }
            XCTAssertEqual(decoded.pixel(origin.x, origin.y), expected(0, 0), "tile \(index) top-left pixel")
            // Every screen pixel of a 4x4 block repeats its source pixel.
            for (sx, sy) in [(5, 9), (31, 31), (17, 0)] {
                for dy in 0..<4 {
                    for dx in 0..<4 {
                        XCTAssertEqual(decoded.pixel(origin.x + 4 * sx + dx, origin.y + 4 * sy + dy), expected(sx, sy))
                    }
                }
            }
        }

        let contents = try SVGContents.parse(svg)
        XCTAssertEqual(contents.elements["image"], 25)
        for name in classNames {
            XCTAssertTrue(contents.texts.contains(name), "caption \(name) in the SVG")
        }
        XCTAssertEqual(contents.rootAttributes["width"], String(decoded.width))
        assertNoTemporaryFiles(in: folder)
    }

    func testGreyscaleTilesAreNormalisedEachOnItsOwn() throws {
        // Two 3x3 "filters" with very different ranges: each must span black..white by itself.
        let small = try GridImage(width: 3, height: 3, channels: 1, pixels: [-0.01, 0, 0.01, 0, 0, 0, 0, 0, 0.005])
        let large = try GridImage(width: 3, height: 3, channels: 1, pixels: [5, -5, 0, 0, 0, 0, 0, 0, 0])
        let grid = try ImageGrid(images: [small, large], rows: 1, columns: 2, normalisation: .perTile)
        let image = try Figure.imageGrid(grid).rasterize()
        let a = grid.tileOrigin(0), b = grid.tileOrigin(1)
        let s = grid.scale
        XCTAssertEqual(image.pixel(x: a.x, y: a.y), .black, "smallest value of tile 0")
        XCTAssertEqual(image.pixel(x: a.x + 2 * s, y: a.y), .white, "largest value of tile 0")
        XCTAssertEqual(image.pixel(x: a.x + s, y: a.y), Colour(red: 128, green: 128, blue: 128), "middle value of tile 0")
        XCTAssertEqual(image.pixel(x: b.x, y: b.y), .white, "largest value of tile 1")
        XCTAssertEqual(image.pixel(x: b.x + s, y: b.y), .black, "smallest value of tile 1")
    }

    func testViridisWithColourBar() throws {
        let folder = try makeTemporaryFolder("viridis")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ramp = try GridImage(width: 4, height: 1, channels: 1, pixels: [0, 1, 2, 3], caption: "ramp")
        let grid = try ImageGrid(images: [ramp], rows: 1, columns: 1, colourMap: .viridis, normalisation: .shared, colourBar: true)
        let figure = Figure.imageGrid(grid, title: "Feature map")
        let png = folder + "/v.png", svg = folder + "/v.svg"
        try figure.writePNG(to: png)
        try figure.writeSVG(to: svg)
        let decoded = try decodePNG(png)
        let plain = try Figure.imageGrid(grid).rasterize()
        XCTAssertEqual(decoded.width, figure.pixelSize.width)
        XCTAssertGreaterThan(decoded.width, plain.width - 1)
        XCTAssertEqual(decoded.height, plain.height + 34, "the title adds a band above")
        let origin = grid.tileOrigin(0)
        let top = 34
        XCTAssertEqual(decoded.pixel(origin.x, origin.y + top), 0x440154, "viridis starts dark purple")
        XCTAssertEqual(decoded.pixel(origin.x + 3 * grid.scale, origin.y + top), 0xFDE725, "viridis ends yellow")
        let contents = try SVGContents.parse(svg)
        XCTAssertTrue(contents.texts.contains("Feature map"))
        XCTAssertTrue(contents.texts.contains("0"), "colour bar low end")
        XCTAssertTrue(contents.texts.contains("3"), "colour bar high end")
    }

    func testInvalidGridsAreErrorsWithAdvice() {
        XCTAssertThrowsError(try GridImage(width: 2, height: 2, channels: 3, pixels: [0, 1])) { error in
            XCTAssertEqual("\(error)", "an image of 2x2x3 needs 12 values, got 2")
        }
        XCTAssertThrowsError(try GridImage(width: 2, height: 2, channels: 2, pixels: [Float](repeating: 0, count: 8)))
        let one = try? GridImage(width: 1, height: 1, channels: 1, pixels: [0])
        XCTAssertThrowsError(try ImageGrid(images: [one!, one!, one!], rows: 1, columns: 2)) { error in
            XCTAssertEqual("\(error)", "3 images do not fit a 1x2 grid; use more rows or columns, or fewer images")
        }
    }
}

final class LineChartTests: XCTestCase {
    /// matplotlib's legend frame is 80% opaque (framealpha 0.8): the last points show through.
    func testLegendFrameLetsTheLinesShowThrough() throws {
        let accuracy = try ChartSeries(name: "accuracy", y: [0.45, 0.59, 0.65, 0.69, 0.72])
        let chart = try LineChart(series: [accuracy], xLabel: "Epoch", yLabel: "accuracy", legendCorner: .lowerRight)
        let svg = try Figure.lineChart(chart).svgText()
        XCTAssertTrue(svg.contains("fill=\"#ffffff\" fill-opacity=\"0.8\" stroke=\"#cccccc\" stroke-width=\"1\" stroke-opacity=\"0.8\""), svg)
        // In pixels: black drawn under an 80% white frame reads as 20% black.
        var scene = Scene(width: 10, height: 10)
        scene.add(.rectangle(x: 0, y: 0, width: 10, height: 10, fill: .ink, stroke: nil, lineWidth: 0, cornerRadius: 0))
        scene.add(.rectangle(x: 0, y: 0, width: 10, height: 10, fill: Colour.white.withOpacity(0.8), stroke: nil, lineWidth: 0, cornerRadius: 0))
        let pixel = try CairoBackend.rasterize(scene).pixel(x: 5, y: 5)
        let expected = (0.8 * 255 + 0.2 * Double(Colour.ink.red)).rounded()
        XCTAssertEqual(Double(pixel.red), expected, accuracy: 1)
    }

    func testHistoryChartHasLinesLegendAndLabels() throws {
        let folder = try makeTemporaryFolder("chart")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let accuracy = try ChartSeries(name: "accuracy", y: [0.45, 0.59, 0.65, 0.69, 0.72])
        let validation = try ChartSeries(name: "val_accuracy", y: [0.55, 0.62, 0.66, 0.67, 0.70])
        let chart = try LineChart(series: [accuracy, validation], xLabel: "Epoch", yLabel: "accuracy", legendCorner: .lowerRight)
        let figure = Figure.lineChart(chart)
        let png = folder + "/acc.png", svg = folder + "/acc.svg"
        try figure.writePNG(to: png)
        try figure.writeSVG(to: svg)

        let decoded = try decodePNG(png)
        XCTAssertEqual(decoded.width, 640)
        XCTAssertEqual(decoded.height, 480)
        XCTAssertEqual(decoded.pixel(2, 2), 0xFFFFFF)
        let blue = rgbWord(Colour(hex: 0x1f77b4)), orange = rgbWord(Colour(hex: 0xff7f0e))
        XCTAssertEqual(Colour.tab10[0], Colour(hex: 0x1f77b4))
        XCTAssertTrue(decoded.pixels.contains(blue), "the first series is tab10 blue")
        XCTAssertTrue(decoded.pixels.contains(orange), "the second series is tab10 orange")

        let contents = try SVGContents.parse(svg)
        for text in ["accuracy", "val_accuracy", "Epoch"] {
            XCTAssertTrue(contents.texts.contains(text), "\(text) is real text in the SVG")
        }
        XCTAssertTrue(contents.texts.contains("0"), "epoch ticks start at 0")
        XCTAssertTrue(contents.texts.contains("4"), "epoch ticks end at 4")
        XCTAssertFalse(contents.texts.contains("0.5"), "epochs get whole-number ticks")
        XCTAssertEqual(contents.elements["polyline"].map { $0 >= 2 }, true)
    }

    func testAFlatLineIsDrawnInItsColourWhereTheValueIs() throws {
        let flat = try ChartSeries(name: "loss", y: [Double](repeating: 1, count: 50))
        let low = try ChartSeries(name: "val_loss", y: [Double](repeating: 0, count: 50))
        let chart = try LineChart(series: [flat, low], xLabel: "Epoch", yLabel: "loss", legendCorner: .upperRight)
        let image = try Figure.lineChart(chart).rasterize()
        // With 5% padding the plot's vertical middle lies between the two lines; scan a column.
        var rowsOfBlue: [Int] = [], rowsOfOrange: [Int] = []
        for y in 0..<image.height {
            let colour = image.pixel(x: 200, y: y)
            if colour == Colour.tab10[0] { rowsOfBlue.append(y) }
            if colour == Colour.tab10[1] { rowsOfOrange.append(y) }
        }
        XCTAssertFalse(rowsOfBlue.isEmpty)
        XCTAssertFalse(rowsOfOrange.isEmpty)
        XCTAssertLessThan(rowsOfBlue.max() ?? 0, rowsOfOrange.min() ?? 0, "larger values are higher up")
        XCTAssertLessThanOrEqual(rowsOfBlue.count, 3, "a 2-pixel line")
    }

    func testTicksAreRound() {
        let ticks = ChartTicks(low: 0.43, high: 0.73, maximumCount: 8, integersOnly: false)
        XCTAssertEqual(ticks.labels, ["0.45", "0.50", "0.55", "0.60", "0.65", "0.70"])
        let epochs = ChartTicks(low: -0.2, high: 4.2, maximumCount: 9, integersOnly: true)
        XCTAssertEqual(epochs.labels, ["0", "1", "2", "3", "4"])
        let wide = ChartTicks(low: -3, high: 117, maximumCount: 8, integersOnly: true)
        XCTAssertEqual(wide.labels, ["0", "20", "40", "60", "80", "100"])
    }

    func testChartInputErrors() throws {
        XCTAssertThrowsError(try ChartSeries(name: "a", y: [1, 2], x: [1]))
        XCTAssertThrowsError(try LineChart(series: []))
        XCTAssertThrowsError(try LineChart(series: [try ChartSeries(name: "nan", y: [.nan])]))
    }
}

final class ModelGraphTests: XCTestCase {
    func testSeedModelGraphIsAColumnOfBoxes() throws {
        let folder = try makeTemporaryFolder("graph")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let graph = try ModelGraph.seedLesson()
        let figure = Figure.modelGraph(graph)
        try figure.writePNG(to: folder + "/g.png")
        try figure.writeSVG(to: folder + "/g.svg")
        let decoded = try decodePNG(folder + "/g.png")
        XCTAssertEqual(decoded.width, figure.pixelSize.width)
        XCTAssertEqual(decoded.height, figure.pixelSize.height)
        let origins = graph.boxOrigins()
        XCTAssertEqual(Set(origins.map(\.x)).count, 1, "one column")
        XCTAssertEqual(origins.map(\.y), origins.map(\.y).sorted(), "top to bottom")
        let contents = try SVGContents.parse(folder + "/g.svg")
        XCTAssertTrue(contents.texts.contains("conv2d_1 (Conv2D)"))
        XCTAssertTrue(contents.texts.contains("(None, 1024)"))
        XCTAssertEqual(contents.elements["polygon"], 8, "one arrow head per connection")
    }

    func testBranchesSitSideBySide() throws {
        let nodes = [
            GraphNode(name: "input", type: "InputLayer", inputShape: "(None, 8)", outputShape: "(None, 8)", parents: []),
            GraphNode(name: "left", type: "Dense", inputShape: "(None, 8)", outputShape: "(None, 4)", parents: [0]),
            GraphNode(name: "right", type: "Dense", inputShape: "(None, 8)", outputShape: "(None, 2)", parents: [0]),
            GraphNode(name: "joined", type: "Concatenate", inputShape: "[(None, 4), (None, 2)]", outputShape: "(None, 6)", parents: [1, 2]),
        ]
        let graph = try ModelGraph(nodes: nodes)
        XCTAssertEqual(graph.depths, [0, 1, 1, 2])
        let origins = graph.boxOrigins()
        XCTAssertEqual(origins[1].y, origins[2].y)
        XCTAssertLessThan(origins[1].x, origins[2].x)
        XCTAssertEqual(try Figure.modelGraph(graph).svgText().components(separatedBy: "<polygon").count - 1, 4)
        XCTAssertThrowsError(try ModelGraph(nodes: [GraphNode(name: "a", type: "Dense", inputShape: "", outputShape: "", parents: [3])]))
    }

    /// The residual + inception block as `plot` lists it.
    static let residualNodes: [GraphNode] = {
        func node(_ name: String, _ type: String, _ input: String, _ output: String, _ parents: [Int]) -> GraphNode {
            GraphNode(name: name, type: type, inputShape: input, outputShape: output, parents: parents)
        }
        return [
            node("input_layer", "InputLayer", "(None, 32, 32, 3)", "(None, 32, 32, 3)", []),
            node("conv2d", "Conv2D", "(None, 32, 32, 3)", "(None, 32, 32, 16)", [0]),
            node("conv2d_1", "Conv2D", "(None, 32, 32, 16)", "(None, 32, 32, 16)", [1]),
            node("conv2d_2", "Conv2D", "(None, 32, 32, 16)", "(None, 32, 32, 16)", [2]),
            node("add", "Add", "[(None, 32, 32, 16), (None, 32, 32, 16)]", "(None, 32, 32, 16)", [1, 3]),
            node("activation", "Activation", "(None, 32, 32, 16)", "(None, 32, 32, 16)", [4]),
            node("max_pooling2d", "MaxPooling2D", "(None, 32, 32, 16)", "(None, 16, 16, 16)", [5]),
            node("conv2d_3", "Conv2D", "(None, 16, 16, 16)", "(None, 16, 16, 8)", [6]),
            node("conv2d_4", "Conv2D", "(None, 16, 16, 16)", "(None, 16, 16, 8)", [6]),
            node("concatenate", "Concatenate", "[(None, 16, 16, 8), (None, 16, 16, 8)]", "(None, 16, 16, 16)", [7, 8]),
            node("global_average_pooling2d", "GlobalAveragePooling2D", "(None, 16, 16, 16)", "(None, 16)", [9]),
            node("dense", "Dense", "(None, 16)", "(None, 10)", [10]),
            // A second skip over three rows, to give the lanes some work.
            node("add_1", "Add", "[(None, 16, 16, 16), (None, 16, 16, 16)]", "(None, 16, 16, 16)", [6, 9]),
        ]
    }()

    func testResidualArrowsRunBesideTheBoxesTheySkip() throws {
        let graph = try ModelGraph(nodes: Self.residualNodes)
        XCTAssertEqual(graph.depths, [0, 1, 2, 3, 4, 5, 6, 7, 7, 8, 9, 10, 9])
        let origins = graph.boxOrigins()
        let scene = graph.scene()
        let boxWidth = Double(scene.width) // an upper bound; the real width comes from the boxes below
        let rectangles = scene.items.compactMap { element -> (x: Double, y: Double, w: Double, h: Double)? in
            if case .rectangle(let x, let y, let w, let h, _, let stroke, _, _) = element, stroke != nil { return (x, y, w, h) }
            return nil
        }
        XCTAssertEqual(rectangles.count, Self.residualNodes.count)
        XCTAssertLessThan(rectangles[0].w, boxWidth)
        // Boxes do not overlap one another.
        for (i, a) in rectangles.enumerated() {
            for b in rectangles[(i + 1)...] {
                XCTAssertFalse(a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h, "boxes overlap")
            }
        }
        // No segment of any arrow enters a box.
        let paths = graph.arrowPaths()
        XCTAssertEqual(paths.count, Self.residualNodes.reduce(0) { $0 + $1.parents.count })
        for (p, path) in paths.enumerated() {
            for (from, to) in zip(path, path.dropFirst()) {
                for (r, box) in rectangles.enumerated() {
                    XCTAssertFalse(segment(from, to, crosses: box), "arrow \(p) crosses box \(r) (\(Self.residualNodes[r].name))")
                }
            }
        }
        // The skip from conv2d into add leaves the column of the convolutions it skips.
        XCTAssertEqual(paths[3].count, 6, "start, down its lane past two rows, end")
        XCTAssertEqual(origins[3].y - origins[2].y, 112, accuracy: 1e-9, "a box and a gap per row")
        let folder = try makeTemporaryFolder("residual")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Figure.modelGraph(graph).writePNG(to: folder + "/residual.png")
        XCTAssertGreaterThan(try decodePNG(folder + "/residual.png").width, 0)
        if let keep = ProcessInfo.processInfo.environment["CNNB_KEEP_FIGURES"] {
            try? FileManager.default.copyItem(atPath: folder + "/residual.png", toPath: keep + "/residual.png")
        }
    }

    /// Whether the segment from `a` to `b` passes through the inside of `box` (Liang–Barsky clipping).
    private func segment(_ a: Point, _ b: Point, crosses box: (x: Double, y: Double, w: Double, h: Double)) -> Bool {
        let dx = b.x - a.x, dy = b.y - a.y
        var low = 0.0, high = 1.0
        for (p, q) in [(-dx, a.x - (box.x + 0.5)), (dx, box.x + box.w - 0.5 - a.x), (-dy, a.y - (box.y + 0.5)), (dy, box.y + box.h - 0.5 - a.y)] {
            if p == 0 {
                if q < 0 { return false }
            } else {
                let t = q / p
                if p < 0 { low = max(low, t) } else { high = min(high, t) }
                if low > high { return false }
            }
        }
        return true
    }
}
