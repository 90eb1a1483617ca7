import Engine
import Foundation

// The ONNX forms of batch normalisation, the activation layers, padding and up-sampling, the
// depthwise, separable and transposed convolutions and preprocessing. The augmentations, which
// act only in training, are the identity in an exported graph (ONNXExport asks for the ability).

extension ONNXGraphBuilder {
    /// An int64 tensor (pads, slice bounds): ONNX takes those as inputs, not attributes.
    mutating func int64Initializer(_ name: String, _ values: [Int]) -> String {
        let name = unique(name)
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dims = [Int64(values.count)]
        tensor.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        tensor.int64Data = values.map(Int64.init)
        graph.initializer.append(tensor)
        return name
    }

    /// A float attribute.
    func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .float
        attribute.f = value
        return attribute
    }

    func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .string
        attribute.s = Data(value.utf8)
        return attribute
    }

    /// A scalar float constant.
    mutating func scalar(_ name: String, _ value: Float) -> String { initializer(name, [], [value]) }

    /// A per-channel constant that broadcasts over `input`'s layout: shape (C,) channels-last,
    /// (C, 1, …) channels-first.
    mutating func perChannel(_ name: String, _ values: [Float], layout: ONNXValue.Layout, rank: Int) -> String {
        initializer(name, layout == .channelsFirst ? [values.count] + Array(repeating: 1, count: rank) : [values.count], values)
    }

    /// ONNX's pads for a (before, after) per spatial axis, in `layout` (batch and channels unpadded).
    func spatialPads(_ amounts: [(before: Int, after: Int)], layout: ONNXValue.Layout) -> [Int] {
        layout == .channelsFirst
            ? [0, 0] + amounts.map(\.before) + [0, 0] + amounts.map(\.after)
            : [0] + amounts.map(\.before) + [0, 0] + amounts.map(\.after) + [0]
    }
}

extension BatchNormalization: ONNXConvertible {
    /// Inference folds the statistics into one scale and shift per channel: x · a + b with
    /// a = γ / √(σ² + ε), b = β − μ · a, in whichever layout the input is.
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let input = inputs[0], rank = inputShapes[0].count - 1
        let c = gamma.value.count
        var scale = [Float](repeating: 0, count: c), shift = [Float](repeating: 0, count: c)
        for ch in 0..<c {
            scale[ch] = gamma.value[ch] / (movingVariance.value[ch] + epsilon).squareRoot()
            shift[ch] = beta.value[ch] - movingMean.value[ch] * scale[ch]
        }
        let a = graph.perChannel("\(name)/scale", scale, layout: input.layout, rank: rank)
        let b = graph.perChannel("\(name)/shift", shift, layout: input.layout, rank: rank)
        let scaled = graph.emit("Mul", [input.name, a], graph.unique("\(name)/scaled"))
        return ONNXValue(name: graph.emit("Add", [scaled, b], graph.unique(name)), layout: input.layout)
    }
}

extension ReLU: ONNXConvertible {
    /// Relu, Clip for a cap alone, and Where for Keras's threshold and negative slope.
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let x = inputs[0]
        if negativeSlope == 0 && threshold == 0 {
            guard let maxValue else { return ONNXValue(name: graph.emit("Relu", [x.name], graph.unique(name)), layout: x.layout) }
            let low = graph.scalar("\(name)/min", 0), high = graph.scalar("\(name)/max", maxValue)
            return ONNXValue(name: graph.emit("Clip", [x.name, low, high], graph.unique(name)), layout: x.layout)
        }
        let t = graph.scalar("\(name)/threshold", threshold), slope = graph.scalar("\(name)/negative_slope", negativeSlope)
        let above = graph.emit("GreaterOrEqual", [x.name, t], graph.unique("\(name)/above"))
        let shifted = graph.emit("Sub", [x.name, t], graph.unique("\(name)/shifted"))
        let below = graph.emit("Mul", [shifted, slope], graph.unique("\(name)/below"))
        guard let maxValue else {
            return ONNXValue(name: graph.emit("Where", [above, x.name, below], graph.unique(name)), layout: x.layout)
        }
        let middle = graph.emit("Where", [above, x.name, below], graph.unique("\(name)/middle"))
        let cap = graph.scalar("\(name)/max", maxValue)
        let capped = graph.emit("GreaterOrEqual", [x.name, cap], graph.unique("\(name)/capped"))
        return ONNXValue(name: graph.emit("Where", [capped, cap, middle], graph.unique(name)), layout: x.layout)
    }
}

