import Foundation
import Render
import TestSupport
import XCTest

final class NotebookReportTests: XCTestCase {
    let introduction = """
    # Convolutional networks

    One of the most popular type of neural networks, with **feature maps** and `max_pooling2d`.

    * **valid** means no padding
    * **same** pads with zeros <evenly>
    """

    /// A run of three code cells: a figure, text with characters HTML must escape, and an error.
    func makeReport(in folder: URL) throws -> (report: NotebookReport, grid: ImageGrid, images: [GridImage]) {
        let images = try (0..<4).map { try GridImage.pattern(width: 8, height: 8, seed: $0, caption: ["cat", "dog", "ship", "frog"][$0]) }
        let grid = try ImageGrid(images: images, rows: 2, columns: 2, scale: 4)
        let png = NotebookReport.figurePath(cellNumber: 2, stem: "Sample grid")
        XCTAssertEqual(png, "figures/02-sample-grid.png")
        let shown = try NotebookReport.saveFigure(.imageGrid(grid), in: folder, relativePath: png)
        let svgPath = NotebookReport.figurePath(cellNumber: 2, ordinal: 2, stem: "sample grid", fileExtension: "svg")
        XCTAssertEqual(svgPath, "figures/02-2-sample-grid.svg")
        let vector = try NotebookReport.saveFigure(.imageGrid(grid, title: "Sample & more"), in: folder, relativePath: svgPath)
        let report = NotebookReport(title: "cifar10", cells: [
            .markdown(introduction),
            .code("data = load cifar10\nshow data.train[0..<4] grid 2x2 labels", outputs: [.text("loaded 4 images"), shown, vector], executionCount: 1),
            .code("x = 1 < 2 && 3 > 2\nprint \"```fenced```\"", outputs: [.text("<tag> & \"quotes\"\n"), .text("true")], executionCount: 2),
            .code("layer conw 64 3x3", outputs: [.error("cifar.cnnb:7:7: error: unknown layer kind 'conw'\n    7 | layer conw 64 3x3\n      |       ^~~~ did you mean 'conv'?")], executionCount: 3),
            .code("evaluate cnn on data.test", outputs: [], executionCount: nil),
        ])
        return (report, grid, images)
    }

    func testMarkdownHoldsEveryCellInOrder() throws {
        let folder = URL(fileURLWithPath: try makeTemporaryFolder("report-md"))
        defer { try? FileManager.default.removeItem(at: folder) }
        let (report, _, _) = try makeReport(in: folder)
        try report.write(to: folder, notebookName: "cifar10.cnnb")
        let markdown = try String(contentsOf: folder.appendingPathComponent("index.md"), encoding: .utf8)
        XCTAssertEqual(markdown, """
        # Convolutional networks

        One of the most popular type of neural networks, with **feature maps** and `max_pooling2d`.

        * **valid** means no padding
        * **same** pads with zeros <evenly>

        ```cnnb
        data = load cifar10
        show data.train[0..<4] grid 2x2 labels
        ```

        ```
        loaded 4 images
        ```

        ![](figures/02-sample-grid.png)

        ![](figures/02-2-sample-grid.svg)

        ````cnnb
        x = 1 < 2 && 3 > 2
        print "```fenced```"
        ````

        ```
        <tag> & "quotes"
        ```

        ```
        true
        ```

        ```cnnb
        layer conw 64 3x3
        ```

        **Error**

        ```text
        cifar.cnnb:7:7: error: unknown layer kind 'conw'
            7 | layer conw 64 3x3
              |       ^~~~ did you mean 'conv'?
        ```

        ```cnnb
        evaluate cnn on data.test
        ```

        """)
        assertNoTemporaryFiles(in: folder.path)
    }

    func testATitleHeadsTheReportWhenNoCellDoes() throws {
        let report = NotebookReport(title: "Shapes", cells: [.code("shape x", outputs: [.text("(2, 3)")], executionCount: 1)])
        XCTAssertEqual(report.markdownText(), "# Shapes\n\n```cnnb\nshape x\n```\n\n```\n(2, 3)\n```\n")
        XCTAssertTrue(try report.htmlText(figuresIn: URL(fileURLWithPath: "/nonexistent")).contains("<h1 class=\"report-title\">Shapes</h1>"))
    }

