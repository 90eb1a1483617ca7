import Engine

// Each layer's ONNX form. Convolutions and pooling run channels-first, as ONNX defines them;
// the builder transposes a tensor once when a layer needs the other layout.

extension Convolution: ONNXConvertible {
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let x = graph.channelsFirst(inputs[0], rank: rank)
        let (kernel, bias) = (parameters[0].value, useBias ? parameters[1].value : nil)
        let w = graph.initializer("\(name)/kernel", graph.kerasKernelToONNX(kernel, rank: rank))
        var operands = [x, w]
        if let bias { operands.append(graph.initializer("\(name)/bias", bias.shape, bias.scalars)) }
        // A dilated kernel pads for the span it covers.
        let pads = graph.explicitPads(padding, input: Array(inputShapes[0].prefix(rank)), window: zip(kernelSize, dilation).map { $1 * ($0 - 1) + 1 },
                                      strides: strides, output: Array(outputShape.prefix(rank)))
        let out = graph.emit("Conv", operands, activation == .linear ? graph.unique(name) : graph.unique("\(name)/conv"),
                             attributes: [graph.ints("kernel_shape", kernelSize), graph.ints("strides", strides),
                                          graph.ints("pads", pads), graph.ints("dilations", dilation), graph.int("group", 1)])
        return ONNXValue(name: graph.activation(activation, out, name: name, channelAxis: 1), layout: .channelsFirst)
    }
}

extension Pooling: ONNXConvertible {
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let x = graph.channelsFirst(inputs[0], rank: rank)
        let pads = graph.explicitPads(padding, input: Array(inputShapes[0].prefix(rank)), window: poolSize,
                                      strides: strides, output: Array(outputShape.prefix(rank)))
        var attributes = [graph.ints("kernel_shape", poolSize), graph.ints("strides", strides), graph.ints("pads", pads)]
        // Keras averages over the real elements only.
        if kind == .average { attributes.append(graph.int("count_include_pad", 0)) }
        let out = graph.emit(kind == .max ? "MaxPool" : "AveragePool", [x], graph.unique(name), attributes: attributes)
        return ONNXValue(name: out, layout: .channelsFirst)
    }
}

extension GlobalPooling: ONNXConvertible {
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let x = graph.channelsFirst(inputs[0], rank: rank)
        let pooled = graph.emit(kind == .max ? "GlobalMaxPool" : "GlobalAveragePool", [x], graph.unique("\(name)/pool"))
        return ONNXValue(name: graph.emit("Flatten", [pooled], graph.unique(name), attributes: [graph.int("axis", 1)]),
                         layout: .channelsLast)
    }
}

extension Flatten: ONNXConvertible {
    /// Flattens channels-last, so features are ordered as Keras orders them and Dense kernels need no change.
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let x = graph.channelsLast(inputs[0], rank: inputShapes[0].count - 1)
        return ONNXValue(name: graph.emit("Flatten", [x], graph.unique(name), attributes: [graph.int("axis", 1)]),
                         layout: .channelsLast)
    }
}

extension Dense: ONNXConvertible {
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let input = inputs[0]
        guard input.layout == .channelsLast else { throw InteropError("Dense \(name) follows a channels-first tensor") }
        let kernel = parameters[0].value
        let w = graph.initializer("\(name)/kernel", kernel.shape, kernel.scalars)
        let linearName = activation == .linear ? graph.unique(name) : graph.unique("\(name)/linear")
        let out: String
        if useBias {
            let bias = parameters[1].value
            let b = graph.initializer("\(name)/bias", bias.shape, bias.scalars)
            out = graph.emit("Gemm", [input.name, w, b], linearName)
        } else {
            out = graph.emit("MatMul", [input.name, w], linearName)
        }
        return ONNXValue(name: graph.activation(activation, out, name: name, channelAxis: -1), layout: .channelsLast)
    }
}

extension ActivationLayer: ONNXConvertible {
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let input = inputs[0]
        if activation == .linear { return ONNXValue(name: graph.emit("Identity", [input.name], graph.unique(name)), layout: input.layout) }
        let axis = input.layout == .channelsFirst ? 1 : -1
        return ONNXValue(name: graph.activation(activation, input.name, name: name, channelAxis: axis), layout: input.layout)
    }
}

extension Dropout: ONNXConvertible {
    /// Dropout is the identity outside training.
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        ONNXValue(name: graph.emit("Identity", [inputs[0].name], graph.unique(name)), layout: inputs[0].layout)
    }
}
