import Basics
@testable import Interop
import Engine
import Foundation
import XCTest

/// Models of the layers beyond the first lesson, rebuilt by Keras 3 (JAX backend) from the
/// exported script and weights: Keras takes every constructor argument cnnb writes, names the
/// weights as cnnb does, and predicts what cnnb predicts.
final class NewLayersKerasTests: XCTestCase {
    /// Images through preprocessing, augmentation (the identity in inference), a dilated
    /// convolution, batch normalisation, the activation layers, depthwise, separable and
    /// transposed convolutions, padding and up-sampling.
    func imageModel(seed: UInt64) throws -> Model {
        let input = Node.input(shape: [12, 10, 3], seed: seed)
        var x = try Rescaling(scale: 0.5, offset: 0.1)(input)
        x = try Resizing(height: 9, width: 11)(x)
        x = try CenterCrop(height: 8, width: 8)(x)
        x = try RandomFlip(seed: 1)(x)
        x = try RandomRotation(factor: 0.1, seed: 2)(x)
        x = try RandomTranslation(heightFactor: 0.1, widthFactor: 0.1, seed: 3)(x)
        x = try RandomZoom(heightFactor: 0.1, seed: 4)(x)
        x = try RandomContrast(factor: 0.1, seed: 5)(x)
        x = try Convolution(rank: 2, filters: 4, kernelSize: [3], padding: .same, dilation: [2])(x)
        x = try BatchNormalization()(x)
        x = try ReLU(maxValue: 6)(x)
        x = try DepthwiseConvolution(rank: 2, kernelSize: [3], depthMultiplier: 2, activation: .tanh)(x)
        x = try LeakyReLU()(x)
        x = try SeparableConvolution(rank: 2, filters: 5, kernelSize: [3], strides: [2], padding: .same)(x)
        x = try PReLU(sharedAxes: [1, 2])(x)
        x = try ConvolutionTranspose(rank: 2, filters: 3, kernelSize: [3], strides: [2], padding: .same)(x)
        x = try Softmax()(x)
        x = try ELU()(x)
        x = try ZeroPadding(rank: 2, amounts: [(1, 0), (0, 2)])(x)
        x = try UpSampling(rank: 2, size: [2, 1])(x)
        x = try PReLU()(x)
        x = try GlobalPooling(kind: .max, rank: 2)(x)
        let output = try Dense(units: 4)(x)
        return try Model(inputs: input, outputs: output)
    }

    func sequenceModel(seed: UInt64) throws -> Model {
        let input = Node.input(shape: [20, 2], seed: seed)
        var x = try Convolution(rank: 1, filters: 4, kernelSize: [3], dilation: [2], activation: .relu)(input)
        x = try DepthwiseConvolution(rank: 1, kernelSize: [3], strides: [2], depthMultiplier: 2)(x)
        x = try SeparableConvolution(rank: 1, filters: 3, kernelSize: [2], padding: .same, depthMultiplier: 2)(x)
        x = try ConvolutionTranspose(rank: 1, filters: 3, kernelSize: [4], strides: [3])(x)
        x = try ZeroPadding(rank: 1, amounts: [(1, 2)])(x)
        x = try UpSampling(rank: 1, size: [2])(x)
        x = try BatchNormalization(momentum: 0.9, epsilon: 0.01)(x)
        let output = try GlobalPooling(kind: .max, rank: 1)(x)
        return try Model(inputs: input, outputs: output)
    }

    func volumeModel(seed: UInt64) throws -> Model {
        let input = Node.input(shape: [3, 4, 3, 2], seed: seed)
        var x = try ConvolutionTranspose(rank: 3, filters: 2, kernelSize: [2, 3, 2], strides: [2], padding: .same)(input)
        x = try ZeroPadding(rank: 3, amounts: [(1, 0), (0, 1), (1, 1)])(x)
        x = try UpSampling(rank: 3, size: [1, 2, 1])(x)
        x = try Convolution(rank: 3, filters: 3, kernelSize: [2], dilation: [2, 1, 2])(x)
        x = try BatchNormalization()(x)
        let output = try GlobalPooling(kind: .max, rank: 3)(x)
        return try Model(inputs: input, outputs: output)
    }

    /// Random values for the weights that start constant (biases, γ, β, the moving
    /// statistics, PReLU's α), so the comparison sees them all.
    func randomiseWeights(_ model: Model, seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        for p in model.parameters {
            let range: (Float, Float)
            switch p.name {
            case "bias", "beta", "moving_mean", "alpha": range = (-0.5, 0.5)
            case "gamma", "moving_variance": range = (0.5, 1.5)
            default: continue
            }
            for i in 0..<p.value.count { p.value[flat: i] = generator.uniform(range.0, range.1) }
        }
    }

    func testKerasRebuildsModelsOfTheNewLayersAndPredictsTheSame() throws {
        // Keras 3 on JAX, the backend .ci/requirements.txt installs (without it Keras looks
        // for TensorFlow); a backend chosen by the caller stays.
        setenv("KERAS_BACKEND", "jax", 0)
        try PythonRuntime.require(["keras", "jax"], install: [])
        let folder = try temporaryFolder("keras-new-layers")
        let models = [try imageModel(seed: 1), try sequenceModel(seed: 2), try volumeModel(seed: 3)]
        var predictions: [Tensor] = []
        for (index, model) in models.enumerated() {
            randomiseWeights(model, seed: UInt64(20 + index))
            let x = randomInputs(model, count: 16, seed: UInt64(30 + index))
            predictions.append(try model.predict(x)[0])
            try KerasExport.export(model, to: "\(folder)/model\(index).py")
            try Npy.write(NumpyArray(x), to: "\(folder)/x\(index).npy")
        }
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
            np.save(f"{folder}/keras{i}.npy", np.asarray(outputs, dtype=np.float32))
            params = int(sum(np.prod(w.shape) for w in model.weights))
            trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
            report.append([[l.name for l in model.layers], [w.path for w in model.weights], [params, trainable]])
        print(json.dumps(report))
        """
        try Data(driver.utf8).write(to: URL(fileURLWithPath: "\(folder)/driver.py"))
        let run = try XCTUnwrap(PythonRuntime.run(["\(folder)/driver.py", folder, "\(models.count)"]))
        XCTAssertEqual(run.status, 0, run.errors)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [[Any]], run.output)
        for (index, model) in models.enumerated() {
            XCTAssertEqual(report[index][0] as? [String], model.layers.map(\.name))
            XCTAssertEqual(report[index][1] as? [String], KerasWeights.arrays(of: model).map(\.name))
            XCTAssertEqual(report[index][2] as? [Int], [model.parameterCount, model.trainableParameterCount])
            let theirs = try Npy.read("\(folder)/keras\(index).npy")
            XCTAssertEqual(theirs.shape, predictions[index].shape)
            let largest = zip(theirs.values, predictions[index].scalars).map { abs($0 - $1) }.max() ?? 1
            XCTAssertLessThanOrEqual(largest, 1e-4, "model \(index)")
            print("keras vs cnnb: model \(index) \(kerasTupleText(predictions[index].shape)) largest difference \(largest)")
        }
    }
}
