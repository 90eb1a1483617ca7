import Basics
import Engine
import Foundation
import HDF5Files

/// Keras 3's own file formats: the `.keras` archive (a ZIP, stored, of `metadata.json`,
/// `config.json` with the functional model's configuration and `model.weights.h5`) and the
/// `.weights.h5` file alone, written so that `keras.models.load_model` / `load_weights` read
/// them. Weights live at `layers/GROUP/vars/I` in each layer's weight order (kernel, then
/// bias), with a `vars` group for the model itself, as Keras 3 writes them: GROUP is not the
/// layer's name but its class in snake case, numbered in layer order (`dense`, `dense_1`).
public enum KerasArchive {
    /// The Keras version whose layout these files follow.
    static let kerasVersion = "3.15.1"

    /// Writes `model` as a `.keras` archive, whole or not at all.
    public static func save(_ model: Model, to path: String) throws(InteropError) {
        let weights = try weightFileBytes(model)
        let metadata = try json(["keras_version": kerasVersion, "date_saved": dateSaved()])
        let config = try json(try configuration(of: model))
        let archive = try Zip.encode([Zip.Member(name: "metadata.json", bytes: metadata),
                                      Zip.Member(name: "config.json", bytes: config),
                                      Zip.Member(name: "model.weights.h5", bytes: weights)])
        do {
            try AtomicFile.write(archive, to: path)
        } catch {
            throw InteropError(error.message, hint: error.hint)
        }
    }

    /// Writes `model`'s weights alone, as Keras's `model.save_weights("m.weights.h5")`.
    public static func saveWeights(_ model: Model, to path: String) throws(InteropError) {
        let bytes = try weightFileBytes(model)
        do {
            try AtomicFile.write(bytes, to: path)
        } catch {
            throw InteropError(error.message, hint: error.hint)
        }
    }

    /// Reads weights Keras (or `saveWeights`) wrote into `model`, matched by layer name and
    /// checked whole before any weight changes.
    public static func loadWeights(_ model: Model, from path: String) throws(InteropError) {
        try loadWeights(model, from: path, describedAs: path)
    }

    static func loadWeights(_ model: Model, from path: String, describedAs name: String) throws(InteropError) {
        guard cnnb_h5_survives_reading(path, nil, 0) != 0 else { throw damaged(name) }
        try assign(fromFile: cnnb_h5_open(path), path: name, to: model)
    }

    /// Reads the weights file whose bytes are `bytes` (a `.weights.h5` in memory, as a `.keras`
    /// archive holds it) into `model`; `name` names it in errors.
    public static func loadWeights(_ model: Model, fromBytes bytes: [UInt8], describedAs name: String) throws(InteropError) {
        let survives = bytes.withUnsafeBytes { cnnb_h5_survives_reading(nil, $0.baseAddress, $0.count) != 0 }
        guard survives else { throw damaged(name) }
        let file = bytes.withUnsafeBytes { cnnb_h5_open_image($0.baseAddress, $0.count) }
        try assign(fromFile: file, path: name, to: model)
    }

    /// A file whose reading crashes libhdf5 (tried first in a child process).
    private static func damaged(_ name: String) -> InteropError {
        InteropError("\(name) is damaged: the HDF5 library fails reading it", hint: "save the weights again, with Keras's model.save_weights or cnnb's save")
    }

    private static func assign(fromFile file: Int64, path name: String, to model: Model) throws(InteropError) {
        guard file >= 0 else {
            throw InteropError("cannot read \(name) as an HDF5 weights file", hint: "save it with Keras's model.save_weights(\"m.weights.h5\")")
        }
        defer { _ = cnnb_h5_close(file) }
        try assign(from: file, path: name, prefix: "", to: model)
    }

    /// A `.keras` archive read back: the functional model's layers in order, each with its
    /// Keras class, name, configuration and the layers it reads from, its outputs, and the
    /// weights file.
    public struct Contents {
        public struct Layer {
            public var className: String
            public var name: String
            public var config: [String: Any]
            /// The layers whose outputs this one takes (several for a merge); empty for the input.
            public var inbounds: [String]
            /// The first of them; nil for the input.
            public var inbound: String? { inbounds.first }
        }
        public var name: String
        /// In the configuration's order, each after the layers it reads (Keras's `model.layers`).
        public var layers: [Layer]
        /// The layers whose outputs are the model's, in order.
        public var outputs: [String]
        let weights: [UInt8]
        let path: String

        /// Assigns the archive's weights to `model`, whose layers carry the archive's names.
        public func loadWeights(into model: Model) throws(InteropError) {
            try KerasArchive.loadWeights(model, fromBytes: weights, describedAs: path)
        }
    }

