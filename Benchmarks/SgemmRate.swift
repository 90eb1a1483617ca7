import CBLAS
import Engine
import Foundation

/// This machine's measured cblas_sgemm rate on 1024x1024 matrices, in GFLOP/s: the best of
/// `rounds` rounds of `repeats` products, with BLAS on every core. (The engine runs BLAS on one
/// thread per call and splits work across cores itself; BLAS is set back to one thread after.)
func measureSgemmGflops(size n: Int = 1024, repeats: Int = 10, rounds: Int = 3) -> Double {
    BLASKernel.prepare()
    cnnb_blas_set_threads(Int32(ProcessInfo.processInfo.activeProcessorCount))
    defer { cnnb_blas_set_threads(1) }
    let a = Tensor(shape: [n, n], repeating: 0.5), b = Tensor(shape: [n, n], repeating: 0.25)
    let c = Tensor(zeros: [n, n])
    func multiply() {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                    1, a.pointer, Int32(n), b.pointer, Int32(n), 0, c.pointer, Int32(n))
    }
    multiply()  // warm up the threads
    var best = 0.0
    for _ in 0..<rounds {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<repeats { multiply() }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        best = max(best, 2 * Double(n * n * n) * Double(repeats) / seconds / 1e9)
    }
    return best
}
