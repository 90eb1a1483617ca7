import Engine
import Foundation
import Interop
@testable import Language
import TestSupport
import XCTest

/// `.keras` archives and `.weights.h5` files against Keras 3 itself (jax backend from the test
/// venv): what cnnb writes, Keras loads and predicts the same; what Keras writes, cnnb loads.
final class KerasArchiveTests: XCTestCase {
    func testKerasLoadsWhatCnnbSavesAndCnnbLoadsKerasWeights() throws {
        try Python.require(["numpy", "keras", "jax", "h5py"])
        let folder = try temporaryFolder("keras")
        let session = Session(outputDirectory: folder)
        let source = """
            model cnn { input 12x10x3; conv 4 3x3 relu padding same; pool 2; conv 6 3x3 stride 2; flatten; dropout 0.25; dense 5 softmax }
            model signal { input 20x2; conv1d 3 5 relu; maxpool1d 2; globalavgpool1d; dense 2 }
            save cnn "cnn.keras"
            save signal "signal.keras"
            save cnn weights "cnn.weights.h5"
            """
        let run = session.run(source)
        XCTAssertNil(run.error, "\(String(describing: run.error))")
        guard case .model(let cnn)? = session["cnn"], case .model(let signal)? = session["signal"] else { return XCTFail("no models") }
        var generator = SeededGenerator(seed: 21)
        let x = Tensor(shape: [7, 12, 10, 3], values: (0..<(7 * 360)).map { _ in generator.uniform(-1, 1) })
        let s = Tensor(shape: [5, 20, 2], values: (0..<200).map { _ in generator.uniform(-1, 1) })
        try Npy.write(NumpyArray(x), to: "\(folder)/x.npy")
        try Npy.write(NumpyArray(s), to: "\(folder)/s.npy")
        try Npy.write(NumpyArray(try cnn.predict(x)[0]), to: "\(folder)/cnn.npy")
        try Npy.write(NumpyArray(try signal.predict(s)[0]), to: "\(folder)/signal.npy")
        let script = """
        import sys, zipfile, json
        import numpy as np
        import keras
        folder = sys.argv[1]
        x, s = np.load(f"{folder}/x.npy"), np.load(f"{folder}/s.npy")
        for name, data in (("cnn", x), ("signal", s)):
            m = keras.models.load_model(f"{folder}/{name}.keras")
            p = m.predict(data, verbose=0)
            mine = np.load(f"{folder}/{name}.npy")
            print(name, m.name, [l.name for l in m.layers], float(np.abs(p - mine).max()))
        z = zipfile.ZipFile(f"{folder}/cnn.keras")
        print(sorted(z.namelist()), json.loads(z.read("metadata.json"))["keras_version"])
        m = keras.models.load_model(f"{folder}/cnn.keras")
        fresh = keras.models.clone_model(m)
        fresh.load_weights(f"{folder}/cnn.weights.h5")
        print("weights.h5", float(np.abs(fresh.predict(x, verbose=0) - np.load(f"{folder}/cnn.npy")).max()))
        # Keras's own weights file, of changed weights, for cnnb to read.
        for w in m.weights:
            w.assign(w.numpy() * 0.5 + 0.01)
        m.save_weights(f"{folder}/keras.weights.h5")
        np.save(f"{folder}/keras.npy", m.predict(x, verbose=0))
        """
        try Data(script.utf8).write(to: URL(fileURLWithPath: "\(folder)/check.py"))
        let result = try XCTUnwrap(Python.run(["\(folder)/check.py", folder]))
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, result.stdout + result.stderr)
        guard lines.count == 4 else { return }
        for (line, expected) in zip(lines.prefix(2), [
            "cnn cnn ['input_layer', 'conv2d', 'max_pooling2d', 'conv2d_1', 'flatten', 'dropout', 'dense']",
            "signal signal ['input_layer', 'conv1d', 'max_pooling1d', 'global_average_pooling1d', 'dense']",
        ]) {
            XCTAssertTrue(line.hasPrefix(expected + " "), line)
            let difference = try XCTUnwrap(Double(line.split(separator: " ").last!))
            XCTAssertLessThanOrEqual(difference, 1e-5, line)
        }
        XCTAssertEqual(lines[2], "['config.json', 'metadata.json', 'model.weights.h5'] 3.15.1")
        XCTAssertLessThanOrEqual(try XCTUnwrap(Double(lines[3].split(separator: " ").last!)), 1e-5, lines[3])

