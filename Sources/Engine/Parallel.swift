import Dispatch
import Foundation
import CBLAS
import EngineKernels

/// Work sharing for the loops BLAS does not run: split `count` independent items into one
/// contiguous chunk per core, or run inline when the total work is too small to pay for it.
enum Parallel {
    /// The processors this process may run on (its affinity mask: `taskset -c 0` means one).
    static let cores: Int = max(1, min(ProcessInfo.processInfo.activeProcessorCount, Int(cnnb_allowed_processors())))

    /// Elements of work below which splitting costs more than it saves.
    static let minimumWork = 32_768

    /// How many chunks `forEachChunk` splits `count` items of `workPerItem` into.
    @inline(__always)
    static func chunkCount(_ count: Int, workPerItem: Int) -> Int {
        let chunks = min(cores, count)
        return chunks <= 1 || count * workPerItem < minimumWork ? 1 : chunks
    }

    /// Calls `body` on disjoint ranges covering `0..<count`; `workPerItem` estimates the cost.
    @inline(__always)
    static func forEachChunk(_ count: Int, workPerItem: Int, _ body: (Range<Int>) -> Void) {
        forEachChunk(count, chunks: chunkCount(count, workPerItem: workPerItem)) { _, range in body(range) }
    }

    /// Calls `body(chunk, range)` for `chunks` disjoint ranges covering `0..<count`, at once on
    /// separate threads when `chunks > 1`: the engine's spinning workers, or GCD's while those
    /// are busy (a split inside a split, or another thread's).
    @inline(__always)
    static func forEachChunk(_ count: Int, chunks: Int, _ body: (Int, Range<Int>) -> Void) {
        if chunks <= 1 {
            body(0, 0..<count)
            return
        }
        let run = { (chunk: Int) in body(chunk, (count * chunk / chunks)..<(count * (chunk + 1) / chunks)) }
        if let workers = SpinningWorkers.shared, workers.run(chunks, run) { return }
        DispatchQueue.concurrentPerform(iterations: chunks, execute: run)
    }

    /// Makes BLAS run on the calling thread. The engine splits its work across cores itself
    /// (each thread running im2col, its share of a GEMM and the activation on its own items),
    /// which on a few cores beats BLAS's own threads: those spin between calls and compete
    /// with the loops BLAS does not run. Called before the first GEMM.
    static let configureBLAS: Void = {
        BLASKernel.prepare()
        cnnb_blas_set_threads(1)
    }()

    /// Row-major C = A·B (+ C when `accumulate`), M split across cores: A is `m` x `k`,
    /// B `k` x `n`, all densely packed.
    static func multiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
                         m: Int, n: Int, k: Int, accumulate: Bool = false) {
        configureBLAS
        forEachChunk(m, workPerItem: n * k) { rows in
            guard !rows.isEmpty else { return }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows.count), Int32(n), Int32(k), 1,
                        a + rows.lowerBound * k, Int32(k), b, Int32(n), accumulate ? 1 : 0,
                        c + rows.lowerBound * n, Int32(n))
        }
    }
}

/// The threads the engine splits a batch's work across: one per processor this process may run on.
public enum EngineThreads {
    public static var count: Int { Parallel.cores }
}

/// A tensor buffer a layer keeps between batches; reallocated only when the shape changes.
struct ReusableBuffer {
    private var tensor: Tensor?
    /// The tensor handed out last, if any.
    var last: Tensor? { tensor }

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
