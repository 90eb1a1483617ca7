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

    /// Sets of targets, one per output of a model with several (1 by default).
    var targetSetCount: Int { get }
    /// `targetShape` of target set `set`.
    func targetShape(ofSet set: Int) -> [Int]?
    /// `fillTargets` for target set `set`.
    func fillTargets(ofSet set: Int, indices: ArraySlice<Int>, labels: UnsafeMutableBufferPointer<Int32>, values: Tensor)
}

extension BatchSource {
    public var targetSetCount: Int { 1 }
    public func targetShape(ofSet set: Int) -> [Int]? { targetShape }
    public func fillTargets(ofSet set: Int, indices: ArraySlice<Int>, labels: UnsafeMutableBufferPointer<Int32>, values: Tensor) {
        fillTargets(indices: indices, labels: labels, values: values)
    }
}

/// The targets of one model output: class indices, or values of some shape per item.
public enum TargetSet {
    case labels([Int32])
    case values(Tensor)

    public var itemCount: Int {
        switch self {
        case .labels(let labels): labels.count
        case .values(let values): values.rank >= 1 ? values.shape[0] : 0
        }
    }

    /// nil for class indices, else the shape of one item's values.
    public var itemShape: [Int]? {
        if case .values(let values) = self { return Array(values.shape.dropFirst()) }
        return nil
    }

    /// Items `range` alone (the caller checks the bounds).
    public func rows(_ range: Range<Int>) -> TargetSet {
        switch self {
        case .labels(let labels): .labels(Array(labels[range]))
        case .values(let values): .values(values.slice(range))
        }
    }

    /// Writes the targets of items `indices`: class indices into `labels`, or values into
    /// consecutive rows of `values`.
    public func fill(indices: ArraySlice<Int>, labels out: UnsafeMutableBufferPointer<Int32>, values: Tensor) {
        switch self {
        case .labels(let labels):
            for (row, index) in indices.enumerated() { out[row] = labels[index] }
        case .values(let targets):
            let item = targets.count / max(targets.shape[0], 1)
            for (row, index) in indices.enumerated() {
                (values.pointer + row * item).update(from: targets.pointer + index * item, count: item)
            }
        }
    }
}

/// A `BatchSource` over an in-memory tensor whose first axis is the item axis, with class
/// labels or target values (one set per output of a model with several).
public struct TensorBatchSource: BatchSource {
    public let inputs: Tensor
    public let targetSets: [TargetSet]

    /// Items with class-index labels.
    public init(inputs: Tensor, labels: [Int32]) throws(ModelError) {
        try self.init(inputs: inputs, targetSets: [.labels(labels)])
    }

    /// Items with target values (one-hot labels, regression targets).
    public init(inputs: Tensor, targets: Tensor) throws(ModelError) {
        try self.init(inputs: inputs, targetSets: [.values(targets)])
    }

    /// Items with one set of targets per model output, in the order of the outputs.
    public init(inputs: Tensor, targetSets: [TargetSet]) throws(ModelError) {
        let items = inputs.rank >= 1 ? inputs.shape[0] : 0
        for set in targetSets where set.itemCount != items {
            if case .labels(let labels) = set {
                throw ModelError("\(labels.count) labels for \(items) input items", hint: "give one label per item")
            }
            throw ModelError("targets of \(set.itemCount) rows do not have one row per input item of \(inputs.shape)",
                             hint: "give one target row per item")
        }
        self.inputs = inputs
        self.targetSets = targetSets
    }

    /// The first set's labels, when they are class indices.
    public var labels: [Int32]? {
        if case .labels(let labels) = targetSets.first { return labels }
        return nil
    }

    /// The first set's values, when they are not class indices.
    public var targets: Tensor? {
        if case .values(let values) = targetSets.first { return values }
        return nil
    }

    public var count: Int { inputs.shape[0] }
    public var itemShape: [Int] { Array(inputs.shape.dropFirst()) }
    public var targetShape: [Int]? { targetShape(ofSet: 0) }
    public var targetSetCount: Int { targetSets.count }

    public func targetShape(ofSet set: Int) -> [Int]? {
        targetSets.indices.contains(set) ? targetSets[set].itemShape : nil
    }

    public func fillInputs(indices: ArraySlice<Int>, into batch: Tensor) {
        let item = inputs.count / max(inputs.shape[0], 1)
        let source = inputs.pointer, destination = batch.pointer
        for (row, index) in indices.enumerated() {
            (destination + row * item).update(from: source + index * item, count: item)
        }
    }

    public func fillTargets(indices: ArraySlice<Int>, labels out: UnsafeMutableBufferPointer<Int32>, values: Tensor) {
        fillTargets(ofSet: 0, indices: indices, labels: out, values: values)
    }

    public func fillTargets(ofSet set: Int, indices: ArraySlice<Int>, labels out: UnsafeMutableBufferPointer<Int32>, values: Tensor) {
        guard targetSets.indices.contains(set) else { return }
        targetSets[set].fill(indices: indices, labels: out, values: values)
    }
}