    func testHTMLIsOnePageWithFiguresEmbedded() throws {
        let folder = URL(fileURLWithPath: try makeTemporaryFolder("report-html"))
        defer { try? FileManager.default.removeItem(at: folder) }
        let (report, grid, images) = try makeReport(in: folder)
        try report.write(to: folder, notebookName: "cifar10")
        let html = try String(contentsOf: folder.appendingPathComponent("index.html"), encoding: .utf8)

        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains("<title>cifar10</title>"))
        XCTAssertTrue(html.contains("<style>"), "style inline")
        XCTAssertFalse(html.contains("<link"), "no outside stylesheet")
        XCTAssertFalse(html.contains("src=\"figures/"), "no picture outside the page")
        XCTAssertTrue(html.contains("<h1>Convolutional networks</h1>"))
        // Raw HTML in a Markdown cell is left out (cmark-gfm's safe mode).
        XCTAssertTrue(html.contains("<li><strong>same</strong> pads with zeros <!-- raw HTML omitted --></li>"))
        XCTAssertTrue(html.contains("<code>max_pooling2d</code>"))
        XCTAssertTrue(html.contains("x = 1 &lt; 2 &amp;&amp; 3 &gt; 2"), "code is escaped")
        XCTAssertTrue(html.contains("<pre>&lt;tag&gt; &amp; &quot;quotes&quot;</pre>"), "text output is escaped")
        XCTAssertFalse(html.contains("<tag>"))
        XCTAssertTrue(html.contains("In&nbsp;[3]:"))
        XCTAssertTrue(html.contains("In&nbsp;[ ]:"), "a cell that did not run has no number")

        // The error sits in its own cell, styled as an error.
        let errorCell = try XCTUnwrap(html.range(of: "<section class=\"cell code\" id=\"cell-4\">"))
        let nextCell = try XCTUnwrap(html.range(of: "<section class=\"cell code\" id=\"cell-5\">"))
        let errorHTML = String(html[errorCell.upperBound..<nextCell.lowerBound])
        XCTAssertTrue(errorHTML.contains("<div class=\"output error\" role=\"alert\">"))
        XCTAssertTrue(errorHTML.contains("unknown layer kind &#39;conw&#39;"))
        XCTAssertTrue(html.contains(".output.error pre { background: #fdecea"))

        // The embedded PNG is the figure file, byte for byte, and decodes to the grid's pixels.
        let marker = "data:image/png;base64,"
        let start = try XCTUnwrap(html.range(of: marker)).upperBound
        let end = try XCTUnwrap(html[start...].firstIndex(of: "\""))
        let embedded = try XCTUnwrap(Data(base64Encoded: String(html[start..<end])))
        let file = try Data(contentsOf: folder.appendingPathComponent("figures/02-sample-grid.png"))
        XCTAssertEqual(embedded, file)
        let copy = folder.appendingPathComponent("embedded.png")
        try embedded.write(to: copy)
        let decoded = try decodePNG(copy.path)
        let size = Figure.imageGrid(grid).pixelSize
        XCTAssertEqual(decoded.width, size.width)
        XCTAssertEqual(decoded.height, size.height)
        for index in images.indices {
            let origin = grid.tileOrigin(index)
            let p = images[index].pixels
            let expected = UInt32(Colour.byte(fromUnit: p[0])) << 16 | UInt32(Colour.byte(fromUnit: p[1])) << 8 | UInt32(Colour.byte(fromUnit: p[2]))
            XCTAssertEqual(decoded.pixel(origin.x, origin.y), expected, "tile \(index) top-left pixel")
        }

