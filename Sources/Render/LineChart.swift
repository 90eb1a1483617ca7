import Foundation

/// One named line of a chart: y values at x positions (x defaults to 0, 1, 2, ... like
/// matplotlib's `plt.plot(values)`). Non-finite values leave a gap.
public struct ChartSeries: Equatable, Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]

    public init(name: String, y: [Double], x: [Double]? = nil) throws {
        if let x, x.count != y.count {
            throw RenderError.invalidInput("series \"\(name)\" has \(x.count) x values but \(y.count) y values; give one x per y")
        }
        self.name = name
        self.y = y
        self.x = x ?? y.indices.map(Double.init)
    }
}

/// Where the legend sits inside the plot area.
public enum LegendCorner: String, Equatable, Sendable, CaseIterable {
    case upperLeft = "upper left"
    case upperRight = "upper right"
    case lowerLeft = "lower left"
    case lowerRight = "lower right"
}

/// Several series over shared axes with ticks, axis labels and a legend, drawn like matplotlib's
/// defaults (tab10 colours, 640x480 pixels).
public struct LineChart: Sendable {
    public var series: [ChartSeries]
    public var xLabel: String
    public var yLabel: String
    public var legendCorner: LegendCorner
    public var width: Int
    public var height: Int
    /// Markers are drawn on each point when no series has more than this many points.
    public var markerLimit: Int

    public init(series: [ChartSeries], xLabel: String = "", yLabel: String = "",
                legendCorner: LegendCorner = .lowerRight, width: Int = 640, height: Int = 480) throws {
        guard !series.isEmpty else { throw RenderError.invalidInput("a chart needs at least one series") }
        guard series.contains(where: { s in zip(s.x, s.y).contains { $0.isFinite && $1.isFinite } }) else {
            throw RenderError.invalidInput("a chart needs at least one finite point to draw")
        }
        guard (200...8000).contains(width), (150...8000).contains(height) else {
            throw RenderError.invalidInput("a chart must be 200...8000 x 150...8000 pixels, got \(width)x\(height)")
        }
        self.series = series
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.legendCorner = legendCorner
        self.width = width
        self.height = height
        self.markerLimit = 30
    }

    static let tickSize = 12.0
    static let labelSize = 13.0
    static let legendSize = 12.0

    /// The data's range widened by 5% on each side, as matplotlib's autoscaling does.
    private func limits(_ values: [Double]) -> (Double, Double) {
        let finite = values.filter(\.isFinite)
        guard var low = finite.min(), var high = finite.max() else { return (0, 1) }
        if low == high {
            let pad = low == 0 ? 1 : abs(low) * 0.05
            low -= pad
            high += pad
            return (low, high)
        }
        let pad = (high - low) * 0.05
        return (low - pad, high + pad)
    }

    public func scene() -> Scene {
        var scene = Scene(width: width, height: height)
        let xs = series.flatMap(\.x), ys = series.flatMap(\.y)
        let (xLow, xHigh) = limits(xs)
        let (yLow, yHigh) = limits(ys)
        let integerX = xs.allSatisfy { !$0.isFinite || $0 == $0.rounded() }
        let xTicks = ChartTicks(low: xLow, high: xHigh, maximumCount: 9, integersOnly: integerX)
        let yTicks = ChartTicks(low: yLow, high: yHigh, maximumCount: 8, integersOnly: false)

        // Margins leave room for tick labels and axis labels.
        let yLabelWidth = yTicks.labels.map { TextMetrics.width($0, size: LineChart.tickSize) }.max() ?? 0
        let left = (16 + (yLabel.isEmpty ? 0 : LineChart.labelSize + 10) + yLabelWidth + 10).rounded()
        let right = Double(width) - 24
        let top = 20.0
        let bottom = (Double(height) - 20 - (xLabel.isEmpty ? 0 : LineChart.labelSize + 8) - LineChart.tickSize - 10).rounded()
        func px(_ x: Double) -> Double { left + (x - xLow) / (xHigh - xLow) * (right - left) }
        func py(_ y: Double) -> Double { bottom - (y - yLow) / (yHigh - yLow) * (bottom - top) }

        // Faint grid, then the frame and ticks on top of it.
        let gridColour = Colour(hex: 0xEBEBEB)
        for (value, label) in zip(xTicks.values, xTicks.labels) {
            let x = px(value).rounded() + 0.5
            scene.line(Point(x, top), Point(x, bottom), colour: gridColour)
            scene.line(Point(x, bottom), Point(x, bottom + 5), colour: .ink)
            scene.text(label, x: x, baseline: bottom + 8 + LineChart.tickSize, size: LineChart.tickSize, anchor: .middle)
        }
        for (value, label) in zip(yTicks.values, yTicks.labels) {
            let y = py(value).rounded() + 0.5
            scene.line(Point(left, y), Point(right, y), colour: gridColour)
            scene.line(Point(left - 5, y), Point(left, y), colour: .ink)
            scene.text(label, x: left - 8, baseline: y + LineChart.tickSize * 0.36, size: LineChart.tickSize, anchor: .end)
        }
        scene.add(.rectangle(x: left + 0.5, y: top + 0.5, width: right - left - 1, height: bottom - top - 1,
                             fill: nil, stroke: .ink, lineWidth: 1, cornerRadius: 0))
        if !xLabel.isEmpty {
            scene.text(xLabel, x: (left + right) / 2, baseline: Double(height) - 14, size: LineChart.labelSize, anchor: .middle)
        }
        if !yLabel.isEmpty {
            scene.text(yLabel, x: 16 + LineChart.labelSize, baseline: (top + bottom) / 2, size: LineChart.labelSize,
                       anchor: .middle, rotation: -90)
        }

        let showMarkers = series.allSatisfy { $0.y.count <= markerLimit }
        for (index, line) in series.enumerated() {
            let colour = Colour.series(index)
            var run: [Point] = []
            func flush() {
                if run.count > 1 { scene.add(.polyline(points: run, colour: colour, lineWidth: 2)) }
                run.removeAll()
            }
            for (x, y) in zip(line.x, line.y) {
                if x.isFinite && y.isFinite { run.append(Point(px(x), py(y))) } else { flush() }
            }
            flush()
            if showMarkers {
                for (x, y) in zip(line.x, line.y) where x.isFinite && y.isFinite {
                    scene.add(.circle(centre: Point(px(x), py(y)), radius: 3.5, fill: colour))
                }
            }
        }
        drawLegend(into: &scene, plot: (left, top, right, bottom), markers: showMarkers)
        return scene
    }

