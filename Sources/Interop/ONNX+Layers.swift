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

extension ONNXGraphBuilder {
    /// `inputs` in one layout: channels-first when any is and the items have spatial axes
    /// (the convolutions around stay channels-first), else channels-last.
    mutating func commonLayout(_ inputs: [ONNXValue], itemRank: Int) -> (names: [String], layout: Layout) {
        let rank = itemRank - 1
        if rank >= 1 && inputs.contains(where: { $0.layout == .channelsFirst }) {
            return (inputs.map { channelsFirst($0, rank: rank) }, .channelsFirst)
        }
        return (inputs.map { rank >= 1 ? channelsLast($0, rank: rank) : $0.name }, .channelsLast)
    }
}

extension ElementwiseMerge: ONNXConvertible {
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        // ONNX broadcasts from the last axis over the batch axis too; Keras pads a shorter item
        // with 1s after the batch axis: (N, 8) joins (N, 4, 4, 8) as (N, 1, 1, 8).
        let inputs = zip(inputs, inputShapes).map { input, shape -> ONNXValue in
            guard shape.count < outputShape.count else { return input }
            let last = graph.channelsLast(input, rank: shape.count - 1)
            let padded = [0] + Array(repeating: 1, count: outputShape.count - shape.count) + shape
            let target = graph.int64Initializer("\(name)/broadcast_shape", padded)
            return ONNXValue(name: graph.emit("Reshape", [last, target], graph.unique("\(input.name)/broadcast")), layout: .channelsLast)
        }
        let (names, layout) = graph.commonLayout(inputs, itemRank: outputShape.count)
        let out: String
        switch operation {
        case .add: out = graph.emit("Sum", names, graph.unique(name))
        case .average: out = graph.emit("Mean", names, graph.unique(name))
        case .maximum: out = graph.emit("Max", names, graph.unique(name))
        case .minimum: out = graph.emit("Min", names, graph.unique(name))
        case .subtract: out = graph.emit("Sub", names, graph.unique(name))
        case .multiply:
            var product = names[0]
            for (k, factor) in names.dropFirst().enumerated() {
                product = graph.emit("Mul", [product, factor], graph.unique(k == names.count - 2 ? name : "\(name)/mul"))
            }
            out = product
        }
        return ONNXValue(name: out, layout: layout)
    }
}

extension Concatenate: ONNXConvertible {
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        let (names, layout) = graph.commonLayout(inputs, itemRank: outputShape.count)
        // Keras's axis counts the batch and the channels last; channels-first moves the channels to 1.
        let itemRank = outputShape.count
        let batched = axis < 0 ? itemRank + 1 + axis : axis
        let onnxAxis = layout == .channelsLast ? batched : batched == itemRank ? 1 : batched + 1
        return ONNXValue(name: graph.emit("Concat", names, graph.unique(name), attributes: [graph.int("axis", onnxAxis)]), layout: layout)
    }
}

extension Model: ONNXConvertible {
    /// A model used as a layer is written inline: its nodes join the outer graph.
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue {
        graph.values[ObjectIdentifier(input)] = (inputs[0].name, inputs[0].layout)
        for node in nodes.dropFirst() { try graph.add(node) }
        guard let out = graph.values[ObjectIdentifier(outputs[0])] else {
            throw InteropError("model \(name) has no output in the graph")
        }
        return ONNXValue(name: out.name, layout: out.layout)
    }
}
