import Engine
import Foundation

struct TrainingResult {
    var imagesPerSecond: Double
    /// Images per second of processor time (all threads together).
    var imagesPerProcessorSecond: Double
    /// Images per second of each epoch.
    var epochRates: [Double]
    var finalLoss: Double
    var finalAccuracy: Double?
}

/// Trains `model` with `Model.fit` and times the training steps (no validation inside).
func measureTraining(_ model: Model, on source: BatchSource, epochs: Int, batchSize: Int,
                     seed: UInt64) throws -> TrainingResult {
    var epochRates: [Double] = []
    var seconds = 0.0
    let processorStart = processorNanoseconds()
    let history = try model.fit(source, epochs: epochs, batchSize: batchSize, seed: seed, epochEnd: { summary in
        seconds += summary.seconds
        epochRates.append(Double(source.count) / summary.seconds)
        log(String(format: "epoch %d/%d: %.1f s, %.0f img/s, loss %.4f, accuracy %.4f", summary.epoch, summary.epochs,
                   summary.seconds, Double(source.count) / summary.seconds, summary.loss, summary.accuracy ?? .nan))
    })
    let processorSeconds = Double(processorNanoseconds() - processorStart) / 1e9
    return TrainingResult(imagesPerSecond: Double(source.count * epochs) / seconds,
                          imagesPerProcessorSecond: Double(source.count * epochs) / processorSeconds, epochRates: epochRates,
                          finalLoss: history.loss.last ?? .nan, finalAccuracy: history.accuracy.last)
}

/// Progress for a person watching, on stderr so stdout stays key=value lines.
func log(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