        // The SVG figure is embedded too, and is XML with its captions and title as text.
        XCTAssertTrue(html.contains("data:image/svg+xml;base64,"))
        let svg = try SVGContents.parse(folder.appendingPathComponent("figures/02-2-sample-grid.svg").path)
        for caption in ["cat", "dog", "ship", "frog", "Sample & more"] {
            XCTAssertTrue(svg.texts.contains(caption), "\(caption) in the SVG")
        }
        assertNoTemporaryFiles(in: folder.path)
    }

    func testNotebookFileHoldsCellsOutputsAndPictures() throws {
        let folder = URL(fileURLWithPath: try makeTemporaryFolder("report-ipynb"))
        defer { try? FileManager.default.removeItem(at: folder) }
        let (report, grid, _) = try makeReport(in: folder)
        try report.write(to: folder, notebookName: "cifar10")
        let url = folder.appendingPathComponent("cifar10.ipynb")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        let notebook = try XCTUnwrap(object as? [String: Any])
        XCTAssertEqual(notebook["nbformat"] as? Int, 4)
        XCTAssertEqual(notebook["nbformat_minor"] as? Int, 5)
        let metadata = try XCTUnwrap(notebook["metadata"] as? [String: Any])
        XCTAssertEqual((metadata["kernelspec"] as? [String: Any])?["name"] as? String, "cnnb")
        XCTAssertEqual((metadata["language_info"] as? [String: Any])?["name"] as? String, "cnnb")

        let cells = try XCTUnwrap(notebook["cells"] as? [[String: Any]])
        XCTAssertEqual(cells.count, report.cells.count)
        var ids = Set<String>()
        for (cell, original) in zip(cells, report.cells) {
            XCTAssertEqual(cell["cell_type"] as? String, original.kind.rawValue)
            XCTAssertEqual((cell["source"] as? [String])?.joined(), original.source, "cells in order, sources whole")
            let id = try XCTUnwrap(cell["id"] as? String)
            XCTAssertTrue(ids.insert(id).inserted, "cell ids are unique")
        }
        XCTAssertNil(cells[0]["outputs"], "Markdown cells have no outputs")

        let figureCell = cells[1]
        XCTAssertEqual(figureCell["execution_count"] as? Int, 1)
        let outputs = try XCTUnwrap(figureCell["outputs"] as? [[String: Any]])
        XCTAssertEqual(outputs.map { $0["output_type"] as? String }, ["stream", "display_data", "display_data"])
        XCTAssertEqual(outputs[0]["name"] as? String, "stdout")
        XCTAssertEqual(outputs[0]["text"] as? [String], ["loaded 4 images\n"])
        let data = try XCTUnwrap(outputs[1]["data"] as? [String: Any])
        let png = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(data["image/png"] as? String)))
        XCTAssertEqual(png, try Data(contentsOf: folder.appendingPathComponent("figures/02-sample-grid.png")))
        let size = Figure.imageGrid(grid).pixelSize
        let pngMetadata = (outputs[1]["metadata"] as? [String: Any])?["image/png"] as? [String: Any]
        XCTAssertEqual(pngMetadata?["width"] as? Int, size.width)
        XCTAssertEqual(pngMetadata?["height"] as? Int, size.height)
        XCTAssertNotNil(data["text/plain"])
        let svgLines = try XCTUnwrap((outputs[2]["data"] as? [String: Any])?["image/svg+xml"] as? [String])
        XCTAssertTrue(svgLines.joined().contains("<svg"))

        let textOutputs = try XCTUnwrap(cells[2]["outputs"] as? [[String: Any]])
        XCTAssertEqual(textOutputs.map { $0["output_type"] as? String }, ["stream", "execute_result"])
        XCTAssertEqual(textOutputs[1]["execution_count"] as? Int, 2)
        XCTAssertEqual((textOutputs[1]["data"] as? [String: Any])?["text/plain"] as? [String], ["true"])

        let errorOutputs = try XCTUnwrap(cells[3]["outputs"] as? [[String: Any]])
        XCTAssertEqual(errorOutputs.count, 1)
        XCTAssertEqual(errorOutputs[0]["output_type"] as? String, "error")
        XCTAssertEqual(errorOutputs[0]["evalue"] as? String, "unknown layer kind 'conw'")
        XCTAssertEqual((errorOutputs[0]["traceback"] as? [String])?.count, 3)
        XCTAssertTrue(cells[4]["execution_count"] is NSNull, "a cell that did not run has a null count")

        try validateWithNbformat(url)
    }

    /// nbformat's own validator (in .venv, from .ci/requirements.txt).
    func validateWithNbformat(_ url: URL) throws {
        let script = """
        import sys, warnings
        warnings.simplefilter("error")
        import nbformat
        with open(sys.argv[1], encoding="utf-8") as f:
            nb = nbformat.read(f, as_version=nbformat.NO_CONVERT)
        nbformat.validate(nb)
        assert (nb.nbformat, nb.nbformat_minor) == (4, 5), (nb.nbformat, nb.nbformat_minor)
        print("valid", len(nb.cells))
        """
        try Python.require(["nbformat"])
        let result = try XCTUnwrap(Python.run(["-c", script, url.path]))
        XCTAssertEqual(result.status, 0, "nbformat rejects the notebook:\n\(result.stderr)")
        XCTAssertTrue(result.stdout.contains("valid 5"), result.stdout)
    }

    func testAMissingFigureWritesNothing() throws {
        let folder = URL(fileURLWithPath: try makeTemporaryFolder("report-missing"))
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = NotebookReport(title: "t", cells: [.code("plot h", outputs: [.figure(relativePath: "figures/01-h.png")], executionCount: 1)])
        XCTAssertThrowsError(try report.write(to: folder, notebookName: "t")) { error in
            XCTAssertTrue("\(error)".contains("figures/01-h.png"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])
        let escaping = NotebookReport(title: "t", cells: [.code("x", outputs: [.figure(relativePath: "../x.png")])])
        XCTAssertThrowsError(try escaping.write(to: folder, notebookName: "t"))
        XCTAssertThrowsError(try report.write(to: folder, notebookName: "a/b"))
    }

    func testNames() {
        XCTAssertEqual(NotebookReport.notebookFileName("cifar10.cnnb"), "cifar10.ipynb")
        XCTAssertEqual(NotebookReport.notebookFileName("cifar10"), "cifar10.ipynb")
        XCTAssertEqual(NotebookReport.notebookFileName("x.ipynb"), "x.ipynb")
        XCTAssertEqual(NotebookReport.figurePath(cellNumber: 12, stem: "conv2d_1 feature maps!"), "figures/12-conv2d-1-feature-maps.png")
        XCTAssertEqual(NotebookReport.figurePath(cellNumber: 3, stem: "***"), "figures/03-figure.png")
        let out = URL(fileURLWithPath: "/tmp/out/cifar10")
        XCTAssertEqual(NotebookReport.relativePath(of: "/tmp/out/cifar10/figures/03-sample.png", in: out), "figures/03-sample.png")
        XCTAssertEqual(NotebookReport.relativePath(of: "figures/03-sample.png", in: out), "figures/03-sample.png")
        XCTAssertNil(NotebookReport.relativePath(of: "/tmp/out/other/x.png", in: out))
        XCTAssertNil(NotebookReport.relativePath(of: "/tmp/out/cifar10/../x.png", in: out))
        XCTAssertEqual(NotebookReport.stripTerminalCodes("\u{1B}[31;1merror\u{1B}[0m: x"), "error: x")
    }
}

