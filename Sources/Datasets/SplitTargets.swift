import Engine

/// A split's images with targets of their own, one set per output of a model with several
/// (Keras's `y={"digit": y, "odd": y % 2}`): the images are read from the split's bytes as
/// for training on it alone, the targets from the given sets.
public struct SplitTargets: BatchSource {
    public let split: DatasetSplit
    public let targetSets: [TargetSet]

    /// The caller gives every set one row per image.
    public init(_ split: DatasetSplit, targetSets: [TargetSet]) {
        precondition(targetSets.allSatisfy { $0.itemCount == split.count }, "one target row per image")
        self.split = split
        self.targetSets = targetSets
    }

    /// Images `range` with their targets.
    public subscript(range: Range<Int>) -> SplitTargets {
        SplitTargets(split[range], targetSets: targetSets.map { $0.rows(range) })
    }

    public var count: Int { split.count }
    public var itemShape: [Int] { split.imageShape }
    public var targetShape: [Int]? { targetShape(ofSet: 0) }
    public var targetSetCount: Int { targetSets.count }
    public func targetShape(ofSet set: Int) -> [Int]? { targetSets[set].itemShape }

    public func fillInputs(indices: ArraySlice<Int>, into inputs: Tensor) {
        split.fillInputs(indices: indices, into: inputs)
    }

    public func fillTargets(indices: ArraySlice<Int>, labels: UnsafeMutableBufferPointer<Int32>, values: Tensor) {
        fillTargets(ofSet: 0, indices: indices, labels: labels, values: values)
    }

    public func fillTargets(ofSet set: Int, indices: ArraySlice<Int>, labels: UnsafeMutableBufferPointer<Int32>, values: Tensor) {
        targetSets[set].fill(indices: indices, labels: labels, values: values)
    }
}
