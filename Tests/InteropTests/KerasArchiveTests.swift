import Engine
import Foundation
import Interop
@testable import Language
import XCTest

/// `.keras` archives and `.weights.h5` files against Keras 3 itself (jax backend from the test
/// venv): what cnnb writes, Keras loads and predicts the same; what Keras writes, cnnb loads.
final class KerasArchiveTests: XCTestCase {
    func testKerasLoadsWhatCnnbSavesAndCnnbLoadsKerasWeights() throws {
        try PythonRuntime.require(["numpy", "keras", "jax", "h5py"], install: ["numpy", "keras", "jax", "h5py"])
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
        let result = try XCTUnwrap(PythonRuntime.run(["\(folder)/check.py", folder]))
        XCTAssertEqual(result.status, 0, result.errors)
        let lines = result.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, result.output + result.errors)
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

    func testSavingAModelNeedsTheKerasExtension() throws {
        let session = Session(outputDirectory: try temporaryFolder("kerasname"))
        _ = session.run("model m { input 4; dense 2 }")
        let error = try XCTUnwrap(session.run("save m \"m.h5\"", file: "lesson.cnnb").error)
        XCTAssertEqual(error.message, "a whole model is saved as a .keras file, not m.h5")
        XCTAssertEqual(error.span.column, 8)
        XCTAssertEqual(error.hint, "write save m \"m.keras\", or save m weights \"FILE\" for the weights alone")
        let missing = try XCTUnwrap(session.run("load m weights \"nowhere.weights.h5\"").error)
        XCTAssertTrue(missing.message.hasPrefix("cannot read "), missing.message)
    }
}
