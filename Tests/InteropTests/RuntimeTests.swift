import Basics
@testable import Interop
import Engine
import Foundation
import TestSupport
import XCTest

/// cnnb's files checked by the tools they are for: NumPy reads and writes the same arrays,
/// onnxruntime runs the exported graphs and gets cnnb's predictions, Keras rebuilds the model.
final class RuntimeTests: XCTestCase {
    static let onnxScript = """
    import json, sys
    import numpy as np
    import onnx
    import onnxruntime as ort

    folder = sys.argv[1]
    report = {}
    for case in sys.argv[2:]:
        path = f"{folder}/{case}.onnx"
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        x = np.load(f"{folder}/{case}-x.npy")
        first = session.get_inputs()[0]
        outputs = session.run(None, {first.name: x})
        names = [o.name for o in session.get_outputs()]
        np.savez(f"{folder}/{case}-onnx.npz", **dict(zip(names, outputs)))
        with np.load(f"{folder}/{case}-weights.npz") as w:
            weights = [[k, list(w[k].shape), str(w[k].dtype)] for k in w.files]
        report[case] = {
            "input": first.name, "input_shape": [str(d) for d in first.shape],
            "outputs": names, "output_shapes": [[str(d) for d in o.shape] for o in session.get_outputs()],
            "opset": model.opset_import[0].version, "ops": sorted({n.op_type for n in model.graph.node}),
            "weights": weights, "x": [str(x.dtype)] + [str(d) for d in x.shape],
        }
    print(json.dumps(report))
    """

    struct Case {
        var name: String
        var model: Model
    }

    func testONNXRuntimeAndNumpyAgreeWithCnnbOnSeed1D2DAnd3DModels() throws {
        try Python.require(["onnx", "onnxruntime", "numpy"])
        let folder = try temporaryFolder("onnx")
        let cases = [Case(name: "seed", model: try seedModel(seed: 11)), Case(name: "conv1d", model: try model1D(seed: 12)),
                     Case(name: "conv2d", model: try model2D(seed: 17)),
                     Case(name: "conv3d", model: try model3D(seed: 13)), Case(name: "graph", model: try graphModel(seed: 19)),
                     Case(name: "broadcast", model: try broadcastModel(seed: 23))]
        var predictions: [String: [Tensor]] = [:]
        for (index, c) in cases.enumerated() {
            randomiseBiases(c.model, seed: UInt64(20 + index))
            let x = randomInputs(c.model, count: 64, seed: UInt64(30 + index))
            predictions[c.name] = try c.model.predict(x)
            try Npy.write(NumpyArray(x), to: "\(folder)/\(c.name)-x.npy")
            try ONNXExport.write(c.model, to: "\(folder)/\(c.name).onnx")
            try KerasWeights.save(c.model, to: "\(folder)/\(c.name)-weights.npz")
        }
        try Data(Self.onnxScript.utf8).write(to: URL(fileURLWithPath: "\(folder)/check.py"))
        let run = try XCTUnwrap(Python.run(["\(folder)/check.py", folder] + cases.map(\.name)))
        XCTAssertEqual(run.status, 0, run.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: [String: Any]], run.stdout)

