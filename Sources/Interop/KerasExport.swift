import Basics
import Engine
import Foundation

/// A model as a Python file that rebuilds it in Keras (functional API, the same layer names
/// and configuration) and loads its weights from an `.npz` file written beside it.
///
/// `export(model, to: "dir/model.py")` writes `dir/model.py` and `dir/model.npz` (named as
/// `KerasWeights` describes). The Python file defines `build_model()` and
/// `load_model(weights=None)`; run as a script, `python3 model.py IN.npy OUT.npy` predicts
/// on the inputs in IN.npy and saves the output (an `.npz` of one array per output, named by
/// layer, when the model has several). It imports `keras` (Keras 3), or `tensorflow.keras`
/// where only TensorFlow's Keras is installed.
public enum KerasExport {
    /// The Python source for `model`, loading weights from `weightsFile` (a file name,
    /// relative to the script's folder).
    public static func script(for model: Model, weightsFile: String) throws(InteropError) -> String {
        var functions: [String] = []
        try buildFunction(for: model, named: "build_model", into: &functions)
        var weightNames: [String] = []
        let paths = model.weightPaths
        for layer in model.layers where !layer.parameters.isEmpty {
            // A model used as a layer takes all its weights at once, in its own order.
            let own = Set(layer.parameters.map(ObjectIdentifier.init))
            let names = paths.filter { own.contains(ObjectIdentifier($0.parameter)) }.map { PythonValue.quoted($0.path) }
            weightNames.append("    \(PythonValue.quoted(layer.name)): [" + names.joined(separator: ", ") + "],")
        }
        let outputNames = model.outputs.map { PythonValue.quoted($0.layer.name) }.joined(separator: ", ")

        return """
        \"\"\"Keras model \(model.name), exported by cnnb.

        build_model() rebuilds it layer by layer (functional API, cnnb's layer names);
        load_model() also loads its weights from \(weightsFile) beside this file, arrays named
        LAYER/WEIGHT in Keras's layouts (numpy.load(f)["conv2d/kernel"]).

        As a script: python3 THIS.py INPUTS.npy OUTPUTS.npy (with several outputs, OUTPUTS is
        an .npz archive of one array per output, named by layer).
        \"\"\"
        import os
        import sys

        import numpy as np

        try:
            import keras
            from keras import layers
        except ImportError:
            from tensorflow import keras
            from tensorflow.keras import layers

        WEIGHTS_FILE = \(PythonValue.quoted(weightsFile))

        # Each layer's arrays in the .npz file, in the order layer.set_weights takes them.
        LAYER_WEIGHTS = {
        \(weightNames.joined(separator: "\n"))
        }

        OUTPUT_NAMES = [\(outputNames)]


        \(functions.joined(separator: "\n\n\n"))


        def load_model(weights=None):
            \"\"\"The model with its weights from `weights` (default: WEIGHTS_FILE beside this file).\"\"\"
            model = build_model()
            if weights is None:
                weights = os.path.join(os.path.dirname(os.path.abspath(__file__)), WEIGHTS_FILE)
            with np.load(weights) as arrays:
                for layer_name, names in LAYER_WEIGHTS.items():
                    missing = [n for n in names if n not in arrays.files]
                    if missing:
                        raise ValueError(f"{weights} lacks {', '.join(missing)}")
                    model.get_layer(layer_name).set_weights([arrays[n] for n in names])
            return model


        if __name__ == "__main__":
            if len(sys.argv) != 3:
                sys.exit(f"usage: python3 {sys.argv[0]} INPUTS.npy OUTPUTS.npy")
            model = load_model()
            predictions = model.predict(np.load(sys.argv[1]).astype(np.float32), verbose=0)
            if len(OUTPUT_NAMES) == 1:
                np.save(sys.argv[2], np.asarray(predictions, dtype=np.float32))
            else:
                with open(sys.argv[2], "wb") as f:
                    np.savez(f, **{n: np.asarray(p, dtype=np.float32) for n, p in zip(OUTPUT_NAMES, predictions)})

        """
    }

    /// `def FUNCTION():` rebuilding `model` with the functional API: a layer applied at several
    /// nodes is made once and called at each; a model used as a layer gets a function of its
    /// own, written before this one.
    static func buildFunction(for model: Model, named function: String, into functions: inout [String]) throws(InteropError) {
        var variable: [ObjectIdentifier: String] = [ObjectIdentifier(model.input): "inputs"]
        var callees: [ObjectIdentifier: String] = [:]
        var lines = ["    inputs = keras.Input(shape=\(kerasTupleText(model.inputShape)), name=\(PythonValue.quoted(model.input.layer.name)))"]
        for (index, node) in model.nodes.enumerated().dropFirst() {
            var arguments: [String] = []
            for parent in node.inputs {
                guard let x = variable[ObjectIdentifier(parent)] else {
                    throw InteropError("node \(node.layer.name) has no input in the graph")
                }
                arguments.append(x)
            }
            let id = ObjectIdentifier(node.layer)
            let callee: String
            if let made = callees[id] {
                callee = made
            } else if let nested = node.layer as? Model {
                // A model is a container of layers rather than a layer kind: it is rebuilt, not constructed.
                let builder = "build_" + String(nested.name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
                try buildFunction(for: nested, named: builder, into: &functions)
                callee = "model_\(index)"
                lines.append("    \(callee) = \(builder)()")
            } else if model.nodes(of: node.layer).count > 1 {
                callee = "layer_\(index)"
                lines.append("    \(callee) = \(constructor(node.layer))")
            } else {
                callee = constructor(node.layer)
            }
            callees[id] = callee
            let argument = node.layer is any MergeLayer ? "[" + arguments.joined(separator: ", ") + "]" : arguments[0]
            variable[ObjectIdentifier(node)] = "x\(index)"
            lines.append("    x\(index) = \(callee)(\(argument))")
        }
        let outputs = model.outputs.compactMap { variable[ObjectIdentifier($0)] }
        let outputList = outputs.count == 1 ? outputs[0] : "[" + outputs.joined(separator: ", ") + "]"
        lines.append("    return keras.Model(inputs=inputs, outputs=\(outputList), name=\(PythonValue.quoted(model.name)))")
        functions.append("def \(function)():\n" + lines.joined(separator: "\n"))
    }

    /// The Keras layer constructor call for `layer`, without its input: its class and its
    /// configuration, which holds Keras's constructor arguments.
    static func constructor(_ layer: any Layer) -> String {
        let arguments = layer.configuration.map { "\($0.key)=\($0.value.literal)" } + ["name=\(PythonValue.quoted(layer.name))"]
        return "layers.\(layer.typeName)(" + arguments.joined(separator: ", ") + ")"
    }

    /// Writes the script to `path` and the weights beside it (`model.py` → `model.npz`).
    /// Returns the weight file's path.
    @discardableResult
    public static func export(_ model: Model, to path: String) throws(InteropError) -> String {
        let url = URL(fileURLWithPath: path)
        let weightsURL = url.deletingPathExtension().appendingPathExtension("npz")
        let source = try script(for: model, weightsFile: weightsURL.lastPathComponent)
        try KerasWeights.save(model, to: weightsURL.path)
        try FileWriting.write(source, to: path)
        return weightsURL.path
    }
}
