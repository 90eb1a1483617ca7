import Basics
import Engine
import Render

/// The shape arithmetic of one layer on one input, written out step by step with the numbers
/// filled in: what `explain` prints.
struct Explanation {
    let layer: any Layer
    let inputShape: [Int]
    let outputShape: [Int]

    private static let axisNames = [1: ["length"], 2: ["height", "width"], 3: ["depth", "height", "width"]]

    var text: String {
        var lines = ["\(layer.typeName) on an input of \(kerasShapeText(inputShape))"]
        if let conv = layer as? Convolution {
            lines += windowLines(window: conv.kernelSize, strides: conv.strides, padding: conv.padding, what: "kernel")
            let channels = inputShape[inputShape.count - 1]
            lines.append("channels: one per filter: \(channels) in → \(conv.filters) out")
            let kernelVolume = conv.kernelSize.reduce(1, *) * channels
            let weights = kernelVolume * conv.filters
            let biases = conv.useBias ? conv.filters : 0
            lines.append("parameters: \(sizeText(conv.kernelSize)) x \(channels) x \(conv.filters) weights + \(biases) biases"
                         + " = \(grouped(weights)) + \(biases) = \(grouped(weights + biases))")
            let positions = outputShape.dropLast().reduce(1, *)
            lines.append("multiply-adds: \(outputShape.dropLast().map(String.init).joined(separator: " x ")) positions"
                         + " x \(conv.filters) filters x \(kernelVolume) each = \(grouped(positions * conv.filters * kernelVolume))")
            if conv.activation != .linear { lines.append("activation: \(conv.activation.rawValue), applied to every output value") }
        } else if let pool = layer as? Pooling {
            lines += windowLines(window: pool.poolSize, strides: pool.strides, padding: pool.padding, what: "pool window")
            lines.append("channels: pooled one by one, \(inputShape[inputShape.count - 1]) in → \(outputShape[outputShape.count - 1]) out")
            lines.append("each output is the \(pool.kind == .max ? "largest" : "mean") of its \(sizeText(pool.poolSize)) window"
                         + (pool.padding == .same ? " (padded cells are left out)" : ""))
            lines.append("parameters: 0")
        } else if let global = layer as? GlobalPooling {
            let axes = inputShape.dropLast().map(String.init).joined(separator: " x ")
            lines.append("each of the \(inputShape[inputShape.count - 1]) channels becomes one number: the \(global.kind == .max ? "largest" : "mean") of its \(axes) values")
            lines.append("parameters: 0")
        } else if let dense = layer as? Dense {
            let inputs = inputShape[inputShape.count - 1]
            lines.append("every one of the \(dense.units) units sees all \(inputs) inputs of the last axis")
            let biases = dense.useBias ? dense.units : 0
            lines.append("parameters: \(inputs) x \(dense.units) weights + \(biases) biases = \(grouped(inputs * dense.units + biases))")
            lines.append("multiply-adds: \(grouped(layer.multiplyAdds(for: inputShape)))")
        } else if layer is Flatten {
            lines.append("values laid out in one row: \(inputShape.map(String.init).joined(separator: " x ")) = \(grouped(inputShape.reduce(1, *)))")
            lines.append("parameters: 0")
        } else {
            lines.append("the shape is unchanged; parameters: \(layer.parameterCount)")
        }
        lines.append("output: \(kerasShapeText(outputShape))")
        return lines.joined(separator: "\n")
    }

    /// One line per spatial axis: the input size, the padding split and the output formula.
    private func windowLines(window: [Int], strides: [Int], padding: Padding, what: String) -> [String] {
        let rank = window.count
        let names = Explanation.axisNames[rank] ?? (0..<rank).map { "axis \($0 + 1)" }
        var lines = ["\(what) \(sizeText(window)), stride \(sizeText(strides)), padding \(padding.rawValue)"]
        for axis in 0..<rank {
            let n = inputShape[axis], k = window[axis], s = strides[axis]
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

    private func sizeText(_ values: [Int]) -> String { values.map(String.init).joined(separator: "x") }
    private func grouped(_ value: Int) -> String { Render.ModelSummary.grouped(value) }
}
