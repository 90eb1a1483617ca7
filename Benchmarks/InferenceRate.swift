import Engine
import Foundation

/// Images per second of `Model.predict` over `source` in batches of `batchSize`, best of
/// `repeats` passes (the first also warms the buffers of that batch size).
func measureInference(_ model: Model, on source: BatchSource, batchSize: Int, repeats: Int = 2) throws -> Double {
    var best = 0.0
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try model.predict(source, batchSize: batchSize)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        best = max(best, Double(source.count) / seconds)
    }
    return best
}