        let loaded = session.run("load cnn weights \"\(folder)/keras.weights.h5\"")
        XCTAssertNil(loaded.error, "\(String(describing: loaded.error))")
        let expected = try Npy.read("\(folder)/keras.npy")
        let mine = try cnn.predict(x)[0]
        XCTAssertEqual(mine.shape, expected.shape)
        for (a, b) in zip(mine.scalars, expected.values) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testCnnbLoadsModelsKerasSaves() throws {
        try Python.require(["numpy", "keras", "jax", "h5py"])
        let folder = try temporaryFolder("kerasload")
        let script = """
        import sys
        import numpy as np
        import keras
        folder = sys.argv[1]
        keras.utils.set_random_seed(4)
        inp = keras.Input(shape=(9, 7, 2))
        x = keras.layers.Conv2D(5, (3, 2), strides=(2, 1), padding="same", activation="relu")(inp)
        x = keras.layers.AveragePooling2D(2)(x)
        x = keras.layers.Flatten()(x)
        x = keras.layers.Dense(8, activation="tanh")(x)
        x = keras.layers.Dropout(0.3)(x)
        out = keras.layers.Dense(3, activation="softmax", name="head")(x)
        m = keras.Model(inp, out, name="tiny")
        m.save(f"{folder}/tiny.keras")
        data = np.random.RandomState(0).uniform(-1, 1, size=(6, 9, 7, 2)).astype(np.float32)
        np.save(f"{folder}/x.npy", data)
        np.save(f"{folder}/p.npy", m.predict(data, verbose=0))
        seq = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(4), keras.layers.LayerNormalization()])
        seq.save(f"{folder}/norm.keras")
        print("ok")
        """
        try Data(script.utf8).write(to: URL(fileURLWithPath: "\(folder)/make.py"))
        let made = try XCTUnwrap(Python.run(["\(folder)/make.py", folder]))
        XCTAssertEqual(made.status, 0, made.stderr)
        let session = Session(outputDirectory: folder)
        let run = session.run("m = load model \"\(folder)/tiny.keras\"")
        XCTAssertNil(run.error, "\(String(describing: run.error))")
        guard case .model(let m)? = session["m"] else { return XCTFail("no model") }
        XCTAssertEqual(m.name, "tiny")
        XCTAssertEqual(m.layers.map(\.name), ["input_layer", "conv2d", "average_pooling2d", "flatten", "dense", "dropout", "head"])
        let x = try Npy.read("\(folder)/x.npy"), expected = try Npy.read("\(folder)/p.npy")
        let mine = try m.predict(Tensor(shape: x.shape, values: x.values))[0]
        XCTAssertEqual(mine.shape, expected.shape)
        for (a, b) in zip(mine.scalars, expected.values) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        // What cnnb saves, cnnb loads back the same.
        XCTAssertNil(session.run("save m \"again.keras\"\nn = load model \"\(folder)/again.keras\"").error)
        guard case .model(let n)? = session["n"] else { return XCTFail("no reloaded model") }
        XCTAssertEqual(try n.predict(Tensor(shape: x.shape, values: x.values))[0].scalars, mine.scalars)
        let unknown = try XCTUnwrap(session.run("k = load model \"\(folder)/norm.keras\"", file: "lesson.cnnb").error)
        XCTAssertEqual(unknown.message, "\(folder)/norm.keras: layer layer_normalization is a Keras LayerNormalization, which cnnb does not have")
        XCTAssertEqual(unknown.span.column, 16)
        XCTAssertNil(session["k"])
    }

