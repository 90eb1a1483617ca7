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
        var variable: [ObjectIdentifier: String] = [:]
        var lines: [String] = []
        let input = model.input
        variable[ObjectIdentifier(input)] = "inputs"
        lines.append("    inputs = keras.Input(shape=\(kerasTupleText(model.inputShape)), name=\(PythonValue.quoted(input.layer.name)))")
        for (index, node) in model.nodes.enumerated().dropFirst() {
            guard let parent = node.input, let x = variable[ObjectIdentifier(parent)] else {
                throw InteropError("node \(node.layer.name) has no input in the graph")
            }
            let name = "x\(index)"
            variable[ObjectIdentifier(node)] = name
            lines.append("    \(name) = \(constructor(node.layer))(\(x))")
        }
        let outputs = model.outputs.compactMap { variable[ObjectIdentifier($0)] }
        let outputList = outputs.count == 1 ? outputs[0] : "[" + outputs.joined(separator: ", ") + "]"
        lines.append("    return keras.Model(inputs=inputs, outputs=\(outputList), name=\(PythonValue.quoted(model.name)))")

        var weightNames: [String] = []
        for node in model.nodes where !node.layer.parameters.isEmpty {
            let names = node.layer.parameters.map { PythonValue.quoted("\(node.layer.name)/\($0.name)") }
            weightNames.append("    \(PythonValue.quoted(node.layer.name)): [" + names.joined(separator: ", ") + "],")
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


        def build_model():
        \(lines.joined(separator: "\n"))


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
