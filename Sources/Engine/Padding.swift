import EngineKernels
import Basics
/// How a sliding window treats the input's borders, as Keras names it.
public enum Padding: String, CaseIterable, Sendable {
    /// Only windows that fit wholly inside the input: output = floor((in - k) / s) + 1.
    case valid
    /// Zero-pad so that output = ceil(in / s); TensorFlow puts the odd extra pad after.
    case same
}

/// A layer setting that cannot work, with what would fix it (a filter count of 0, a dropout
/// rate of 1.5, a 4D convolution).
public typealias ConfigurationError = Problem

/// Where a sliding window (convolution or pooling) goes along up to three spatial axes.
/// Lower ranks use the trailing axes, with the leading ones of size 1: a 1D layer over
/// (W, C) is a 3D one over (1, 1, W, C). Axis order is (depth, height, width).
struct WindowGeometry: Equatable {
    var input: (Int, Int, Int)
    var window: (Int, Int, Int)
    var stride: (Int, Int, Int)
    var padBefore: (Int, Int, Int)
    var output: (Int, Int, Int)
    var channels: Int
    /// Keras's `dilation_rate`: window element k sits k · dilation inputs from the first.
    var dilation = (1, 1, 1)

    static func == (a: WindowGeometry, b: WindowGeometry) -> Bool {
        a.input == b.input && a.window == b.window && a.stride == b.stride
            && a.padBefore == b.padBefore && a.output == b.output && a.channels == b.channels
            && a.dilation == b.dilation
    }

    var isDilated: Bool { dilation != (1, 1, 1) }

    var inputPositions: Int { input.0 * input.1 * input.2 }
    var outputPositions: Int { output.0 * output.1 * output.2 }
    var windowSize: Int { window.0 * window.1 * window.2 }
    /// True when the window is one element with stride 1 and no padding: the input is its
    /// own im2col matrix.
    var isPointwise: Bool {
        windowSize == 1 && stride == (1, 1, 1) && padBefore == (0, 0, 0) && output == input
    }
    /// The geometry as the C loops (EngineKernels) take it.
    var kernelWindow: cnnb_window {
        func int3(_ t: (Int, Int, Int)) -> (Int32, Int32, Int32) { (Int32(t.0), Int32(t.1), Int32(t.2)) }
        return cnnb_window(channels: Int32(channels), input: int3(input), window: int3(window), stride: int3(stride),
                           pad: int3(padBefore), dilation: int3(dilation), output: int3(output))
    }
    var outputSpatialShape: [Int] { [output.0, output.1, output.2] }
    var inputSpatialShape: [Int] { [input.0, input.1, input.2] }

    /// Output size and leading pad of one axis, as TensorFlow computes them.
    static func axis(input: Int, window: Int, stride: Int, padding: Padding) -> (output: Int, padBefore: Int)? {
        switch padding {
        case .valid:
            guard input >= window else { return nil }
            return ((input - window) / stride + 1, 0)
        case .same:
            let output = (input + stride - 1) / stride
            let total = max((output - 1) * stride + window - input, 0)
            return (output, total / 2)
        }
    }