extension LeakyReLU: ONNXConvertible {
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        ONNXValue(name: graph.emit("LeakyRelu", [inputs[0].name], graph.unique(name), attributes: [graph.float("alpha", negativeSlope)]),
                  layout: inputs[0].layout)
    }
}

extension ELU: ONNXConvertible {
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        ONNXValue(name: graph.emit("Elu", [inputs[0].name], graph.unique(name), attributes: [graph.float("alpha", alpha)]),
                  layout: inputs[0].layout)
    }
}

extension Softmax: ONNXConvertible {
    /// Over the channel axis, wherever the layout puts it.
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let axis = inputs[0].layout == .channelsFirst ? 1 : -1
        return ONNXValue(name: graph.emit("Softmax", [inputs[0].name], graph.unique(name), attributes: [graph.int("axis", axis)]),
                         layout: inputs[0].layout)
    }
}

extension PReLU: ONNXConvertible {
    /// α is in Keras's channels-last shape, so the input goes channels-last first.
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let x = graph.channelsLast(inputs[0], rank: inputShapes[0].count - 1)
        let alpha = parameters[0].value
        let slope = graph.initializer("\(name)/alpha", alpha.shape, alpha.scalars)
        return ONNXValue(name: graph.emit("PRelu", [x, slope], graph.unique(name)), layout: .channelsLast)
    }
}

extension ZeroPadding: ONNXConvertible {
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let x = inputs[0]
        let pads = graph.int64Initializer("\(name)/pads", graph.spatialPads(amounts, layout: x.layout))
        return ONNXValue(name: graph.emit("Pad", [x.name, pads], graph.unique(name), attributes: [graph.string("mode", "constant")]),
                         layout: x.layout)
    }
}

extension UpSampling: ONNXConvertible {
    /// Nearest-neighbour Resize with integer scales: asymmetric coordinates and floor rounding
    /// repeat each position exactly.
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let x = graph.channelsFirst(inputs[0], rank: rank)
        let scales = graph.initializer("\(name)/scales", [rank + 2], [1, 1] + size.map(Float.init))
        let out = graph.emit("Resize", [x, "", scales], graph.unique(name),
                             attributes: [graph.string("mode", "nearest"), graph.string("coordinate_transformation_mode", "asymmetric"),
                                          graph.string("nearest_mode", "floor")])
        return ONNXValue(name: out, layout: .channelsFirst)
    }
}

/// What a depthwise ONNX Conv needs of a depthwise or separable layer.
private struct DepthwiseWindow {
    var rank: Int
    var kernelSize: [Int]
    var strides: [Int]
    var padding: Padding
    var dilation: [Int]
    var multiplier: Int
    /// (k…, in, multiplier), named as Keras names it.
    var kernel: Parameter
    var bias: Parameter?
}

