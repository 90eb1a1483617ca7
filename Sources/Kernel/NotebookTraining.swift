import Foundation
import Language
import Render

/// Training shown in a notebook: one display that `fit` updates in place (Jupyter's
/// `display_id` and `update_display_data`), holding the progress lines, the running epoch's
/// line redrawn at most every 100 ms, and after each epoch a chart of loss and accuracy.
final class NotebookTraining: TrainingObserver {
    let isLive = true
    /// Publishes `display_data` (first) or `update_display_data` (after) on iopub.
    private let display: LiveDisplay
    private var lines: [String] = []
    private var liveLine: String?
    private var lastShown = Date.distantPast
    private var history: [String: [Double]] = [:]
    private var metricOrder: [String] = []
    private var chartPNG: String?
    static let interval: TimeInterval = 0.1

    init(publish: @escaping (_ type: String, _ content: [String: Any]) -> Void) {
        display = LiveDisplay(publish: publish)
    }

    /// Called before each cell: a training in it starts a display of its own.
    func reset() {
        display.reset()
        lines.removeAll()
        liveLine = nil
        history.removeAll()
        metricOrder.removeAll()
        chartPNG = nil
    }

    func line(_ text: String) {
        // `Epoch 1/N` starts a new fit: a second fit in one cell gets a display of its own.
        if text.hasPrefix("Epoch 1/") && !lines.isEmpty { reset() }
        lines.append(text)
        liveLine = nil
        show()
    }

    func live(_ text: String) {
        liveLine = text
        guard Date().timeIntervalSince(lastShown) >= NotebookTraining.interval else { return }
        show()
    }

    func epochEnded(_ epoch: Int, metrics: [(String, Double)]) {
        for (name, value) in metrics {
            if history[name] == nil { metricOrder.append(name) }
            history[name, default: []].append(value)
        }
        chartPNG = chart()?.base64EncodedString()
        show()
    }

    /// Loss on the left, accuracy (when measured) on the right, per epoch.
    private func chart() -> Data? {
        func panel(_ names: [String], label: String) -> Figure? {
            let series = names.compactMap { name in history[name].flatMap { try? ChartSeries(name: name, y: $0, x: (0..<$0.count).map(Double.init)) } }
            guard !series.isEmpty, let chart = try? LineChart(series: series, xLabel: "Epoch", yLabel: label, legendCorner: .upperRight) else { return nil }
            return .lineChart(chart)
        }
        let panels = [panel(metricOrder.filter { $0.hasSuffix("loss") }, label: "loss"),
                      panel(metricOrder.filter { $0.hasSuffix("accuracy") }, label: "accuracy")].compactMap { $0 }
        guard !panels.isEmpty, let figure = panels.count == 1 ? panels[0] : try? Figure.panels(panels) else { return nil }
        return try? figure.pngData()
    }

    private func show() {
        lastShown = Date()
        let text = (lines + (liveLine.map { [$0] } ?? [])).joined(separator: "\n")
        let chart = chartPNG.map { "\n<img src=\"data:image/png;base64,\($0)\" alt=\"loss and accuracy by epoch\">" } ?? ""
        display.show(LiveDisplay.text(text, html: chart))
    }
}
