import CBLAS
import Engine
import Foundation

/// This machine's measured cblas_sgemm rate on 1024x1024 matrices, in GFLOP/s.
func measureSgemmGflops(size n: Int = 1024, repeats: Int = 10) -> Double {
    let a = Tensor(shape: [n, n], repeating: 0.5), b = Tensor(shape: [n, n], repeating: 0.25)
    let c = Tensor(zeros: [n, n])
    func multiply() {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                    1, a.pointer, Int32(n), b.pointer, Int32(n), 0, c.pointer, Int32(n))
    }
    multiply()  // warm up the threads
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<repeats { multiply() }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return 2 * Double(n * n * n) * Double(repeats) / seconds / 1e9
}
