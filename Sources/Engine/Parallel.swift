import Dispatch
import Foundation
import CBLAS

/// Work sharing for the loops BLAS does not run: split `count` independent items into one
/// contiguous chunk per core, or run inline when the total work is too small to pay for it.
enum Parallel {
    static let cores: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Elements of work below which splitting costs more than it saves.
    static let minimumWork = 32_768

    /// Calls `body` on disjoint ranges covering `0..<count`; `workPerItem` estimates the cost.
    @inline(__always)
    static func forEachChunk(_ count: Int, workPerItem: Int, _ body: (Range<Int>) -> Void) {
        let chunks = min(cores, count)
        if chunks <= 1 || count * workPerItem < minimumWork {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            body(start..<end)
        }
    }

    /// Lets OpenBLAS use every core; called once before the first GEMM.
    static let configureBLAS: Void = {
        cnnb_blas_set_threads(Int32(cores))
    }()
}

/// A tensor buffer a layer keeps between batches; reallocated only when the shape changes.
struct ReusableBuffer {
    private var tensor: Tensor?

    mutating func tensor(shape: [Int]) -> Tensor {
        if let t = tensor, t.shape == shape { return t }
        let t = Tensor(zeros: shape)
        tensor = t
        return t
    }
}

/// Glorot (Xavier) uniform, Keras's default kernel initialiser.
func glorotUniform(shape: [Int], fanIn: Int, fanOut: Int, generator: inout SeededGenerator) -> Tensor {
    let limit = Float((6.0 / Double(fanIn + fanOut)).squareRoot())
    let t = Tensor(zeros: shape)
    let p = t.pointer
    for i in 0..<t.count { p[i] = generator.uniform(-limit, limit) }
    return t
}