/// Markdown cells through cmark-gfm: CommonMark with GitHub's tables, strikethrough and
/// autolinks, raw HTML left out.
final class MarkupTests: XCTestCase {
    func testBlocks() {
        XCTAssertEqual(Markup.html("## Strides \nStride size used.\nSecond line."),
                       "<h2>Strides</h2>\n<p>Stride size used.\nSecond line.</p>\n")
        XCTAssertEqual(Markup.html("* a\n* **b** c\n\n1. one\n2. two"),
                       "<ul>\n<li>a</li>\n<li><strong>b</strong> c</li>\n</ul>\n<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n")
        XCTAssertEqual(Markup.html("- a\n\n- b\n\n3. three\n4. four"),
                       "<ul>\n<li>\n<p>a</p>\n</li>\n<li>\n<p>b</p>\n</li>\n</ul>\n<ol start=\"3\">\n<li>three</li>\n<li>four</li>\n</ol>\n")
        XCTAssertEqual(Markup.html("Title\n=====\ntext\n* item"),
                       "<h1>Title</h1>\n<p>text</p>\n<ul>\n<li>item</li>\n</ul>\n")
        XCTAssertEqual(Markup.html("- outer\n  - inner\n- next"),
                       "<ul>\n<li>outer\n<ul>\n<li>inner</li>\n</ul>\n</li>\n<li>next</li>\n</ul>\n")
        XCTAssertEqual(Markup.html("```python\nif a < b:\n    pass\n```"),
                       "<pre><code class=\"language-python\">if a &lt; b:\n    pass\n</code></pre>\n")
        XCTAssertEqual(Markup.html("> quoted *text*\n\n---"),
                       "<blockquote>\n<p>quoted <em>text</em></p>\n</blockquote>\n<hr />\n")
        XCTAssertEqual(Markup.html("| layer | params |\n|:--|--:|\n| conv | 896 |"),
                       "<table>\n<thead>\n<tr>\n<th align=\"left\">layer</th>\n<th align=\"right\">params</th>\n</tr>\n</thead>\n"
                       + "<tbody>\n<tr>\n<td align=\"left\">conv</td>\n<td align=\"right\">896</td>\n</tr>\n</tbody>\n</table>\n")
        XCTAssertEqual(Markup.html("    indented code\n"), "<pre><code>indented code\n</code></pre>\n")
    }

