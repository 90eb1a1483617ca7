import Engine
import Foundation
import SwiftProtobuf

/// A model as an ONNX graph (opset 13), for onnxruntime and every engine that reads ONNX.
///
/// The graph's input and outputs keep Keras's channels-last layout and names: the input is
/// called after the input layer (`input_layer`) with shape (batch, H, W, C) (or (batch, W, C),
/// (batch, D, H, W, C)), the batch axis symbolic (`batch`); each output is called after the
/// layer that computes it (`dense_1`). Inside, convolutions and pooling run channels-first as
/// ONNX defines them: a Transpose to channels-first goes before the first of them, and one
/// back to channels-last before a Flatten (so Flatten orders features as Keras does and Dense
/// kernels need no change) and before any channels-last output.
///
/// Layers become: ConvND → Conv (kernel permuted from Keras's (k…, in, out) to ONNX's
/// (out, in, k…); `same` padding as explicit pads, the odd extra one after, as TensorFlow
/// pads), MaxPoolingND → MaxPool, AveragePoolingND → AveragePool (count_include_pad 0: Keras
/// averages over the real elements only), GlobalAverage/MaxPoolingND → GlobalAveragePool /
/// GlobalMaxPool then Flatten, Flatten → Flatten (axis 1), Dense → Gemm (MatMul without a
/// bias), activations → Relu, Sigmoid, Tanh, Softmax (over the channel axis), Dropout →
/// Identity. Weights are initializers named by their Keras path (`conv2d/kernel`), in ONNX's
/// layout.
///
/// The message types (`Onnx_ModelProto`, …) are in `onnx.pb.swift`, generated once from the
/// `onnx.proto` of the onnx 1.23.2 Python package and committed:
/// `python3 -m grpc_tools.protoc --plugin=protoc-gen-swift=PATH --swift_out=. --swift_opt=Visibility=Public onnx.proto`,
/// with `protoc-gen-swift` built from swift-protobuf 1.39.0.
public enum ONNXExport {
    public static let opset: Int64 = 13
    /// The IR version that goes with opset 13.
    public static let irVersion: Int64 = 7

    /// The ONNX model of `model`; `producerVersion` goes into the file's header.
    public static func proto(of model: Model, producerVersion: String = "") throws(InteropError) -> Onnx_ModelProto {
        var builder = ONNXGraphBuilder(model: model)
        try builder.build()
        var proto = Onnx_ModelProto()
        proto.irVersion = irVersion
        proto.producerName = "cnnb"
        proto.producerVersion = producerVersion
        proto.docString = "Model \(model.name) exported by cnnb."
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Self.opset
        proto.opsetImport = [opset]
        proto.graph = builder.graph
        return proto
    }

    /// The serialized ONNX file of `model`.
    public static func encode(_ model: Model, producerVersion: String = "") throws(InteropError) -> [UInt8] {
        let proto = try proto(of: model, producerVersion: producerVersion)
        do {
            return try proto.serializedBytes()
        } catch {
            throw InteropError("cannot encode the ONNX model: \(error)")
        }
    }

    /// Writes `model` to `path` as an `.onnx` file.
    public static func write(_ model: Model, to path: String, producerVersion: String = "") throws(InteropError) {
        try FileWriting.write(encode(model, producerVersion: producerVersion), to: path)
    }
}

/// A tensor of the ONNX graph and the layout its values are in.
struct ONNXValue {
    enum Layout { case channelsLast, channelsFirst }
    var name: String
    var layout: Layout
}

/// A layer with an ONNX form: it appends the nodes computing its output from `inputs` (one
/// per input of its node, in order). Each layer's conversion is a conformance in
/// ONNX+Layers.swift; the exporter asks for the ability, never for a layer type.
protocol ONNXConvertible: Layer {
    func addONNX(to graph: inout ONNXGraphBuilder, inputs: [ONNXValue], inputShapes: [[Int]],
                 outputShape: [Int]) throws(InteropError) -> ONNXValue
}

/// Builds the ONNX graph node by node, remembering each model node's tensor and layout.
struct ONNXGraphBuilder {
    typealias Layout = ONNXValue.Layout

    let model: Model
    var graph = Onnx_GraphProto()
    /// Per model node: the tensor holding its output and that tensor's layout.
    var values: [ObjectIdentifier: (name: String, layout: Layout)] = [:]
    /// Channels-last (or channels-first) copies already made of a node's tensor.
    var converted: [String: String] = [:]
    var usedNames: Set<String> = []

    init(model: Model) {
        self.model = model
        graph.name = model.name
    }

