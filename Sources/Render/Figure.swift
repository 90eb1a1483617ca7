import Basics
import Foundation

/// A picture a statement returns: an image grid, a line chart, a model graph, or figures side by
/// side, with an optional title above. It is a plain value; drawing happens when it is written.
public struct Figure: Sendable {
    public enum Content: Sendable {
        case imageGrid(ImageGrid)
        case lineChart(LineChart)
        case modelGraph(ModelGraph)
        /// Figures placed left to right, tops aligned.
        case panels([Figure])
    }

    public var title: String?
    public var content: Content

    public init(_ content: Content, title: String? = nil) {
        self.content = content
        self.title = title
    }

    public static func imageGrid(_ grid: ImageGrid, title: String? = nil) -> Figure {
        Figure(.imageGrid(grid), title: title)
    }

    public static func lineChart(_ chart: LineChart, title: String? = nil) -> Figure {
        Figure(.lineChart(chart), title: title)
    }

    public static func modelGraph(_ graph: ModelGraph, title: String? = nil) -> Figure {
        Figure(.modelGraph(graph), title: title)
    }

    /// Fails when `figures` is empty.
    public static func panels(_ figures: [Figure], title: String? = nil) throws -> Figure {
        guard !figures.isEmpty else { throw RenderError.invalidInput("side-by-side panels need at least one figure") }
        return Figure(.panels(figures), title: title)
    }

    static let titleSize = 16.0
    static let titleBand = 34.0
    static let panelGap = 12.0

    /// The figure laid out for drawing.
    public func scene() -> Scene {
        var body: Scene
        switch content {
        case .imageGrid(let grid): body = grid.scene()
        case .lineChart(let chart): body = chart.scene()
        case .modelGraph(let graph): body = graph.scene()
        case .panels(let figures):
            let scenes = figures.map { $0.scene() }
            let width = scenes.reduce(0) { $0 + $1.width } + Int(Figure.panelGap) * (scenes.count - 1)
            body = Scene(width: width, height: scenes.map(\.height).max() ?? 1)
            var x = 0.0
            for panel in scenes {
                body.place(panel, dx: x, dy: 0)
                x += Double(panel.width) + Figure.panelGap
            }
        }
        guard let title, !title.isEmpty else { return body }
        let titleWidth = Int(TextMetrics.width(title, size: Figure.titleSize, bold: true).rounded(.up)) + 32
        var scene = Scene(width: max(body.width, titleWidth), height: body.height + Int(Figure.titleBand))
        scene.text(title, x: Double(scene.width) / 2, baseline: 14 + Figure.titleSize, size: Figure.titleSize,
                   anchor: .middle, bold: true)
        scene.place(body, dx: Double((scene.width - body.width) / 2), dy: Figure.titleBand)
        return scene
    }

    /// Width and height in pixels of the PNG (and of the SVG's view box).
    public var pixelSize: (width: Int, height: Int) {
        let laidOut = scene()
        return (laidOut.width, laidOut.height)
    }

    /// The figure's pixels, as the PNG holds them.
    public func rasterize() throws -> RasterImage {
        try CairoBackend.rasterize(scene())
    }

    public func pngData() throws -> Data {
        try CairoBackend.pngData(scene())
    }

    public func svgText() throws -> String {
        try SVGBackend.document(scene())
    }

    /// Writes the PNG whole: to a temporary name in the same folder, then renamed.
    public func writePNG(to path: String) throws {
        try AtomicFile.write(pngData(), to: path)
    }

    /// Writes the SVG whole: to a temporary name in the same folder, then renamed.
    public func writeSVG(to path: String) throws {
        try AtomicFile.write(svgText(), to: path)
    }

    /// One line for the REPL: what the figure is and how big.
    public var summary: String {
        let size = pixelSize
        let kind: String
        switch content {
        case .imageGrid(let grid): kind = "image grid \(grid.rows)x\(grid.columns) of \(grid.images.count) images"
        case .lineChart(let chart): kind = "line chart of " + chart.series.map(\.name).joined(separator: ", ")
        case .modelGraph(let graph): kind = "model graph of \(graph.nodes.count) layers"
        case .panels(let figures): kind = "\(figures.count) panels"
        }
        return "<figure: \(kind), \(size.width)x\(size.height) px\(title.map { ", \"\($0)\"" } ?? "")>"
    }
}

extension Figure: CustomStringConvertible {
    public var description: String { summary }
}