    /// Reads a `.keras` archive Keras 3 (or `save`) wrote: a graph of layers from one input,
    /// each layer applied once (merges read several layers; several layers may be outputs).
    public static func read(_ path: String) throws(InteropError) -> Contents {
        try read(bytes: FileWriting.read(path, what: "the model file"), path: path)
    }

    /// A `.keras` archive's bytes read as `read` reads its file; `path` names it in errors.
    public static func read(bytes: [UInt8], path: String) throws(InteropError) -> Contents {
        let members = try Zip.decode(bytes, path: path)
        func member(_ name: String) throws(InteropError) -> [UInt8] {
            guard let found = members.first(where: { $0.name == name }) else {
                throw InteropError("\(path) has no \(name); it is not a Keras 3 .keras file",
                                   hint: "save the model with Keras 3's model.save(\"m.keras\")")
            }
            return found.bytes
        }
        let configBytes = try member("config.json")
        let weights = try member("model.weights.h5")
        guard let root = try? JSONSerialization.jsonObject(with: Data(configBytes)) as? [String: Any],
              let config = root["config"] as? [String: Any], let layerList = config["layers"] as? [[String: Any]] else {
            throw InteropError("\(path): config.json does not hold a model's configuration")
        }
        let className = root["class_name"] as? String ?? "?"
        guard className == "Functional" || className == "Sequential" else {
            throw InteropError("\(path) holds a \(className) model; cnnb reads functional and sequential models")
        }
        var layers: [Contents.Layer] = []
        for entry in layerList {
            guard let layerClass = entry["class_name"] as? String, let layerConfig = entry["config"] as? [String: Any] else {
                throw InteropError("\(path): a layer of config.json has no class or configuration")
            }
            let name = layerConfig["name"] as? String ?? entry["name"] as? String ?? layerClass.lowercased()
            var inbounds: [String] = []
            if let nodes = entry["inbound_nodes"] as? [[String: Any]], let node = nodes.first {
                guard nodes.count == 1 else {
                    throw InteropError("\(path): layer \(name) is applied \(nodes.count) times (shared weights); cnnb reads layers applied once")
                }
                // One tensor, or a list of them for a merge (`Add()([a, b])`).
                guard let args = node["args"] as? [Any], args.count == 1 else {
                    throw InteropError("\(path): layer \(name) is called with \((node["args"] as? [Any])?.count ?? 0) arguments; cnnb reads layers called on one tensor or one list")
                }
                let tensors = (args[0] as? [Any]) ?? [args[0]]
                for tensor in tensors {
                    guard let tensorConfig = (tensor as? [String: Any])?["config"] as? [String: Any],
                          let history = tensorConfig["keras_history"] as? [Any], let parent = history.first as? String else {
                        throw InteropError("\(path): layer \(name) reads something other than a layer's output")
                    }
                    if history.count > 1, let use = history[1] as? Int, use != 0 {
                        throw InteropError("\(path): layer \(name) reads the \(use + 1). application of \(parent) (shared weights); cnnb reads layers applied once")
                    }
                    inbounds.append(parent)
                }
            } else if className == "Sequential", let previous = layers.last {
                inbounds = [previous.name]
            }
            layers.append(Contents.Layer(className: layerClass, name: name, config: layerConfig, inbounds: inbounds))
        }
        // A Sequential model's configuration may start without an InputLayer, its shape on the first layer.
        if className == "Sequential", layers.first?.className != "InputLayer", let first = layers.first,
           let shape = first.config["batch_shape"] ?? first.config["batch_input_shape"] {
            layers.insert(Contents.Layer(className: "InputLayer", name: "input_layer", config: ["batch_shape": shape], inbounds: []), at: 0)
            layers[1].inbounds = ["input_layer"]
        }
        let inputs = layers.filter { $0.className == "InputLayer" }
        guard inputs.count == 1, layers.first?.className == "InputLayer" else {
            throw InteropError("\(path) has \(inputs.count) inputs; cnnb's models have one")
        }
        // Keras writes one output as [name, 0, 0], several as a list of those.
        var outputs: [String] = []
        if className == "Sequential" {
            outputs = layers.last.map { [$0.name] } ?? []
        } else if let list = config["output_layers"] as? [Any] {
            let entries = list.first is String ? [list] : list
            for entry in entries {
                guard let name = (entry as? [Any])?.first as? String else {
                    throw InteropError("\(path): config.json names an output that is not a layer")
                }
                outputs.append(name)
            }
        }
        let known = Set(layers.map(\.name))
        var seen: Set<String> = []
        for layer in layers {
            for parent in layer.inbounds where !seen.contains(parent) {
                throw InteropError(known.contains(parent)
                                   ? "\(path): layer \(layer.name) reads \(parent), which comes after it in config.json"
                                   : "\(path): layer \(layer.name) reads \(parent), which config.json does not define")
            }
            seen.insert(layer.name)
        }
        guard !outputs.isEmpty, outputs.allSatisfy(known.contains) else {
            throw InteropError("\(path): config.json's outputs \(outputs) are not among its layers")
        }
        return Contents(name: config["name"] as? String ?? "model", layers: layers, outputs: outputs, weights: weights, path: path)
    }