    mutating func unique(_ base: String) -> String {
        var name = base, n = 1
        while usedNames.contains(name) { name = "\(base)_\(n)"; n += 1 }
        usedNames.insert(name)
        return name
    }

    /// Appends the nodes computing `node` from its inputs, already in the graph.
    mutating func add(_ node: Node) throws(InteropError) {
        var inputs: [ONNXValue] = []
        for parent in node.inputs {
            guard let input = values[ObjectIdentifier(parent)] else {
                throw InteropError("node \(node.layer.name) has no input in the graph")
            }
            inputs.append(ONNXValue(name: input.name, layout: input.layout))
        }
        guard !inputs.isEmpty else { throw InteropError("node \(node.layer.name) has no input in the graph") }
        if node.layer is TrainingOnlyLayer {
            // A layer that acts only in training is the identity in an exported graph.
            values[ObjectIdentifier(node)] = (emit("Identity", [inputs[0].name], unique(node.layer.name)), inputs[0].layout)
            return
        }
        guard let layer = node.layer as? ONNXConvertible else {
            throw InteropError("layer \(node.layer.name) (\(node.layer.typeName)) has no ONNX form in cnnb",
                               hint: "export the model without it, or use export … keras")
        }
        let value = try layer.addONNX(to: &self, inputs: inputs, inputShapes: node.inputs.map(\.shape), outputShape: node.shape)
        values[ObjectIdentifier(node)] = (value.name, value.layout)
    }

    mutating func build() throws(InteropError) {
        let inputLayer = model.input.layer
        let inputName = unique(inputLayer.name.isEmpty ? "input" : inputLayer.name)
        // Output names are taken before any tensor is named, so the outputs get the plain
        // layer names.
        let outputNames = model.outputs.map { unique($0.layer.name) }
        graph.input = [valueInfo(inputName, shape: model.inputShape)]
        values[ObjectIdentifier(model.input)] = (inputName, .channelsLast)
        for node in model.nodes.dropFirst() { try add(node) }
        // Each output is named after its layer: the tensor computing it is renamed, or a
        // Transpose back to channels-last (an Identity for the graph input or a repeated
        // output) produces it under that name.
        var renamed: [String: String] = [:]
        for (output, name) in zip(model.outputs, outputNames) {
            guard let value = values[ObjectIdentifier(output)] else { continue }
            if value.layout == .channelsFirst {
                let rank = output.shape.count - 1
                emit("Transpose", [value.name], name, attributes: [ints("perm", [0] + (2...(rank + 1)).map(Int64.init) + [1])])
            } else if value.name == inputName || renamed[value.name] != nil {
                emit("Identity", [renamed[value.name] ?? value.name], name)
            } else {
                renamed[value.name] = name
            }
            graph.output.append(valueInfo(name, shape: output.shape))
        }
        for i in graph.node.indices {
            graph.node[i].input = graph.node[i].input.map { renamed[$0] ?? $0 }
            graph.node[i].output = graph.node[i].output.map { renamed[$0] ?? $0 }
            graph.node[i].name = renamed[graph.node[i].name] ?? graph.node[i].name
        }
    }

    /// Applies `activation` to `input`, naming the result `name`; `input` itself when linear.
    mutating func activation(_ activation: Activation, _ input: String, name: String, channelAxis: Int) -> String {
        switch activation {
        case .linear: return input
        case .relu: return emit("Relu", [input], unique(name))
        case .sigmoid: return emit("Sigmoid", [input], unique(name))
        case .tanh: return emit("Tanh", [input], unique(name))
        case .softmax: return emit("Softmax", [input], unique(name), attributes: [int("axis", channelAxis)])
        case .elu: return emit("Elu", [input], unique(name))
        case .selu: return emit("Selu", [input], unique(name))
        case .softplus: return emit("Softplus", [input], unique(name))
        case .softsign: return emit("Softsign", [input], unique(name))
        case .exponential: return emit("Exp", [input], unique(name))
        case .leakyRelu: return emit("LeakyRelu", [input], unique(name), attributes: [float("alpha", 0.2)])
        case .hardSigmoid:
            return emit("HardSigmoid", [input], unique(name), attributes: [float("alpha", 1.0 / 6), float("beta", 0.5)])
        case .relu6:
            return emit("Clip", [input, scalar("\(name)/min", 0), scalar("\(name)/max", 6)], unique(name))
        case .swish:
            let gate = emit("Sigmoid", [input], unique("\(name)/sigmoid"))
            return emit("Mul", [input, gate], unique(name))
        case .gelu:
            // Opset 13 has no Gelu: 0.5 · x · (1 + erf(x / √2)).
            let scaled = emit("Mul", [input, scalar("\(name)/inverse_sqrt2", 0.70710678)], unique("\(name)/scaled"))
            let erf = emit("Erf", [scaled], unique("\(name)/erf"))
            let shifted = emit("Add", [erf, scalar("\(name)/one", 1)], unique("\(name)/shifted"))
            let half = emit("Mul", [input, scalar("\(name)/half", 0.5)], unique("\(name)/half_x"))
            return emit("Mul", [half, shifted], unique(name))
        }
    }

