import Engine
import Foundation
import FuzzSupport
import Interop

/// The model Keras wrote the seeds from (Seeds/FuzzKeras): input 4x4x1; conv 2 3x3; flatten;
/// dense 2. Built once; each input's weights are loaded into it.
let model: Model = {
    do {
        let input = Node.input(shape: [4, 4, 1], seed: 1)
        let features = try Flatten()(try Convolution(rank: 2, filters: 2, kernelSize: [3])(input))
        return try Model(inputs: input, outputs: try Dense(units: 2)(features))
    } catch {
        fatalError("the fuzz target's model: \(error)")
    }
}()

/// A `.keras` archive (zip, config.json, the weights file inside) or a `.weights.h5` file alone
/// (libhdf5 on the bytes in memory), loaded as `load model` and `load … weights` load them.
func fuzzOne(_ bytes: [UInt8]) {
    if bytes.starts(with: Array("PK".utf8)) {
        guard let contents = try? KerasArchive.read(bytes: bytes, path: "fuzz.keras") else { return }
        _ = try? contents.loadWeights(into: model)
    } else {
        _ = try? KerasArchive.loadWeights(model, fromBytes: bytes, describedAs: "fuzz.weights.h5")
    }
}

fuzz(fuzzOne)
