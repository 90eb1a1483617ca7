/// Items a model trains on, served a batch at a time into buffers the model owns, so a
/// dataset can stay in its own form (UInt8 pixels, say) and be scaled batch by batch.
public protocol BatchSource {
    /// Number of items.
    var count: Int { get }
    /// Shape of one input item, without the batch axis: `[32, 32, 3]`.
    var itemShape: [Int] { get }
    /// nil when the targets are class indices (one `Int32` per item); otherwise the shape of
    /// one item's target values (`[10]` for one-hot labels).
    var targetShape: [Int]? { get }
    /// Writes the inputs of items `indices` into consecutive rows of `inputs`
    /// (shape `[indices.count] + itemShape`).
    func fillInputs(indices: ArraySlice<Int>, into inputs: Tensor)
    /// Writes the targets of items `indices`: class indices into `labels` when `targetShape`
    /// is nil, else values into `values` (shape `[indices.count] + targetShape`).
    func fillTargets(indices: ArraySlice<Int>, labels: UnsafeMutableBufferPointer<Int32>, values: Tensor)
}

/// A `BatchSource` over an in-memory tensor whose first axis is the item axis, with class
/// labels or target values.
public struct TensorBatchSource: BatchSource {
    public let inputs: Tensor
    public let labels: [Int32]?
    public let targets: Tensor?

    /// Items with class-index labels.
    public init(inputs: Tensor, labels: [Int32]) throws(ModelError) {
        guard inputs.rank >= 1, inputs.shape[0] == labels.count else {
            throw ModelError("\(labels.count) labels for \(inputs.rank >= 1 ? inputs.shape[0] : 0) input items",
                             hint: "give one label per item")
        }
        self.inputs = inputs
        self.labels = labels
        targets = nil
    }

    /// Items with target values (one-hot labels, regression targets).
    public init(inputs: Tensor, targets: Tensor) throws(ModelError) {
        guard inputs.rank >= 1, targets.rank >= 1, inputs.shape[0] == targets.shape[0] else {
            throw ModelError("targets of shape \(targets.shape) do not have one row per input item of \(inputs.shape)",
                             hint: "give one target row per item")
        }
        self.inputs = inputs
        labels = nil
        self.targets = targets
    }

    public var count: Int { inputs.shape[0] }
    public var itemShape: [Int] { Array(inputs.shape.dropFirst()) }
    public var targetShape: [Int]? { targets.map { Array($0.shape.dropFirst()) } }

    public func fillInputs(indices: ArraySlice<Int>, into batch: Tensor) {
        let item = inputs.count / max(inputs.shape[0], 1)
        let source = inputs.pointer, destination = batch.pointer
        for (row, index) in indices.enumerated() {
            (destination + row * item).update(from: source + index * item, count: item)
        }
    }

    public func fillTargets(indices: ArraySlice<Int>, labels out: UnsafeMutableBufferPointer<Int32>, values: Tensor) {
        if let labels {
            for (row, index) in indices.enumerated() { out[row] = labels[index] }
        } else if let targets {
            let item = targets.count / max(targets.shape[0], 1)
            for (row, index) in indices.enumerated() {
                (values.pointer + row * item).update(from: targets.pointer + index * item, count: item)
            }
        }
    }
}
