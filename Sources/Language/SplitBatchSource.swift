import Data
import Engine

/// Serves a dataset split to the engine a batch at a time: pixels stay UInt8 in the split and
/// are scaled as each batch is filled.
struct SplitBatchSource: BatchSource {
    let split: DatasetSplit

    var count: Int { split.count }
    var itemShape: [Int] { split.imageShape }
    var targetShape: [Int]? { nil }

    func fillInputs(indices: ArraySlice<Int>, into inputs: Tensor) {
        // The labels land in a scratch buffer; `fillTargets` writes the real ones.
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: max(indices.count, 1)) { labels in
            indices.withUnsafeBufferPointer { split.fill(indices: $0, into: inputs, labels: labels.baseAddress!) }
        }
    }

    func fillTargets(indices: ArraySlice<Int>, labels: UnsafeMutableBufferPointer<Int32>, values: Tensor) {
        for (b, index) in indices.enumerated() { labels[b] = Int32(split.label(at: index)) }
    }
}
