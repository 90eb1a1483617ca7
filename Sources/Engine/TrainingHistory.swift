/// Per-epoch metrics of a `fit`, under Keras's names (`history.history`).
public struct History: Sendable {
    /// Mean training loss over each epoch's batches (weighted by batch size), as Keras reports.
    public var loss: [Double] = []
    /// Training accuracy over each epoch; empty when accuracy was not asked for.
    public var accuracy: [Double] = []
    public var valLoss: [Double] = []
    public var valAccuracy: [Double] = []
    /// True when training stopped early because it was cancelled; only whole epochs are in
    /// the arrays.
    public var cancelled = false
    /// Batches done in the epoch that was cancelled.
    public var batchesInCancelledEpoch = 0

    public init() {}

    /// Number of completed epochs.
    public var epochs: Int { loss.count }

    /// The metric names present, in the order Keras 3 lists them.
    public var keys: [String] {
        var keys: [String] = []
        if !accuracy.isEmpty { keys.append("accuracy") }
        keys.append("loss")
        if !valAccuracy.isEmpty { keys.append("val_accuracy") }
        if !valLoss.isEmpty { keys.append("val_loss") }
        return keys
    }

    /// `history["val_accuracy"]`, as `history.history['val_accuracy']`.
    public subscript(key: String) -> [Double]? {
        switch key {
        case "loss": return loss
        case "accuracy": return accuracy.isEmpty ? nil : accuracy
        case "val_loss": return valLoss.isEmpty ? nil : valLoss
        case "val_accuracy": return valAccuracy.isEmpty ? nil : valAccuracy
        default: return nil
        }
    }
}

/// State of training after one batch, for a progress bar.
public struct BatchProgress: Sendable {
    /// 1-based epoch and its count.
    public var epoch: Int
    public var epochs: Int
    /// Batches done in this epoch (1-based) and the epoch's batch count.
    public var batch: Int
    public var batchCount: Int
    /// Running means over this epoch's batches so far.
    public var loss: Double
    public var accuracy: Double?
    /// Seconds since the epoch started.
    public var elapsed: Double
}

/// Metrics of one finished epoch.
public struct EpochSummary: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var loss: Double
    public var accuracy: Double?
    public var valLoss: Double?
    public var valAccuracy: Double?
    /// Seconds the epoch took, validation included.
    public var seconds: Double
    /// Training batches of the epoch.
    public var batchCount: Int
}

/// Result of `evaluate` (Keras's `[loss, accuracy]`).
public struct Evaluation: Sendable {
    public var loss: Double
    public var accuracy: Double?
}
