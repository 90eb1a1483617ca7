/// Keras's training callbacks, driven from `fit`'s epoch-end hook: each looks at the epoch's
/// logs (`loss`, `accuracy`, `val_loss`, `val_accuracy`) and may ask training to stop.

extension EpochSummary {
    /// The epoch's metrics under Keras's names.
    public var logs: [String: Double] {
        var logs = ["loss": loss]
        if let accuracy { logs["accuracy"] = accuracy }
        if let valLoss { logs["val_loss"] = valLoss }
        if let valAccuracy { logs["val_accuracy"] = valAccuracy }
        return logs
    }
}

/// Which way a monitored quantity improves, as Keras's `mode="auto"` decides: losses go down,
/// accuracies up; `min_delta` is the margin an improvement must clear.
public struct Monitor: Sendable {
    public let name: String
    public let minDelta: Double
    public let higherIsBetter: Bool

    public init(_ name: String, minDelta: Double = 0) {
        self.name = name
        self.minDelta = abs(minDelta)
        higherIsBetter = name.hasSuffix("accuracy")
    }

    /// Keras's `_is_improvement`: any value beats none; else better by more than `min_delta`.
    public func improves(_ value: Double, on reference: Double?) -> Bool {
        guard let reference else { return true }
        return higherIsBetter ? value - minDelta > reference : value + minDelta < reference
    }
}

/// Keras's `EarlyStopping`: stops when the monitored value has not improved for `patience`
/// epochs (never after the first epoch); with `restoreBest`, the best epoch's weights are put
/// back when training ends.
public final class EarlyStopping {
    public let monitor: Monitor
    public let patience: Int
    public let restoreBest: Bool
    public private(set) var best: Double?
    /// 0-based, as Keras counts: the epoch whose value was best, and the epoch that stopped.
    public private(set) var bestEpoch = 0
    public private(set) var stoppedEpoch: Int?
    private var wait = 0
    private var bestWeights: [[Float]]?

    public init(monitor: Monitor = Monitor("val_loss"), patience: Int = 0, restoreBest: Bool = false) {
        self.monitor = monitor
        self.patience = patience
        self.restoreBest = restoreBest
    }

    /// Keras's `on_epoch_end`; true asks training to stop. `epoch` counts from 0.
    public func epochEnded(_ epoch: Int, logs: [String: Double], model: Model?) -> Bool {
        guard let current = logs[monitor.name] else { return false }
        if restoreBest && bestWeights == nil {
            bestWeights = model.map(Self.weights)
            bestEpoch = epoch
        }
        wait += 1
        if monitor.improves(current, on: best) {
            best = current
            bestEpoch = epoch
            if restoreBest { bestWeights = model.map(Self.weights) }
            wait = 0
            return false
        }
        if wait >= patience && epoch > 0 {
            stoppedEpoch = epoch
            return true
        }
        return false
    }

    /// Keras's `on_train_end`: the best weights back, when asked for. Returns whether it did.
    @discardableResult
    public func trainingEnded(model: Model) -> Bool {
        guard restoreBest, let bestWeights else { return false }
        for (parameter, values) in zip(model.parameters, bestWeights) {
            values.withUnsafeBufferPointer { parameter.value.pointer.update(from: $0.baseAddress!, count: values.count) }
        }
        return true
    }

    static func weights(_ model: Model) -> [[Float]] { model.parameters.map(\.value.scalars) }
}

/// Keras's `ModelCheckpoint(save_best_only=True)`: calls `save` at the end of each epoch whose
/// monitored value is the best so far (the first epoch always is).
public final class ModelCheckpoint {
    public let monitor: Monitor
    public private(set) var best: Double?
    public private(set) var savedEpochs: [Int] = []
    private let save: (Model) throws -> Void

    public init(monitor: Monitor = Monitor("val_loss"), save: @escaping (Model) throws -> Void) {
        self.monitor = monitor
        self.save = save
    }

    /// Saves when `logs` improve on the best; `epoch` counts from 0.
    public func epochEnded(_ epoch: Int, logs: [String: Double], model: Model) throws {
        guard let current = logs[monitor.name], monitor.improves(current, on: best) else { return }
        best = current
        try save(model)
        savedEpochs.append(epoch)
    }
}

/// Keras's `ReduceLROnPlateau` with `cooldown=0`: when the monitored value has not improved
/// (by more than `min_delta`, Keras's default 1e-4) for `patience` epochs, the optimizer's
/// learning rate is multiplied by `factor`, never below `minLR`.
public final class ReduceLROnPlateau {
    public let monitor: Monitor
    public let factor: Double
    public let patience: Int
    public let minLR: Double
    public private(set) var best: Double?
    /// Each reduction: the epoch (from 0) at whose end it happened and the new rate.
    public private(set) var reductions: [(epoch: Int, rate: Float)] = []
    private var wait = 0

    public init(monitor: Monitor = Monitor("val_loss", minDelta: 1e-4), factor: Double = 0.1, patience: Int = 10, minLR: Double = 0) {
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.minLR = minLR
    }

    /// Keras's `on_epoch_end`; returns the new rate when it lowered it. `epoch` counts from 0.
    @discardableResult
    public func epochEnded(_ epoch: Int, logs: [String: Double], optimizer: any Optimizer) -> Float? {
        guard let current = logs[monitor.name] else { return nil }
        if monitor.improves(current, on: best) {
            best = current
            wait = 0
            return nil
        }
        wait += 1
        guard wait >= patience else { return nil }
        // As Keras: the rate read as a float64, compared with min_lr as a float32; the wait
        // starts again only when the rate came down.
        let old = Double(optimizer.learningRate)
        guard old > Double(Float(minLR)) else { return nil }
        wait = 0
        let rate = Float(max(old * factor, minLR))
        optimizer.learningRate = rate
        reductions.append((epoch, rate))
        return rate
    }
}
