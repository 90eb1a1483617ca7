import Basics
import Engine
import Foundation
import HDF5Files

/// Keras 3's own file formats: the `.keras` archive (a ZIP, stored, of `metadata.json`,
/// `config.json` with the functional model's configuration and `model.weights.h5`) and the
/// `.weights.h5` file alone, written so that `keras.models.load_model` / `load_weights` read
/// them. Weights live at `layers/LAYER/vars/I` in each layer's weight order (kernel, then
/// bias), with a `vars` group for the model itself, as Keras 3 writes them.
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
        let file = cnnb_h5_open(path)
        guard file >= 0 else {
            throw InteropError("cannot read \(path) as an HDF5 weights file", hint: "save it with Keras's model.save_weights(\"m.weights.h5\")")
        }
        defer { _ = cnnb_h5_close(file) }
        try assign(from: file, path: path, prefix: "", to: model)
    }

    // MARK: Weights

    static func assign(from file: Int64, path: String, prefix: String, to model: Model) throws(InteropError) {
        var arrays: [(name: String, array: NumpyArray)] = []
        for node in model.nodes where !node.layer.parameters.isEmpty {
            let group = "\(prefix)layers/\(node.layer.name)/vars"
            guard cnnb_h5_exists(file, group) == 1 else {
                throw InteropError("\(path) has no weights for layer \(node.layer.name)",
                                   hint: "the file must come from a model with the same layer names")
            }
            for (index, parameter) in node.layer.parameters.enumerated() {
                let dataset = "\(group)/\(index)"
                var dimensions = [UInt64](repeating: 0, count: 8)
                let rank = cnnb_h5_dataset_shape(file, dataset, &dimensions)
                guard rank >= 0 else {
                    throw InteropError("\(path) has no weight \(index) (\(parameter.name)) for layer \(node.layer.name)")
                }
                let shape = dimensions.prefix(Int(rank)).map { Int($0) }
                guard shape.reduce(1, *) == parameter.value.count else {
                    throw InteropError("\(path): \(node.layer.name)/\(parameter.name) has shape \(kerasShapeText(shape)), the model's is \(kerasShapeText(parameter.value.shape))")
                }
                var values = [Float](repeating: 0, count: parameter.value.count)
                guard cnnb_h5_read_floats(file, dataset, &values) >= 0 else {
                    throw InteropError("\(path): cannot read \(dataset) as float32")
                }
                arrays.append(("\(node.layer.name)/\(parameter.name)", NumpyArray(shape: shape, values: values)))
            }
        }
        try KerasWeights.assign(arrays, to: model, source: path)
    }

    /// The HDF5 weights file of `model`, as bytes (libhdf5 writes to a path: a temporary one).
    static func weightFileBytes(_ model: Model) throws(InteropError) -> [UInt8] {
        let temporary = NSTemporaryDirectory() + "cnnb-\(getpid())-\(UUID().uuidString).weights.h5"
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        let file = cnnb_h5_create(temporary)
        guard file >= 0 else { throw InteropError("cannot create a temporary HDF5 file at \(temporary)") }
        var failed: String?
        func check(_ status: Int32, _ what: String) { if status < 0 && failed == nil { failed = what } }
        check(cnnb_h5_make_group(file, "layers"), "layers")
        for node in model.nodes {
            let group = "layers/\(node.layer.name)"
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
        check(cnnb_h5_close(file), "the file")
        if let failed { throw InteropError("cannot write \(failed) in the HDF5 weights file") }
        guard let data = FileManager.default.contents(atPath: temporary) else {
            throw InteropError("cannot read back the HDF5 weights file \(temporary)")
        }
        return [UInt8](data)
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
        for node in model.nodes.dropFirst() {
            guard let parent = node.input else {
                throw InteropError("layer \(node.layer.name) has no input in the graph")
            }
            var config: [String: Any] = ["name": node.layer.name, "trainable": !node.layer.isFrozen, "dtype": "float32"]
            for (key, value) in node.layer.configuration { config[key] = value.jsonObject }
            let history: [String: Any] = ["class_name": "__keras_tensor__",
                                          "config": ["shape": [NSNull()] + parent.shape, "dtype": "float32",
                                                     "keras_history": [parent.layer.name, 0, 0]] as [String: Any]]
            layers.append([
                "module": "keras.layers", "class_name": node.layer.typeName, "registered_name": NSNull(),
                "name": node.layer.name, "config": config,
                "build_config": ["input_shape": [NSNull()] + parent.shape],
                "inbound_nodes": [["args": [history], "kwargs": [String: Any]()]],
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
