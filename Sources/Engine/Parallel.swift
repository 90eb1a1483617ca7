import Dispatch
import Foundation
import CBLAS
import EngineKernels
import Synchronization

/// Work sharing for the loops BLAS does not run: split `count` independent items into a few
/// contiguous chunks a core, which the cores take as they finish others, or run inline when
/// the total work is too small to pay for it.
enum Parallel {
    /// The processors this process may run on (its affinity mask: `taskset -c 0` means one).
    static let cores: Int = max(1, min(ProcessInfo.processInfo.activeProcessorCount, Int(cnnb_allowed_processors())))

    /// Elements of work below which splitting costs more than it saves.
    static let minimumWork = 32_768

    /// How many chunks `forEachChunk` splits `count` items of `workPerItem` into: up to
    /// `perCore` a core, each worth at least `minimumWork`. Cores take chunks as they finish
    /// others, so more than one a core lets a core that runs late (another process, a virtual
    /// machine's neighbour) leave its share to the rest instead of holding them up.
    @inline(__always)
    static func chunkCount(_ count: Int, workPerItem: Int, perCore: Int = 4) -> Int {
        guard cores > 1 else { return 1 }
        return max(1, min(count, cores * perCore, count * workPerItem / minimumWork))
    }

    /// Calls `body` on disjoint ranges covering `0..<count`; `workPerItem` estimates the cost.
    @inline(__always)
    static func forEachChunk(_ count: Int, workPerItem: Int, _ body: (Range<Int>) -> Void) {
        forEachChunk(count, chunks: chunkCount(count, workPerItem: workPerItem)) { _, range, _ in body(range) }
    }

    /// Calls `body(chunk, range, slot)` for `chunks` disjoint ranges covering `0..<count`, at once
    /// on separate threads when `chunks > 1`: the engine's spinning workers, or GCD's while those
    /// are busy (a split inside a split, or another thread's). Which range a chunk covers depends
    /// only on `count` and `chunks`; which thread runs it does not matter, except that no two
    /// bodies running at once share a `slot` (in `0..<cores`): per-thread scratch goes by slot,
    /// per-chunk results by chunk.
    /// Every chunk runs with subnormals flushed to zero (`withSubnormalsFlushed`), on whichever
    /// thread, so that which thread runs it cannot change a result.
    @inline(__always)
    static func forEachChunk(_ count: Int, chunks: Int, _ body: (_ chunk: Int, _ range: Range<Int>, _ slot: Int) -> Void) {
        withSubnormalsFlushed {
            if chunks <= 1 {
                body(0, 0..<count, 0)
                return
            }
            withoutActuallyEscaping(body) { body in
                let run = { (chunk: Int, slot: Int) in body(chunk, (count * chunk / chunks)..<(count * (chunk + 1) / chunks), slot) }
                if let workers = SpinningWorkers.shared, workers.run(chunks, run) { return }
                let next = ChunkCounter()
                DispatchQueue.concurrentPerform(iterations: min(chunks, cores)) { slot in
                    withSubnormalsFlushed {
                        while case let chunk = next.take(), chunk < chunks { run(chunk, slot) }
                    }
                }
            }
        }
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

/// Hands out chunk numbers 0, 1, 2, … to whichever thread asks next.
private final class ChunkCounter: Sendable {
    private let next = Atomic<Int>(0)
    func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
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