        for c in cases {
            let r = try XCTUnwrap(report[c.name])
            XCTAssertEqual(r["opset"] as? Int, 13)
            XCTAssertEqual(r["input"] as? String, "input_layer")
            XCTAssertEqual(r["input_shape"] as? [String], ["batch"] + c.model.inputShape.map(String.init))
            XCTAssertEqual(r["x"] as? [String], ["float32", "64"] + c.model.inputShape.map(String.init))
            XCTAssertEqual(r["outputs"] as? [String], c.model.outputs.map(\.layer.name))
            XCTAssertEqual(r["output_shapes"] as? [[String]], c.model.outputShapes.map { ["batch"] + $0.map(String.init) })
            // numpy.load reads the weights: Keras's names, shapes and float32.
            let weights = try XCTUnwrap(r["weights"] as? [[Any]])
            let expected = KerasWeights.arrays(of: c.model)
            XCTAssertEqual(weights.map { $0[0] as? String }, expected.map(\.name))
            XCTAssertEqual(weights.map { $0[1] as? [Int] }, expected.map(\.array.shape))
            XCTAssertEqual(Set(weights.map { $0[2] as? String }), ["float32"])

            let runtime = try Npz.read("\(folder)/\(c.name)-onnx.npz")
            let ours = try XCTUnwrap(predictions[c.name])
            XCTAssertEqual(runtime.map(\.name), c.model.outputs.map(\.layer.name))
            for ((name, theirs), mine) in zip(runtime, ours) {
                XCTAssertEqual(theirs.shape, mine.shape, "\(c.name) \(name)")
                guard theirs.shape == mine.shape else { continue }
                var largest: Float = 0
                for (a, b) in zip(theirs.values, mine.scalars) { largest = max(largest, abs(a - b)) }
                XCTAssertLessThanOrEqual(largest, 1e-4, "\(c.name) output \(name)")
                let scale = mine.scalars.map(abs).max() ?? 0
                XCTAssertGreaterThan(scale, 1e-3, "\(c.name) output \(name) is not all zeros")
                print("onnxruntime vs cnnb: \(c.name) \(name) \(kerasTupleText(mine.shape)) largest difference \(largest) (values up to \(scale))")
            }
        }
        let ops = Set(cases.flatMap { report[$0.name]?["ops"] as? [String] ?? [] })
        XCTAssertTrue(ops.isSuperset(of: ["Conv", "MaxPool", "AveragePool", "GlobalMaxPool", "GlobalAveragePool", "Gemm", "MatMul",
                                          "Relu", "Sigmoid", "Tanh", "Softmax", "Flatten", "Transpose",
                                          "Sum", "Sub", "Mul", "Mean", "Max", "Min", "Concat"]), "\(ops.sorted())")
    }

    func testNumpyWritesWhatCnnbReadsAndReadsWhatCnnbWrites() throws {
        try Python.require(["numpy"])
        let folder = try temporaryFolder("numpy")
        let array = NumpyArray(shape: [3, 4, 2], values: (0..<24).map { Float($0) * 0.25 - 2 })
        try Npy.write(array, to: "\(folder)/cnnb.npy")
        try Npz.write([("conv2d/kernel", array), ("conv2d/bias", NumpyArray(shape: [2], values: [1, -1]))], to: "\(folder)/cnnb.npz")
        let script = """
        import sys
        import numpy as np
        folder = sys.argv[1]
        a = (np.arange(24, dtype=np.float32) * 0.25 - 2).reshape(3, 4, 2)
        mine = np.load(f"{folder}/cnnb.npy")
        assert mine.dtype == np.float32 and mine.shape == (3, 4, 2) and (mine == a).all(), mine
        with open(f"{folder}/cnnb.npy", "rb") as f, open(f"{folder}/numpy.npy", "wb") as g:
            np.save(g, a)
            g.flush()
            assert f.read() == open(f"{folder}/numpy.npy", "rb").read(), "the bytes differ from numpy.save's"
        with np.load(f"{folder}/cnnb.npz") as z:
            assert z.files == ["conv2d/kernel", "conv2d/bias"], z.files
            assert (z["conv2d/kernel"] == a).all() and z["conv2d/bias"].tolist() == [1.0, -1.0]
        np.savez(f"{folder}/plain.npz", **{"dense/kernel": a, "dense/bias": np.float32([0.5, 0.25])})
        np.savez_compressed(f"{folder}/deflated.npz", **{"dense/kernel": a, "dense/bias": np.float32([0.5, 0.25])})
        np.save(f"{folder}/double.npy", a.astype(np.float64))
        print("ok")
        """
        try Data(script.utf8).write(to: URL(fileURLWithPath: "\(folder)/check.py"))
        let run = try XCTUnwrap(Python.run(["\(folder)/check.py", folder]))
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout, "ok\n")
        for file in ["plain", "deflated"] {
            let arrays = try Npz.read("\(folder)/\(file).npz")
            XCTAssertEqual(arrays.map(\.name), ["dense/kernel", "dense/bias"], file)
            XCTAssertEqual(arrays.map(\.array), [array, NumpyArray(shape: [2], values: [0.5, 0.25])], file)
        }
        XCTAssertEqual(try Npy.read("\(folder)/double.npy"), array)
    }

    func testKerasRebuildsTheModel() throws {
        try Python.require(["keras", "numpy"])
        let folder = try temporaryFolder("keras")
        let models = [try seedModel(seed: 14), try model1D(seed: 15), try model3D(seed: 16), try model2D(seed: 18), try graphModel(seed: 21),
                      try broadcastModel(seed: 22)]
        var predictions: [[Tensor]] = []
        for (index, model) in models.enumerated() {
            randomiseBiases(model, seed: UInt64(40 + index))
            let x = randomInputs(model, count: 64, seed: UInt64(50 + index))
            predictions.append(try model.predict(x))
            try KerasExport.export(model, to: "\(folder)/model\(index).py")
            try Npy.write(NumpyArray(x), to: "\(folder)/x\(index).npy")
        }
        // One Python process imports every exported module (Keras starts once): Keras's
        // own layer and variable names, and its predictions.
        let driver = """
        import importlib.util, json, sys
        import numpy as np
        folder, count = sys.argv[1], int(sys.argv[2])
        report = []
        for i in range(count):
            spec = importlib.util.spec_from_file_location(f"model{i}", f"{folder}/model{i}.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            model = module.load_model()
            outputs = model.predict(np.load(f"{folder}/x{i}.npy"), verbose=0)
            outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
            np.savez(f"{folder}/keras{i}.npz", *[np.asarray(o, dtype=np.float32) for o in outputs])
            np.savez(f"{folder}/from-keras{i}.npz", **{w.path: np.asarray(w.numpy()) for w in model.weights})
            report.append([[l.name for l in model.layers], [w.path for w in model.weights]])
        print(json.dumps(report))
        """
        try Data(driver.utf8).write(to: URL(fileURLWithPath: "\(folder)/driver.py"))
        let run = try XCTUnwrap(Python.run(["\(folder)/driver.py", folder, "\(models.count)"]))
        XCTAssertEqual(run.status, 0, run.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[[String]]], run.stdout)
        for (index, model) in models.enumerated() {
            XCTAssertEqual(report[index].first, model.layers.map(\.name))
            // Keras rebuilds the graph with the same weights; its variable paths of a nested
            // model are the inner layers' own, which cnnb prefixes with the model's name.
            XCTAssertEqual(report[index].last?.count, KerasWeights.arrays(of: model).count)
            if index == 4 {
                XCTAssertEqual(report[index].first, ["input_layer", "conv2d", "conv2d_1", "conv2d_2", "add", "activation", "max_pooling2d",
                                                     "conv2d_3", "conv2d_4", "concatenate", "base", "dense", "dense_1", "multiply",
                                                     "subtract", "maximum", "average", "minimum", "concatenate_1", "dense_2"])
            } else {
                XCTAssertEqual(report[index].last, KerasWeights.arrays(of: model).map(\.name))
            }
            // Weights Keras writes by variable path load into a fresh cnnb model.
            if index < 4 {
                let fresh = try [seedModel(seed: 60), model1D(seed: 61), model3D(seed: 62), model2D(seed: 63)][index]
                try KerasWeights.load(fresh, from: "\(folder)/from-keras\(index).npz")
                XCTAssertEqual(fresh.parameters.map(\.value.scalars), model.parameters.map(\.value.scalars))
            }
            let theirs = try Npz.read("\(folder)/keras\(index).npz").map(\.array)
            XCTAssertEqual(theirs.map(\.shape), predictions[index].map(\.shape))
            for (a, b) in zip(theirs, predictions[index]) {
                let largest = zip(a.values, b.scalars).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThanOrEqual(largest, 1e-4, "model \(index)")
                print("keras vs cnnb: model \(index) \(kerasTupleText(b.shape)) largest difference \(largest)")
            }
        }
        // The script's own command line, on the model with two outputs.
        let cli = try XCTUnwrap(Python.run(["\(folder)/model1.py", "\(folder)/x1.npy", "\(folder)/cli.npz"]))
        XCTAssertEqual(cli.status, 0, cli.stderr)
        let cliOutputs = try Npz.read("\(folder)/cli.npz")
        XCTAssertEqual(cliOutputs.map(\.name), ["dense_1", "average_pooling1d"])
        XCTAssertEqual(cliOutputs.map(\.array.shape), [[64, 3], [64, 10, 8]])
        let largest = zip(cliOutputs[0].array.values, predictions[1][0].scalars).map { abs($0 - $1) }.max() ?? 1
        XCTAssertLessThanOrEqual(largest, 1e-4)
    }
}