    /// Models that are not chains: a residual add, a concatenation of two branches and two
    /// outputs. Keras writes one and cnnb loads it (predictions within 1e-5); cnnb saves its
    /// own graph model and Keras loads it, and so does cnnb, to the same predictions.
    func testGraphModelsLoadFromKerasAndFromCnnb() throws {
        try Python.require(["numpy", "keras", "jax", "h5py"])
        let folder = try temporaryFolder("kerasgraph")
        let session = Session(outputDirectory: folder)
        let run = session.run("""
            model mine {
                input 8x8x3
                stem = conv 4 3x3 relu padding same
                branch = conv 4 3x3 padding same
                sum = add stem, branch
                a = maxpool 2 from sum
                b = avgpool 2 from sum
                both = concat a, b
                pooled = globalavgpool
                digit = dense 3 softmax
                odd = dense 1 sigmoid from pooled
                outputs digit, odd
            }
            save mine "mine.keras"
            """)
        XCTAssertNil(run.error, "\(String(describing: run.error))")
        guard case .model(let mine)? = session["mine"] else { return XCTFail("no model") }
        var generator = SeededGenerator(seed: 5)
        let x = Tensor(shape: [4, 8, 8, 3], values: (0..<(4 * 192)).map { _ in generator.uniform(-1, 1) })
        try Npy.write(NumpyArray(x), to: "\(folder)/x.npy")
        let minePredictions = try mine.predict(x)
        let script = """
        import sys
        import numpy as np
        import keras
        folder = sys.argv[1]
        x = np.load(f"{folder}/x.npy")
        m = keras.models.load_model(f"{folder}/mine.keras")
        for i, p in enumerate(m.predict(x, verbose=0)):
            np.save(f"{folder}/mine_keras_{i}.npy", p)
        print(m.name, [l.name for l in m.layers], [o.shape for o in m.outputs])
        keras.utils.set_random_seed(3)
        inp = keras.Input(shape=(8, 8, 3), name="pixels")
        s = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
        r = keras.layers.Conv2D(4, 3, padding="same")(s)
        r = keras.layers.Add()([s, r])
        r = keras.layers.ReLU()(r)
        a = keras.layers.MaxPooling2D(2)(r)
        b = keras.layers.AveragePooling2D(2)(r)
        c = keras.layers.Concatenate()([a, b])
        g = keras.layers.GlobalAveragePooling2D()(c)
        digit = keras.layers.Dense(3, activation="softmax", name="digit")(g)
        odd = keras.layers.Dense(1, activation="sigmoid", name="odd")(g)
        k = keras.Model(inp, [digit, odd], name="residual")
        k.save(f"{folder}/residual.keras")
        for i, p in enumerate(k.predict(x, verbose=0)):
            np.save(f"{folder}/residual_{i}.npy", p)
        print(k.name, [l.name for l in k.layers])
        # What cnnb cannot rebuild: a layer applied twice, a model of two inputs.
        v = keras.Input(shape=(4,))
        d = keras.layers.Dense(4)
        keras.Model(v, d(d(v)), name="shared").save(f"{folder}/shared.keras")
        a, b = keras.Input(shape=(4,)), keras.Input(shape=(4,))
        keras.Model([a, b], keras.layers.Add()([a, b]), name="two").save(f"{folder}/two.keras")
        """
        try Data(script.utf8).write(to: URL(fileURLWithPath: "\(folder)/check.py"))
        let result = try XCTUnwrap(Python.run(["\(folder)/check.py", folder]))
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines, [
            "mine ['input_layer', 'conv2d', 'conv2d_1', 'add', 'max_pooling2d', 'average_pooling2d', 'concatenate', "
                + "'global_average_pooling2d', 'dense', 'dense_1'] [(None, 3), (None, 1)]",
            "residual ['pixels', 'conv2d', 'conv2d_1', 'add', 're_lu', 'max_pooling2d', 'average_pooling2d', 'concatenate', "
                + "'global_average_pooling2d', 'digit', 'odd']",
        ], result.stdout + result.stderr)
        func assertClose(_ mine: [Tensor], _ prefix: String, file: StaticString = #filePath, line: UInt = #line) throws {
            XCTAssertEqual(mine.count, 2, file: file, line: line)
            for (i, tensor) in mine.enumerated() {
                let expected = try Npy.read("\(folder)/\(prefix)_\(i).npy")
                XCTAssertEqual(tensor.shape, expected.shape, file: file, line: line)
                let largest = zip(tensor.scalars, expected.values).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertLessThanOrEqual(largest, 1e-5, "\(prefix) output \(i)", file: file, line: line)
            }
        }
        // Keras predicts what cnnb predicts on the model cnnb saved.
        try assertClose(minePredictions, "mine_keras")

