import Basics
import Engine
import Render

/// The shape arithmetic of one layer on one input, written out step by step with the numbers
/// filled in: what `explain` prints.
struct Explanation {
    let layer: any Layer
    let definition: LayerDefinition
    let inputShape: [Int]
    let outputShape: [Int]

    private static let axisNames = [1: ["length"], 2: ["height", "width"], 3: ["depth", "height", "width"]]

    var text: String {
        var lines = ["\(layer.typeName) on an input of \(kerasShapeText(inputShape))"]
        if let windowed = layer as? WindowedLayer {
            // A window with weights is a kernel; one without (pooling) only picks or averages.
            lines += windowLines(window: windowed.window, strides: windowed.strides, padding: windowed.padding,
                                 dilation: windowed.dilation, what: layer.parameters.isEmpty ? "pool window" : "kernel")
        }
        if let explain = definition.explain {
            lines += explain(layer, self)
        } else {
            lines.append((inputShape == outputShape ? "the shape is unchanged; " : "") + "parameters: \(grouped(layer.parameterCount))")
        }
        lines.append("output: \(kerasShapeText(outputShape))")
        return lines.joined(separator: "\n")
    }

    /// One line per spatial axis: the input size, the padding split and the output formula.
    /// A dilated window of k spans d · (k − 1) + 1 inputs, and the formulas use that span.
    private func windowLines(window: [Int], strides: [Int], padding: Padding, dilation: [Int], what: String) -> [String] {
        let rank = window.count
        let names = Explanation.axisNames[rank] ?? (0..<rank).map { "axis \($0 + 1)" }
        let span = zip(window, dilation).map { $1 * ($0 - 1) + 1 }
        var lines = ["\(what) \(sizeText(window)), stride \(sizeText(strides)), padding \(padding.rawValue)"]
        if span != window {
            lines.append("dilation \(sizeText(dilation)): the \(sizeText(window)) window spans \(sizeText(span)) inputs")
        }
        for axis in 0..<rank {
            let n = inputShape[axis], k = span[axis], s = strides[axis]
            let name = names[axis].padding(toLength: 7, withPad: " ", startingAt: 0)
            switch padding {
            case .valid:
                let out = n >= k ? (n - k) / s + 1 : 0
                lines.append("\(name) valid: no padding; output = floor((\(n) - \(k)) / \(s)) + 1 = \(out)"
                             + (n >= k && (n - k) % s != 0 ? " (the last \((n - k) % s) of \(n) are not covered)" : ""))
            case .same:
                let out = (n + s - 1) / s
                let total = max((out - 1) * s + k - n, 0)
                let before = total / 2
                lines.append("\(name) same: output = ceil(\(n) / \(s)) = \(out); padding = max((\(out) - 1) x \(s) + \(k) - \(n), 0) = \(total)"
                             + " → \(before) before, \(total - before) after")
            }
        }
        return lines
    }

    func sizeText(_ values: [Int]) -> String { values.map(String.init).joined(separator: "x") }
    func grouped(_ value: Int) -> String { Render.ModelSummary.grouped(value) }
}
