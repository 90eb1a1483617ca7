import Datasets
import Engine
import Foundation

/// Per-layer processor time (summed over threads) and wall time of the training step (forward,
/// then backward from the loss), averaged over `batches` batches after a warm-up batch; written
/// to stderr for `--profile`. The engine's workers spin for a moment after each split and the
/// kernel adds a running thread's time to the process's in lumps, so a layer's processor time
/// can carry some of its neighbours'; the totals and the wall times are exact.
func profileLayers(_ model: Model, on source: BatchSource, batchSize: Int, batches: Int = 50) throws {
    let layers = Array(model.layers.dropFirst())
    // As in `fit`, nobody needs the gradient of the images.
    (layers.first as? Convolution)?.computesInputGradient = false
    let input = Tensor(zeros: [batchSize] + source.itemShape)
    var labels = [Int32](repeating: 0, count: batchSize)
    var forwardTime = [Double](repeating: 0, count: layers.count)
    var backwardTime = [Double](repeating: 0, count: layers.count)
    var forwardWall = [Double](repeating: 0, count: layers.count)
    var backwardWall = [Double](repeating: 0, count: layers.count)
    @inline(__always) func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
    var lossTime = 0.0
    @inline(__always) func clock() -> UInt64 { processorNanoseconds() }
    var wallStart = DispatchTime.now().uptimeNanoseconds
    for batch in 0...batches {
        if batch == 1 { wallStart = DispatchTime.now().uptimeNanoseconds }
        let indices = Array((batch * batchSize)..<((batch + 1) * batchSize)).map { $0 % source.count }
        source.fillInputs(indices: indices[...], into: input)
        labels.withUnsafeMutableBufferPointer { source.fillTargets(indices: indices[...], labels: $0, values: input) }
        let counted = batch > 0
        var x = input
        for (i, layer) in layers.enumerated() {
            let start = clock(), startWall = now()
            x = layer.forward(x, training: true)
            if counted {
                forwardTime[i] += Double(clock() - start)
                forwardWall[i] += Double(now() - startWall)
            }
        }
        var start = clock()
        var gradient = try Loss.sparseCategoricalCrossentropy.gradient(predictions: x, labels: labels, withRespectToLogits: true)
        if counted { lossTime += Double(clock() - start) }
        for parameter in model.parameters { parameter.gradient.fill(0) }
        for (i, layer) in layers.enumerated().reversed() {
            start = clock()
            let startWall = now()
            if i == layers.count - 1, let last = layer as? SoftmaxOutputLayer {
                gradient = last.backward(logitsGradient: gradient)
            } else {
                gradient = layer.backward(gradient)
            }
            if counted {
                backwardTime[i] += Double(clock() - start)
                backwardWall[i] += Double(now() - startWall)
            }
        }
    }
    let wall = Double(DispatchTime.now().uptimeNanoseconds - wallStart) / 1e3 / Double(batches)
    // Nanoseconds summed over `batches` -> microseconds a batch.
    let perBatch = 1e-3 / Double(batches)
    log("layer                 forward cpu µs  backward cpu µs  forward wall µs  backward wall µs  (batch \(batchSize), mean of \(batches))")
    for (i, layer) in layers.enumerated() {
        log(layer.name.padding(toLength: 24, withPad: " ", startingAt: 0)
            + String(format: " %15.0f  %15.0f  %15.0f  %16.0f", forwardTime[i] * perBatch, backwardTime[i] * perBatch,
                     forwardWall[i] * perBatch, backwardWall[i] * perBatch))
    }
    let total = (forwardTime.reduce(0, +) + backwardTime.reduce(0, +) + lossTime) * perBatch
    log(String(format: "total %.0f cpu µs a batch (loss %.0f µs): %.0f img/s on %d cores if perfectly parallel, without the optimizer",
               total, lossTime * perBatch, Double(batchSize) / total * 1e6 * Double(ProcessInfo.processInfo.activeProcessorCount), ProcessInfo.processInfo.activeProcessorCount))
    log(String(format: "wall %.0f µs a batch: %.0f img/s", wall, Double(batchSize) / wall * 1e6))
}

/// Where a prediction batch's time goes: filling the batch from the source, then each layer's
/// forward pass in inference mode, in processor and wall time, averaged over `batches` batches
/// after a warm-up batch; then `Model.predict` over the same images for the overhead around
/// the layers. Written to stderr for `--profile`.
func profileInference(_ model: Model, on source: DatasetSplit, batchSize: Int, batches: Int = 150) throws {
    let layers = Array(model.layers.dropFirst())
    let input = Tensor(zeros: [batchSize] + source.itemShape)
    var processor = [Double](repeating: 0, count: layers.count + 1)
    var wall = [Double](repeating: 0, count: layers.count + 1)
    func timed(_ k: Int, counted: Bool, _ body: () -> Void) {
        let start = processorNanoseconds(), wallStart = DispatchTime.now().uptimeNanoseconds
        body()
        if counted {
            processor[k] += Double(processorNanoseconds() - start)
            wall[k] += Double(DispatchTime.now().uptimeNanoseconds - wallStart)
        }
    }
    for batch in 0...batches {
        let indices = Array((batch * batchSize)..<((batch + 1) * batchSize)).map { $0 % source.count }
        timed(0, counted: batch > 0) { source.fillInputs(indices: indices[...], into: input) }
        var x = input
        for (i, layer) in layers.enumerated() {
            timed(i + 1, counted: batch > 0) { x = layer.forward(x, training: false) }
        }
    }
    let perBatch = 1e-3 / Double(batches)
    log("inference                cpu µs   wall µs  (batch \(batchSize), mean of \(batches))")
    for (k, name) in (["fill batch"] + layers.map(\.name)).enumerated() {
        log(name.padding(toLength: 22, withPad: " ", startingAt: 0)
            + String(format: " %8.0f  %8.0f", processor[k] * perBatch, wall[k] * perBatch))
    }
    let total = wall.reduce(0, +) * perBatch
    let images = min(source.count, batches * batchSize)
    let subset = source.prefix(images)
    _ = try model.predict(subset, batchSize: batchSize)
    let start = DispatchTime.now().uptimeNanoseconds, processorStart = processorNanoseconds()
    _ = try model.predict(subset, batchSize: batchSize)
    let predictBatches = Double((images + batchSize - 1) / batchSize)
    let predictWall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3 / predictBatches
    let predictProcessor = Double(processorNanoseconds() - processorStart) / 1e3 / predictBatches
    log(String(format: "sum of the above %.0f cpu µs, %.0f wall µs a batch (%.0f img/s)",
               processor.reduce(0, +) * perBatch, total, Double(batchSize) / total * 1e6))
    log(String(format: "Model.predict %.0f cpu µs, %.0f wall µs a batch (%.0f img/s)",
               predictProcessor, predictWall, Double(batchSize) / predictWall * 1e6))
}