    // MARK: Weights

    /// Keras's group of each layer in the weights file: its class in snake case, then `_1`,
    /// `_2`, … for later layers of the same class (saving_lib's `_save_container_state`).
    static func groupNames(_ model: Model) -> [String] {
        var used: [String: Int] = [:]
        return model.nodes.map { node in
            let base = kerasSnakeCase(node.layer.typeName)
            if let count = used[base] {
                used[base] = count + 1
                return "\(base)_\(count + 1)"
            }
            used[base] = 0
            return base
        }
    }

    static func assign(from file: Int64, path: String, prefix: String, to model: Model) throws(InteropError) {
        var arrays: [(name: String, array: NumpyArray)] = []
        for (node, groupName) in zip(model.nodes, groupNames(model)) where !node.layer.parameters.isEmpty {
            let group = "\(prefix)layers/\(groupName)/vars"
            guard cnnb_h5_exists(file, group) == 1 else {
                throw InteropError("\(path) has no weights for layer \(node.layer.name) (at \(group))",
                                   hint: "the file must come from a model with the same layers in the same order")
            }
            for (index, parameter) in node.layer.parameters.enumerated() {
                let dataset = "\(group)/\(index)"
                var dimensions = [UInt64](repeating: 0, count: 8)
                let rank = cnnb_h5_dataset_shape(file, dataset, &dimensions)
                guard rank >= 0 else {
                    throw InteropError("\(path) has no weight \(index) (\(parameter.name)) for layer \(node.layer.name)")
                }
                // The file's sizes may be anything up to 2^64 - 1: compared before any becomes an Int.
                let sizes = dimensions.prefix(Int(rank))
                let count = sizes.reduce(UInt64(1)) { product, size in
                    let (next, overflow) = product.multipliedReportingOverflow(by: size)
                    return overflow ? UInt64.max : next
                }
                guard count == UInt64(parameter.value.count) else {
                    let shapeText = sizes.allSatisfy { $0 <= UInt64(Int.max) } ? kerasShapeText(sizes.map { Int($0) })
                        : "(None, " + sizes.map(String.init).joined(separator: ", ") + ")"
                    throw InteropError("\(path): \(node.layer.name)/\(parameter.name) has shape \(shapeText), the model's is \(kerasShapeText(parameter.value.shape))")
                }
                let shape = sizes.map { Int($0) }
                var values = [Float](repeating: 0, count: parameter.value.count)
                let status = cnnb_h5_read_floats(file, dataset, &values)
                guard status != -2 else {
                    throw InteropError("\(path): \(dataset) does not hold numbers of at most 8 bytes in chunks of at most 256 MB",
                                       hint: "the file is damaged; save the weights again with Keras's model.save_weights")
                }
                guard status >= 0 else {
                    throw InteropError("\(path): cannot read \(dataset) as float32")
                }
                arrays.append(("\(node.layer.name)/\(parameter.name)", NumpyArray(shape: shape, values: values)))
            }
        }
        try KerasWeights.assign(arrays, to: model, source: path)
    }

