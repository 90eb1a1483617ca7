/// Per-epoch metrics of a `fit`, under Keras's names (`history.history`): `loss` and
/// `accuracy` for a model with one output; with several, also `digit_loss`,
/// `digit_accuracy`, … per output name, `loss` being their sum; `val_` before each for
/// validation.
public struct History: Sendable {
    /// Every series by its Keras name.
    public private(set) var series: [String: [Double]] = [:]
    /// True when training stopped early because it was cancelled; only whole epochs are in
    /// the series.
    public var cancelled = false
    /// Batches done in the epoch that was cancelled.
    public var batchesInCancelledEpoch = 0

    public init() {}

    /// Mean training loss over each epoch's batches (weighted by batch size), as Keras reports.
    public var loss: [Double] { series["loss"] ?? [] }
    /// Training accuracy over each epoch; empty when accuracy was not asked for.
    public var accuracy: [Double] { series["accuracy"] ?? [] }
    public var valLoss: [Double] { series["val_loss"] ?? [] }
    public var valAccuracy: [Double] { series["val_accuracy"] ?? [] }

    /// Number of completed epochs.
    public var epochs: Int { loss.count }

    /// The metric names present, in the order Keras 3 lists them: training metrics by name,
    /// then validation ones.
    public var keys: [String] {
        let names = series.keys.sorted()
        return names.filter { !$0.hasPrefix("val_") } + names.filter { $0.hasPrefix("val_") }
    }

    /// `history["val_accuracy"]`, as `history.history['val_accuracy']`.
    public subscript(key: String) -> [Double]? { series[key] }

    /// Adds one epoch's `values`, each name prefixed with `prefix` (`val_`).
    mutating func append(_ values: [String: Double], prefix: String = "") {
        for (key, value) in values { series[prefix + key, default: []].append(value) }
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
    /// nil when accuracy was not asked for, or the model has several outputs (see `values`).
    public var accuracy: Double?
    /// Every running metric under its Keras name (`loss`, `digit_accuracy`, …).
    public var values: [String: Double]
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
    /// Every metric of the epoch under its Keras name, validation ones with `val_`.
    public var values: [String: Double]
    /// Seconds the epoch took, validation included.
    public var seconds: Double
    /// Training batches of the epoch.
    public var batchCount: Int
}

/// Result of `evaluate` (Keras's `[loss, accuracy]`, or its `return_dict=True` form in `values`).
public struct Evaluation: Sendable {
    public var loss: Double
    /// nil when accuracy was not asked for, or the model has several outputs.
    public var accuracy: Double?
    /// Every metric under its Keras name.
    public var values: [String: Double]
}
