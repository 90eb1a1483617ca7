import Engine
import Foundation

/// Keras's training output: `Epoch 1/5`, then a line per epoch
/// `1563/1563 [==============================] - 12s 8ms/step - loss: … - accuracy: …`.
/// While a batch is running the line ends with `ETA: 1:23` instead of the time taken.
enum TrainingLog {
    static let barWidth = 30

    static func epochHeader(_ epoch: Int, of epochs: Int) -> String { "Epoch \(epoch)/\(epochs)" }

    /// The progress line after `batch` of `batchCount` batches, `elapsed` seconds into the epoch.
    static func line(batch: Int, of batchCount: Int, elapsed: Double, metrics: [(String, Double)]) -> String {
        let digits = String(batchCount).count
        let counter = String(repeating: " ", count: max(digits - String(batch).count, 0)) + "\(batch)/\(batchCount)"
        var text = counter + " " + bar(batch: batch, of: batchCount)
        if batch < batchCount {
            let eta = elapsed / Double(max(batch, 1)) * Double(batchCount - batch)
            text += " - ETA: " + etaText(eta)
        } else {
            text += " - \(Int(elapsed.rounded()))s " + perStepText(elapsed / Double(max(batchCount, 1)))
        }
        for (name, value) in metrics { text += " - \(name): " + String(format: "%.4f", value) }
        return text
    }

    /// `[=========>....................]`: done batches as `=`, the current one as `>`.
    static func bar(batch: Int, of batchCount: Int) -> String {
        let done = batchCount > 0 ? Int(Double(barWidth) * Double(batch) / Double(batchCount)) : barWidth
        var text = "[" + String(repeating: "=", count: max(done - (batch < batchCount ? 1 : 0), 0))
        if batch < batchCount { text += done > 0 ? ">" : "" }
        text += String(repeating: ".", count: max(barWidth - max(done, batch < batchCount && done == 0 ? 0 : done), 0))
        return text + "]"
    }

    /// Keras's ETA: `1:02:03` above an hour, `1:23` above a minute, else `12s`.
    static func etaText(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%d:%02d:%02d", s / 3600, (s % 3600) / 60, s % 60) }
        if s >= 60 { return String(format: "%d:%02d", s / 60, s % 60) }
        return "\(s)s"
    }

    /// `8ms/step`, `1s/step` or `350us/step`.
    static func perStepText(_ seconds: Double) -> String {
        if seconds >= 1 { return "\(Int(seconds.rounded()))s/step" }
        if seconds >= 1e-3 { return "\(Int((seconds * 1e3).rounded()))ms/step" }
        return "\(Int((seconds * 1e6).rounded()))us/step"
    }

    static func metrics(loss: Double, accuracy: Double?, valLoss: Double? = nil, valAccuracy: Double? = nil) -> [(String, Double)] {
        var list = [("loss", loss)]
        if let accuracy { list.append(("accuracy", accuracy)) }
        if let valLoss { list.append(("val_loss", valLoss)) }
        if let valAccuracy { list.append(("val_accuracy", valAccuracy)) }
        return list
    }
}