    func testInlines() {
        XCTAssertEqual(Markup.html("use max_pooling2d_1 and *x* or _y_, `a<b`"),
                       "<p>use max_pooling2d_1 and <em>x</em> or <em>y</em>, <code>a&lt;b</code></p>\n")
        XCTAssertEqual(Markup.html("[Keras](https://keras.io \"docs\") ![cat](cat.png) ![image.png](attachment:image.png)"),
                       "<p><a href=\"https://keras.io\" title=\"docs\">Keras</a> <img src=\"cat.png\" alt=\"cat\" /> [image: image.png]</p>\n")
        XCTAssertEqual(Markup.html("[x](javascript:alert(1)) a\\*b &copy; ~~old~~ www.tensorflow.org"),
                       "<p><a href=\"\">x</a> a*b © <del>old</del> <a href=\"http://www.tensorflow.org\">www.tensorflow.org</a></p>\n")
        XCTAssertEqual(Markup.html("text <span onclick=\"x\">hi</span> end"),
                       "<p>text <!-- raw HTML omitted -->hi<!-- raw HTML omitted --> end</p>\n")
        XCTAssertEqual(Markup.html("*a **b** c* and ***both***"),
                       "<p><em>a <strong>b</strong> c</em> and <em><strong>both</strong></em></p>\n")
        XCTAssertEqual(Markup.escape("<a href='x'>&\""), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;")
    }

    /// The report: a Markdown cell with a table, strikethrough, an entity, an autolink
    /// and a script tag becomes a page with <del>, ©, the link, the table and no live script.
    func testReportMarkdownCellIsGitHubFlavouredAndSafe() throws {
        let folder = URL(fileURLWithPath: try makeTemporaryFolder("report-gfm"))
        defer { try? FileManager.default.removeItem(at: folder) }
        let markdown = """
        # Results

        | model | accuracy |
        |---|--:|
        | cnn | 69.84% |

        The ~~dense-only~~ convolutional model &copy; the lesson; see https://keras.io/examples/ for more.

        <script>alert("boom")</script>
        """
        let report = NotebookReport(title: "gfm", cells: [.markdown(markdown), .code("x = 1", outputs: [], executionCount: 1)])
        try report.write(to: folder, notebookName: "gfm")
        let html = try String(contentsOf: folder.appendingPathComponent("index.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("<del>dense-only</del>"), html)
        XCTAssertTrue(html.contains("convolutional model © the lesson"))
        XCTAssertFalse(html.contains("&copy;"))
        XCTAssertTrue(html.contains("<a href=\"https://keras.io/examples/\">https://keras.io/examples/</a>"))
        XCTAssertTrue(html.contains("<th>model</th>\n<th align=\"right\">accuracy</th>"))
        XCTAssertTrue(html.contains("<td>cnn</td>\n<td align=\"right\">69.84%</td>"))
        XCTAssertFalse(html.contains("<script"), "no live script")
        XCTAssertFalse(html.contains("alert("))
        XCTAssertTrue(html.contains("<!-- raw HTML omitted -->"))
    }
}

/// The HTML page opened by headless Chromium: the screenshot shows the embedded figures.
/// Needs Chromium (Debian package `chromium`, which .ci/install installs).
final class ReportInBrowserTests: XCTestCase {
    func testScreenshotShowsTheFigures() throws {
        let browser = try MissingTool.require(["chromium", "chromium-browser", "google-chrome"], debian: "chromium")
        let folder = URL(fileURLWithPath: try makeTemporaryFolder("report-browser"))
        defer { try? FileManager.default.removeItem(at: folder) }
        // A 16x16 tile of one colour drawn 8 times larger: a 128x128 block the screenshot must hold.
        let green = Colour(hex: 0x12AB34)
        let tile = try GridImage(width: 16, height: 16, channels: 3,
                                 bytes: Array([[UInt8]](repeating: [green.red, green.green, green.blue], count: 256).joined()))
        let block = try NotebookReport.saveFigure(.imageGrid(try ImageGrid(images: [tile], rows: 1, columns: 1, scale: 8)),
                                                  in: folder, relativePath: "figures/01-block.png")
        let chart = try LineChart(series: [try ChartSeries(name: "accuracy", y: [0.4, 0.6, 0.7])], xLabel: "Epoch", yLabel: "accuracy")
        let curve = try NotebookReport.saveFigure(.lineChart(chart), in: folder, relativePath: "figures/02-curve.png")
        let report = NotebookReport(title: "browser", cells: [
            .markdown("# In a browser"),
            .code("show block", outputs: [block], executionCount: 1),
            .code("plot history accuracy", outputs: [curve], executionCount: 2),
            .code("boom", outputs: [.error("it failed")], executionCount: 3),
        ])
        try report.write(to: folder, notebookName: "browser")
        // Only the page goes to the browser: the figures folder is removed to prove they are embedded.
        try FileManager.default.removeItem(at: folder.appendingPathComponent("figures"))

        let shot = folder.appendingPathComponent("shot.png")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
                             "--user-data-dir=" + folder.appendingPathComponent("profile").path,
                             "--window-size=1000,1600", "--screenshot=" + shot.path,
                             folder.appendingPathComponent("index.html").absoluteString]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(90)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning {
            process.terminate()
            XCTFail("chromium did not finish within 90 s")
            return
        }
        let image = try decodePNG(shot.path)
        XCTAssertEqual(image.width, 1000)
        XCTAssertEqual(image.height, 1600)
        func near(_ a: UInt32, _ b: UInt32) -> Bool {
            for shift: UInt32 in [0, 8, 16] {
                let x = Int((a >> shift) & 0xFF), y = Int((b >> shift) & 0xFF)
                if abs(x - y) > 2 { return false }
            }
            return true
        }
        let greenCount = image.pixels.filter { near($0, rgbWord(green)) }.count
        XCTAssertGreaterThanOrEqual(greenCount, 120 * 120, "the 128x128 block is on the page")
        XCTAssertGreaterThan(image.pixels.filter { near($0, rgbWord(Colour.tab10[0])) }.count, 200, "the chart's blue line is on the page")
        XCTAssertGreaterThan(image.pixels.filter { near($0, 0xFDECEA) }.count, 1000, "the error is styled in its cell")
    }
}
