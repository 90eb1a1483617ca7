import Basics
import Engine

/// A model's weights as NumPy arrays named the way Keras 3 names its variables.
///
/// Naming scheme: each weight is called `LAYER/WEIGHT`, the `path` Keras 3 gives the variable
/// (`layer.weights[i].path`): `conv2d/kernel`, `conv2d/bias`, `dense_1/kernel`. Layer names
/// are the model's (Keras's automatic names `conv2d`, `conv2d_1`, … or the names given).
/// Arrays keep Keras's layouts, exactly what `layer.get_weights()` returns: a ConvND kernel is
/// (k1, …, kN, in_channels, filters), a Dense kernel (in_features, units), a bias (units,).
/// In an `.npz` file the members are `conv2d/kernel.npy` and so on, in the model's layer
/// order, each layer's kernel before its bias; `numpy.load(f)["conv2d/kernel"]` reads one.
/// A Keras 3 model with the same layer names writes a file cnnb loads with
/// `numpy.savez("w.npz", **{w.path: w.numpy() for w in model.weights})`.
public enum KerasWeights {
    /// Every weight of `model` under its Keras path, in layer order.
    public static func arrays(of model: Model) -> [(name: String, array: NumpyArray)] {
        model.weightPaths.map { ($0.path, NumpyArray($0.parameter.value)) }
    }

    /// Checks that `arrays` hold exactly `model`'s weights, by name and shape, then assigns
    /// them. Every check runs before any weight changes: on an error the model is as it was.
    /// `source` names where the arrays came from in errors.
    public static func assign(_ arrays: [(name: String, array: NumpyArray)], to model: Model,
                              source: String) throws(InteropError) {
        var expected: [String: Parameter] = [:]
        var order: [String] = []
        for (key, parameter) in model.weightPaths {
            expected[key] = parameter
            order.append(key)
        }
        var targets: [(Parameter, NumpyArray)] = []
        var seen: Set<String> = []
        for (name, array) in arrays {
            guard let parameter = expected[name] else {
                let layer = name.split(separator: "/").first.map(String.init) ?? name
                let sameLayer = order.filter { $0.hasPrefix(layer + "/") }
                var hint = "model \(model.name) has " + (order.isEmpty ? "no weights" : order.joined(separator: ", "))
                if sameLayer.isEmpty, let near = order.min(by: { editDistance($0, name) < editDistance($1, name) }),
                   editDistance(near, name) <= 3 {
                    hint = "did you mean \(near)? " + hint
                }
                throw InteropError("\(source) has weight \(name), which model \(model.name) does not have", hint: hint)
            }
            guard seen.insert(name).inserted else {
                throw InteropError("\(source) has weight \(name) twice", hint: "write the file again")
            }
            guard array.shape == parameter.value.shape else {
                throw InteropError("\(source) has \(name) of shape \(kerasTupleText(array.shape)), model \(model.name) needs \(kerasTupleText(parameter.value.shape))",
                                   hint: "load weights saved from a model with the same layers, in Keras's layout")
            }
            targets.append((parameter, array))
        }
        let missing = order.filter { !seen.contains($0) }
        guard missing.isEmpty else {
            throw InteropError("\(source) lacks weight\(missing.count == 1 ? "" : "s") " + missing.joined(separator: ", ") + " of model \(model.name)",
                               hint: "load weights saved from a model with the same layers")
        }
        for (parameter, array) in targets {
            array.values.withUnsafeBufferPointer { parameter.value.pointer.update(from: $0.baseAddress!, count: $0.count) }
        }
    }

    /// Writes `model`'s weights to `path` as an `.npz` archive.
    public static func save(_ model: Model, to path: String) throws(InteropError) {
        try Npz.write(arrays(of: model), to: path)
    }

    /// Reads an `.npz` archive into `model`'s weights; the whole file is decoded and checked
    /// before any weight changes.
    public static func load(_ model: Model, from path: String) throws(InteropError) {
        try assign(Npz.read(path), to: model, source: path)
    }
}

/// Levenshtein distance, for "did you mean" hints.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where j <= b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
