import Engine
import Foundation

/// Images per second of `Model.predict` over `source` in batches of `batchSize`, per second
/// of wall time and per second of processor time, each the best of `repeats` passes (the first
/// also warms the buffers of that batch size).
func measureInference(_ model: Model, on source: BatchSource, batchSize: Int,
                      repeats: Int = 2) throws -> (perSecond: Double, perProcessorSecond: Double) {
    var best = 0.0, bestProcessor = 0.0
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds, processorStart = processorNanoseconds()
        _ = try model.predict(source, batchSize: batchSize)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let processorSeconds = Double(processorNanoseconds() - processorStart) / 1e9
        best = max(best, Double(source.count) / seconds)
        bestProcessor = max(bestProcessor, Double(source.count) / processorSeconds)
    }
    return (best, bestProcessor)
}