        // cnnb loads the residual model Keras saved, with its names, graph and predictions.
        let loaded = session.run("k = load model \"\(folder)/residual.keras\"\nback = load model \"mine.keras\"")
        XCTAssertNil(loaded.error, "\(String(describing: loaded.error))")
        guard case .model(let k)? = session["k"], case .model(let back)? = session["back"] else { return XCTFail("no loaded models") }
        XCTAssertEqual(k.name, "residual")
        XCTAssertEqual(k.layers.map(\.name), ["pixels", "conv2d", "conv2d_1", "add", "re_lu", "max_pooling2d", "average_pooling2d",
                                              "concatenate", "global_average_pooling2d", "digit", "odd"])
        XCTAssertEqual(k.outputShapes, [[3], [1]])
        XCTAssertEqual(k.nodes.first { $0.layer.name == "add" }?.inputs.map(\.layer.name), ["conv2d", "conv2d_1"])
        XCTAssertEqual(k.parameterCount, 112 + 148 + 27 + 9)
        try assertClose(try k.predict(x), "residual")
        let text = loaded.outputs.compactMap(\.plainText).joined(separator: "\n")
        XCTAssertTrue(text.contains("add name \"add\" from conv2d, conv2d_1"), text)
        XCTAssertTrue(text.contains("outputs digit, odd"), text)
        for (file, message) in [("shared", "layer dense is applied 2 times (shared weights); cnnb reads layers applied once"),
                                ("two", "has 2 inputs; cnnb's models have one")] {
            let error = try XCTUnwrap(session.run("z = load model \"\(folder)/\(file).keras\"", file: "lesson.cnnb").error)
            XCTAssertEqual(error.message, "\(folder)/\(file).keras" + (file == "two" ? " " : ": ") + message)
            XCTAssertEqual(error.span.column, 16)
            XCTAssertNil(session["z"])
        }
        // cnnb reads back its own file to the same numbers.
        XCTAssertEqual(back.layers.map(\.name), mine.layers.map(\.name))
        for (a, b) in zip(try back.predict(x), minePredictions) { XCTAssertEqual(a.scalars, b.scalars) }
    }

    func testSavingAModelNeedsTheKerasExtension() throws {
        let session = Session(outputDirectory: try temporaryFolder("kerasname"))
        _ = session.run("model m { input 4; dense 2 }")
        let error = try XCTUnwrap(session.run("save m \"m.h5\"", file: "lesson.cnnb").error)
        XCTAssertEqual(error.message, "a whole model is saved as a .keras file, not m.h5")
        XCTAssertEqual(error.span.column, 8)
        XCTAssertEqual(error.hint, "write save m \"m.keras\", or save m weights \"FILE\" for the weights alone")
        // A layer applied twice, or a model inside another, has no .keras form cnnb writes.
        _ = session.run("d = dense 4\nmodel shared { input 4; d; d }\nmodel outer { input 4; m; dense 1 }")
        for name in ["shared", "outer"] {
            let refused = try XCTUnwrap(session.run("save \(name) \"\(name).keras\"", file: "lesson.cnnb").error)
            XCTAssertEqual(refused.message, name == "shared"
                           ? "model shared applies a layer more than once (shared weights); cnnb writes .keras files of layers applied once"
                           : "model outer holds model m as a layer; cnnb writes .keras files of plain layers")
            XCTAssertEqual(refused.hint, "save its weights instead: save \(name) weights \"\(name).weights.h5\"")
            XCTAssertEqual(refused.span.column, 7 + name.count)
        }
        let missing = try XCTUnwrap(session.run("load m weights \"nowhere.weights.h5\"").error)
        XCTAssertTrue(missing.message.hasPrefix("cannot read "), missing.message)
    }
}