    /// The HDF5 weights file of `model`, as bytes: libhdf5 writes it in memory.
    static func weightFileBytes(_ model: Model) throws(InteropError) -> [UInt8] {
        let file = cnnb_h5_create_in_memory()
        guard file >= 0 else { throw InteropError("cannot create an HDF5 file in memory") }
        var failed: String?
        func check(_ status: Int32, _ what: String) { if status < 0 && failed == nil { failed = what } }
        check(cnnb_h5_make_group(file, "layers"), "layers")
        for (node, groupName) in zip(model.nodes, groupNames(model)) {
            let group = "layers/\(groupName)"
            check(cnnb_h5_make_group(file, group), group)
            check(cnnb_h5_make_group(file, group + "/vars"), group + "/vars")
            check(cnnb_h5_set_string_attribute(file, group + "/vars", "name", node.layer.name), group)
            for (index, parameter) in node.layer.parameters.enumerated() {
                let dimensions = parameter.value.shape.map { UInt64($0) }
                check(cnnb_h5_write_floats(file, "\(group)/vars/\(index)", Int32(dimensions.count), dimensions,
                                           parameter.value.pointer), "\(group)/vars/\(index)")
            }
        }
        check(cnnb_h5_make_group(file, "vars"), "vars")
        check(cnnb_h5_set_string_attribute(file, "vars", "name", model.name), "vars")
        var bytes: [UInt8] = []
        let length = cnnb_h5_file_image(file, nil, 0)
        if length > 0 {
            bytes = [UInt8](repeating: 0, count: Int(length))
            if bytes.withUnsafeMutableBytes({ cnnb_h5_file_image(file, $0.baseAddress, $0.count) }) != length { bytes = [] }
        }
        check(cnnb_h5_close(file), "the file")
        if let failed { throw InteropError("cannot write \(failed) in the HDF5 weights file") }
        guard !bytes.isEmpty else { throw InteropError("cannot take the HDF5 weights file's bytes from libhdf5") }
        return bytes
    }

    // MARK: Configuration

    /// Keras's `model.get_config()` with its class, as `config.json` holds it.
    static func configuration(of model: Model) throws(InteropError) -> [String: Any] {
        var layers: [[String: Any]] = []
        let inputName = model.input.layer.name
        layers.append([
            "module": "keras.layers", "class_name": "InputLayer", "registered_name": NSNull(), "name": inputName,
            "config": ["batch_shape": [NSNull()] + model.inputShape, "dtype": "float32", "sparse": false,
                       "ragged": false, "name": inputName, "optional": false] as [String: Any],
            "inbound_nodes": [Any](),
        ])
        guard model.layers.count == model.nodes.count else {
            throw InteropError("model \(model.name) applies a layer more than once (shared weights); cnnb writes .keras files of layers applied once",
                               hint: "save its weights instead: save \(model.name) weights \"\(model.name).weights.h5\"")
        }
        for node in model.nodes.dropFirst() {
            guard !node.inputs.isEmpty else {
                throw InteropError("layer \(node.layer.name) has no input in the graph")
            }
            if node.layer is Model {
                throw InteropError("model \(model.name) holds model \(node.layer.name) as a layer; cnnb writes .keras files of plain layers",
                                   hint: "save its weights instead: save \(model.name) weights \"\(model.name).weights.h5\"")
            }
            var config: [String: Any] = ["name": node.layer.name, "trainable": !node.layer.isFrozen, "dtype": "float32"]
            for (key, value) in node.layer.configuration { config[key] = value.jsonObject }
            let tensors: [[String: Any]] = node.inputs.map { parent in
                ["class_name": "__keras_tensor__",
                 "config": ["shape": [NSNull()] + parent.shape, "dtype": "float32",
                            "keras_history": [parent.layer.name, 0, 0]] as [String: Any]]
            }
            // A merge is called on a list of tensors, every other layer on one.
            let isMerge = node.inputs.count > 1 || node.layer is MergeLayer
            let shapes: [Any] = node.inputs.map { [NSNull()] + $0.shape }
            layers.append([
                "module": "keras.layers", "class_name": node.layer.typeName, "registered_name": NSNull(),
                "name": node.layer.name, "config": config,
                "build_config": ["input_shape": isMerge ? shapes : shapes[0]],
                "inbound_nodes": [["args": isMerge ? [tensors] : [tensors[0]], "kwargs": [String: Any]()]],
            ])
        }
        let outputs: [Any] = model.outputs.map { [$0.layer.name, 0, 0] as [Any] }
        return [
            "module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
            "config": ["name": model.name, "trainable": true, "layers": layers,
                       "input_layers": [inputName, 0, 0], "output_layers": outputs.count == 1 ? outputs[0] : outputs] as [String: Any],
            "build_config": ["input_shape": NSNull()],
        ]
    }

    static func json(_ object: Any) throws(InteropError) -> [UInt8] {
        do {
            return [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
        } catch {
            throw InteropError("cannot write the model's configuration as JSON: \(error)")
        }
    }

    /// `2026-11-26@14:35:56`, as Keras stamps `date_saved`.
    static func dateSaved() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd@HH:mm:ss"
        return formatter.string(from: Date())
    }
}

extension PythonValue {
    /// The value as `JSONSerialization` writes it: tuples and lists as arrays, None as null.
    var jsonObject: Any {
        switch self {
        case .none: return NSNull()
        case .bool(let b): return b
        case .int(let i): return i
        case .float(let x): return x
        case .string(let s): return s
        case .tuple(let items), .list(let items): return items.map(\.jsonObject)
        }
    }
}