/// ONNX Conv of a depthwise kernel (k…, in, multiplier): one group per input channel, weights
/// (in·multiplier, 1, k…) with output channel c·multiplier + m as Keras orders them.
private func depthwiseConv(_ graph: inout ONNXGraphBuilder, _ w: DepthwiseWindow, layer: String, input x: String,
                           inputShape: [Int], outputShape: [Int], name: String) -> String {
    let kernel = w.kernel.value, window = w.kernelSize.reduce(1, *), c = kernel.shape[w.rank], m = w.multiplier
    var values = [Float](repeating: 0, count: kernel.count)
    for k in 0..<window {
        for ch in 0..<c {
            for j in 0..<m { values[(ch * m + j) * window + k] = kernel[flat: (k * c + ch) * m + j] }
        }
    }
    var operands = [x, graph.initializer("\(layer)/\(w.kernel.name)", [c * m, 1] + w.kernelSize, values)]
    if let bias = w.bias { operands.append(graph.initializer("\(layer)/bias", bias.value.shape, bias.value.scalars)) }
    let span = zip(w.kernelSize, w.dilation).map { $1 * ($0 - 1) + 1 }
    let pads = graph.explicitPads(w.padding, input: Array(inputShape.prefix(w.rank)), window: span,
                                  strides: w.strides, output: Array(outputShape.prefix(w.rank)))
    return graph.emit("Conv", operands, name,
                      attributes: [graph.ints("kernel_shape", w.kernelSize), graph.ints("strides", w.strides),
                                   graph.ints("pads", pads), graph.ints("dilations", w.dilation), graph.int("group", c)])
}

extension DepthwiseConvolution: ONNXConvertible {
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let x = graph.channelsFirst(inputs[0], rank: rank)
        let window = DepthwiseWindow(rank: rank, kernelSize: kernelSize, strides: strides, padding: padding, dilation: dilation,
                                     multiplier: depthMultiplier, kernel: parameters[0], bias: useBias ? parameters[1] : nil)
        let out = depthwiseConv(&graph, window, layer: name, input: x, inputShape: inputShapes[0], outputShape: outputShape,
                                name: activation == .linear ? graph.unique(name) : graph.unique("\(name)/conv"))
        return ONNXValue(name: graph.activation(activation, out, name: name, channelAxis: 1), layout: .channelsFirst)
    }
}

extension SeparableConvolution: ONNXConvertible {
    /// The depthwise Conv (grouped, no bias), then a 1x1 Conv with the pointwise kernel and bias.
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let x = graph.channelsFirst(inputs[0], rank: rank)
        let window = DepthwiseWindow(rank: rank, kernelSize: kernelSize, strides: strides, padding: padding, dilation: dilation,
                                     multiplier: depthMultiplier, kernel: parameters[0], bias: nil)
        let middleShape = Array(outputShape.prefix(rank)) + [inputShapes[0][rank] * depthMultiplier]
        let middle = depthwiseConv(&graph, window, layer: name, input: x, inputShape: inputShapes[0], outputShape: middleShape,
                                   name: graph.unique("\(name)/depthwise"))
        let pointwise = parameters[1].value
        var operands = [middle, graph.initializer("\(name)/pointwise_kernel", graph.kerasKernelToONNX(pointwise, rank: rank))]
        if useBias { operands.append(graph.initializer("\(name)/bias", parameters[2].value.shape, parameters[2].value.scalars)) }
        let ones = Array(repeating: 1, count: rank)
        let out = graph.emit("Conv", operands, activation == .linear ? graph.unique(name) : graph.unique("\(name)/pointwise"),
                             attributes: [graph.ints("kernel_shape", ones), graph.ints("strides", ones),
                                          graph.ints("pads", Array(repeating: 0, count: 2 * rank)), graph.int("group", 1)])
        return ONNXValue(name: graph.activation(activation, out, name: name, channelAxis: 1), layout: .channelsFirst)
    }
}