    private func drawLegend(into scene: inout Scene, plot: (Double, Double, Double, Double), markers: Bool) {
        let (left, top, right, bottom) = plot
        let names = series.map(\.name)
        guard names.contains(where: { !$0.isEmpty }) else { return }
        let rowHeight = LineChart.legendSize + 8
        let sample = 28.0
        let textWidth = names.map { TextMetrics.width($0, size: LineChart.legendSize) }.max() ?? 0
        let boxWidth = (8 + sample + 8 + textWidth + 10).rounded(.up)
        let boxHeight = (Double(names.count) * rowHeight + 8).rounded(.up)
        let inset = 10.0
        let x: Double, y: Double
        switch legendCorner {
        case .upperLeft: (x, y) = (left + inset, top + inset)
        case .upperRight: (x, y) = (right - inset - boxWidth, top + inset)
        case .lowerLeft: (x, y) = (left + inset, bottom - inset - boxHeight)
        case .lowerRight: (x, y) = (right - inset - boxWidth, bottom - inset - boxHeight)
        }
        // matplotlib's legend frame: framealpha 0.8, so lines under the legend still show.
        scene.add(.rectangle(x: x.rounded() + 0.5, y: y.rounded() + 0.5, width: boxWidth, height: boxHeight,
                             fill: Colour.white.withOpacity(0.8), stroke: Colour(hex: 0xCCCCCC).withOpacity(0.8),
                             lineWidth: 1, cornerRadius: 4))
        for (index, name) in names.enumerated() {
            let centreY = y + 4 + rowHeight * (Double(index) + 0.5)
            let colour = Colour.series(index)
            scene.add(.polyline(points: [Point(x + 8, centreY), Point(x + 8 + sample, centreY)], colour: colour, lineWidth: 2))
            if markers {
                scene.add(.circle(centre: Point(x + 8 + sample / 2, centreY), radius: 3.5, fill: colour))
            }
            scene.text(name, x: x + 8 + sample + 8, baseline: centreY + LineChart.legendSize * 0.36, size: LineChart.legendSize)
        }
    }
}

/// Round tick positions (1, 2, 2.5 or 5 times a power of ten) inside a range, with labels that
/// all show the same number of decimals.
public struct ChartTicks: Sendable {
    public let values: [Double]
    public let labels: [String]

    public init(low: Double, high: Double, maximumCount: Int, integersOnly: Bool) {
        let span = max(high - low, 1e-12)
        let raw = span / Double(max(2, maximumCount - 1))
        let magnitude = pow(10, floor(log10(raw)))
        var step = magnitude * 10
        for factor in [1.0, 2.0, 2.5, 5.0, 10.0] where factor * magnitude >= raw * (1 - 1e-9) {
            step = factor * magnitude
            break
        }
        if integersOnly { step = max(1, step.rounded(.up)) }
        var values: [Double] = []
        var k = (low / step).rounded(.up)
        while k * step <= high + step * 1e-9 {
            values.append(k * step == 0 ? 0 : k * step)
            k += 1
        }
        var decimals = max(0, Int(-floor(log10(step) + 1e-9)))
        if (step / pow(10, floor(log10(step) + 1e-9))).truncatingRemainder(dividingBy: 1) > 1e-9 { decimals += 1 }
        self.values = values
        self.labels = values.map { String(format: "%.\(decimals)f", $0) }
    }

    /// A short label for one value (colour bar ends): up to four significant digits.
    public static func label(_ value: Double) -> String {
        String(format: "%.4g", value)
    }
}