    /// ONNX's pads [x1_begin, x2_begin, …, x1_end, x2_end, …] for Keras's padding.
    func explicitPads(_ padding: Padding, input: [Int], window: [Int], strides: [Int], output: [Int]) -> [Int] {
        guard padding == .same else { return Array(repeating: 0, count: 2 * input.count) }
        var begin: [Int] = [], end: [Int] = []
        for i in input.indices {
            let total = max((output[i] - 1) * strides[i] + window[i] - input[i], 0)
            begin.append(total / 2)
            end.append(total - total / 2)
        }
        return begin + end
    }

    /// (k…, in, out) → (out, in, k…).
    func kerasKernelToONNX(_ kernel: Tensor, rank: Int) -> (shape: [Int], values: [Float]) {
        let spatial = Array(kernel.shape.prefix(rank))
        let cin = kernel.shape[rank], cout = kernel.shape[rank + 1]
        let window = spatial.reduce(1, *)
        var values = [Float](repeating: 0, count: kernel.count)
        let source = kernel.pointer
        for k in 0..<window {
            for i in 0..<cin {
                for o in 0..<cout {
                    values[(o * cin + i) * window + k] = source[(k * cin + i) * cout + o]
                }
            }
        }
        return ([cout, cin] + spatial, values)
    }

    // MARK: - Layout changes

    /// `input` channels-first, transposing it once if needed.
    mutating func channelsFirst(_ input: ONNXValue, rank: Int) -> String {
        guard input.layout == .channelsLast else { return input.name }
        let key = "first:" + input.name
        if let done = converted[key] { return done }
        let perm = [0, rank + 1] + Array(1...rank)
        let out = emit("Transpose", [input.name], unique("\(input.name)/channels_first"),
                       attributes: [ints("perm", perm)])
        converted[key] = out
        return out
    }

    /// `input` channels-last, transposing it once if needed.
    mutating func channelsLast(_ input: ONNXValue, rank: Int) -> String {
        guard input.layout == .channelsFirst, rank >= 1 else { return input.name }
        let key = "last:" + input.name
        if let done = converted[key] { return done }
        let perm = [0] + Array(2...(rank + 1)) + [1]
        let out = emit("Transpose", [input.name], unique("\(input.name)/channels_last"),
                       attributes: [ints("perm", perm)])
        converted[key] = out
        return out
    }

    // MARK: - Protocol buffer pieces

    @discardableResult
    mutating func emit(_ op: String, _ inputs: [String], _ output: String, attributes: [Onnx_AttributeProto] = []) -> String {
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = output
        node.input = inputs
        node.output = [output]
        node.attribute = attributes
        graph.node.append(node)
        return output
    }

    mutating func initializer(_ name: String, _ shape: [Int], _ values: [Float]) -> String {
        let name = unique(name)
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dims = shape.map(Int64.init)
        tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 4)
        Npy.appendFloats(values, to: &bytes)
        tensor.rawData = Data(bytes)
        graph.initializer.append(tensor)
        return name
    }

    mutating func initializer(_ name: String, _ data: (shape: [Int], values: [Float])) -> String {
        initializer(name, data.shape, data.values)
    }

    func valueInfo(_ name: String, shape: [Int]) -> Onnx_ValueInfoProto {
        var batch = Onnx_TensorShapeProto.Dimension()
        batch.dimParam = "batch"
        var dims = [batch]
        for d in shape {
            var dim = Onnx_TensorShapeProto.Dimension()
            dim.dimValue = Int64(d)
            dims.append(dim)
        }
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensorType.shape.dim = dims
        var type = Onnx_TypeProto()
        type.tensorType = tensorType
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type = type
        return info
    }

    func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .ints
        attribute.ints = values.map(Int64.init)
        return attribute
    }

    func ints(_ name: String, _ values: [Int64]) -> Onnx_AttributeProto {
        ints(name, values.map { Int($0) })
    }

    func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .int
        attribute.i = Int64(value)
        return attribute
    }
}
