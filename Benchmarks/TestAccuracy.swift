import Engine

/// Accuracy of `model` on the test images (`Model.evaluate`).
func measureTestAccuracy(_ model: Model, on source: BatchSource, batchSize: Int) throws -> Double {
    try model.evaluate(source, batchSize: batchSize).accuracy ?? .nan
}