extension ConvolutionTranspose: ONNXConvertible {
    /// ConvTranspose with weights (in, filters, k…), the pads of the convolution it transposes,
    /// and output padding where Keras's output is longer than ONNX's (a kernel shorter than its stride).
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let x = graph.channelsFirst(inputs[0], rank: rank)
        let kernel = parameters[0].value, window = kernelSize.reduce(1, *), cin = kernel.shape[rank + 1]
        var values = [Float](repeating: 0, count: kernel.count)
        for k in 0..<window {
            for f in 0..<filters {
                for i in 0..<cin { values[(i * filters + f) * window + k] = kernel[flat: (k * filters + f) * cin + i] }
            }
        }
        var operands = [x, graph.initializer("\(name)/kernel", [cin, filters] + kernelSize, values)]
        if useBias { operands.append(graph.initializer("\(name)/bias", parameters[1].value.shape, parameters[1].value.scalars)) }
        var begin: [Int] = [], end: [Int] = [], extra: [Int] = []
        for axis in 0..<rank {
            let n = inputShapes[0][axis], k = kernelSize[axis], s = strides[axis], out = outputShape[axis]
            // ONNX's length before padding: s·(n − 1) + k.
            let total = s * (n - 1) + k - out
            let before = padding == .same ? max(total, 0) / 2 : 0
            begin.append(before)
            end.append(max(total, 0) - before)
            extra.append(max(-total, 0))
        }
        let out = graph.emit("ConvTranspose", operands, activation == .linear ? graph.unique(name) : graph.unique("\(name)/conv"),
                             attributes: [graph.ints("kernel_shape", kernelSize), graph.ints("strides", strides),
                                          graph.ints("pads", begin + end), graph.ints("output_padding", extra), graph.int("group", 1)])
        return ONNXValue(name: graph.activation(activation, out, name: name, channelAxis: 1), layout: .channelsFirst)
    }
}

extension Rescaling: ONNXConvertible {
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let x = inputs[0]
        let scaled = graph.emit("Mul", [x.name, graph.scalar("\(name)/scale", scale)], graph.unique("\(name)/scaled"))
        return ONNXValue(name: graph.emit("Add", [scaled, graph.scalar("\(name)/offset", offset)], graph.unique(name)), layout: x.layout)
    }
}

/// Bilinear Resize of a channels-first image tensor with half-pixel centres, as Keras resizes.
private func bilinearResize(_ graph: inout ONNXGraphBuilder, _ x: String, from size: (Int, Int), to target: (Int, Int),
                            name: String) -> String {
    let scales = graph.initializer("\(name)/scales", [4], [1, 1, Float(target.0) / Float(size.0), Float(target.1) / Float(size.1)])
    return graph.emit("Resize", [x, "", scales], name,
                      attributes: [graph.string("mode", "linear"), graph.string("coordinate_transformation_mode", "half_pixel")])
}

extension Resizing: ONNXConvertible {
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let x = graph.channelsFirst(inputs[0], rank: 2)
        return ONNXValue(name: bilinearResize(&graph, x, from: (inputShapes[0][0], inputShapes[0][1]), to: (height, width),
                                              name: graph.unique(name)),
                         layout: .channelsFirst)
    }
}

extension CenterCrop: ONNXConvertible {
    /// Slice of the central window; an image smaller than the target is cut to its aspect
    /// ratio and resized, as Keras's smart_resize does.
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let x = graph.channelsFirst(inputs[0], rank: 2)
        let inH = inputShapes[0][0], inW = inputShapes[0][1]
        let fits = inH >= height && inW >= width
        let cropH = fits ? height : min(inH, Int(Double(inW) * Double(height) / Double(width)))
        let cropW = fits ? width : min(inW, Int(Double(inH) * Double(width) / Double(height)))
        let top = (inH - cropH) / 2, left = (inW - cropW) / 2
        let starts = graph.int64Initializer("\(name)/starts", [top, left])
        let ends = graph.int64Initializer("\(name)/ends", [top + cropH, left + cropW])
        let axes = graph.int64Initializer("\(name)/axes", [2, 3])
        let cropped = graph.emit("Slice", [x, starts, ends, axes], fits ? graph.unique(name) : graph.unique("\(name)/crop"))
        guard !fits else { return ONNXValue(name: cropped, layout: .channelsFirst) }
        return ONNXValue(name: bilinearResize(&graph, cropped, from: (cropH, cropW), to: (height, width), name: graph.unique(name)),
                         layout: .channelsFirst)
    }
}