    /// Geometry of a window layer of `rank` over `inputShape` (spatial axes then channels).
    /// `layer` names the layer in error messages.
    static func make(layer: String, rank: Int, inputShape: [Int], window: [Int], strides: [Int],
                     padding: Padding, dilation: [Int]? = nil) throws(ShapeError) -> WindowGeometry {
        let dilation = dilation ?? Array(repeating: 1, count: rank)
        // A dilated window spans d · (k − 1) + 1 inputs; the output size follows that span.
        let span = zip(window, dilation).map { $1 * ($0 - 1) + 1 }
        guard inputShape.count == rank + 1 else {
            throw ShapeError("\(layer) expects inputs of rank \(rank + 1) (\(spatialWords(rank)), channels) but got shape \(kerasTupleText(inputShape))",
                             hint: rankHint(rank: rank, inputRank: inputShape.count))
        }
        guard inputShape.allSatisfy({ $0 > 0 }) else {
            throw ShapeError("\(layer) got an empty input of shape \(kerasTupleText(inputShape))")
        }
        var sizes = [1, 1, 1], windows = [1, 1, 1], steps = [1, 1, 1], outputs = [1, 1, 1], pads = [0, 0, 0]
        var dilations = [1, 1, 1]
        for i in 0..<rank {
            let axis = 3 - rank + i
            sizes[axis] = inputShape[i]
            windows[axis] = window[i]
            steps[axis] = strides[i]
            dilations[axis] = dilation[i]
            guard let (output, pad) = WindowGeometry.axis(input: inputShape[i], window: span[i], stride: strides[i], padding: padding) else {
                let what = span == window ? "window \(kerasTupleText(window))" : "dilated window \(kerasTupleText(window)) (spanning \(kerasTupleText(span)))"
                throw ShapeError("\(layer): \(what) is larger than the input \(kerasTupleText(Array(inputShape.prefix(rank)))) with padding valid (axis \(i + 1): \(span[i]) > \(inputShape[i]))",
                                 hint: "use padding same, a smaller window, or a larger input")
            }
            outputs[axis] = output
            pads[axis] = pad
        }
        return WindowGeometry(input: (sizes[0], sizes[1], sizes[2]), window: (windows[0], windows[1], windows[2]),
                              stride: (steps[0], steps[1], steps[2]), padBefore: (pads[0], pads[1], pads[2]),
                              output: (outputs[0], outputs[1], outputs[2]), channels: inputShape[rank],
                              dilation: (dilations[0], dilations[1], dilations[2]))
    }

    private static func spatialWords(_ rank: Int) -> String {
        switch rank {
        case 1: return "steps"
        case 2: return "height, width"
        default: return "depth, height, width"
        }
    }

    private static func rankHint(rank: Int, inputRank: Int) -> String {
        let needed = rank + 1
        if inputRank == 1 { return "a \(rank)D layer needs spatial axes; a flat vector only fits dense layers" }
        let suffix = inputRank - 1 >= 1 && inputRank - 1 <= 3 ? " (use the \(inputRank - 1)D form of this layer)" : ""
        return "give an input with \(needed) axes excluding the batch\(suffix)"
    }
}

/// Expands Keras's "one int for every axis" form and checks the values are positive.
func expandSizes(_ values: [Int], rank: Int, what: String) throws(ConfigurationError) -> [Int] {
    let expanded = values.count == 1 ? Array(repeating: values[0], count: rank) : values
    guard expanded.count == rank else {
        throw ConfigurationError("\(what) \(kerasTupleText(values)) has \(values.count) values but the layer is \(rank)D",
                                 hint: "give one value, or \(rank) values (one per spatial axis)")
    }
    guard expanded.allSatisfy({ $0 > 0 }) else {
        throw ConfigurationError("\(what) \(kerasTupleText(values)) must be positive on every axis")
    }
    return expanded
}

func checkRank(_ rank: Int, layer: String) throws(ConfigurationError) {
    guard (1...3).contains(rank) else {
        throw ConfigurationError("\(layer) exists in 1D, 2D and 3D, not \(rank)D")
    }
}

/// Keras refuses a stride above 1 together with a dilation above 1 on any axis.
func checkStridesWithDilation(_ strides: [Int], _ dilation: [Int], layer: String) throws(ConfigurationError) {
    if strides.contains(where: { $0 > 1 }) && dilation.contains(where: { $0 > 1 }) {
        throw ConfigurationError("\(layer) cannot take strides \(kerasTupleText(strides)) together with dilation_rate \(kerasTupleText(dilation))",
                                 hint: "Keras allows a stride above 1 or a dilation above 1, not both: use stride 1, or dilation 1")
    }
}

/// Keras's `dilation_rate` constructor argument, written only when a window is dilated (it
/// defaults to 1, and most layers a person reads have none).
func dilationArgument(_ dilation: [Int]) -> [(key: String, value: PythonValue)] {
    dilation.allSatisfy { $0 == 1 } ? [] : [("dilation_rate", .ints(dilation))]
}
