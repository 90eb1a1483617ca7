import XCTest
@testable import Engine

final class BLASKernelTests: XCTestCase {
    func testFeatureFlagsChooseTheWidestFamily() {
        XCTAssertEqual(BLASKernel.family(forFlags: ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq"]), "SkylakeX")
        XCTAssertEqual(BLASKernel.family(forFlags: ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_bf16"]),
                       "Cooperlake")
        XCTAssertEqual(BLASKernel.family(forFlags: ["avx2", "fma", "avx512f"]), "Haswell")
        XCTAssertNil(BLASKernel.family(forFlags: ["sse3", "avx"]))
    }

    /// On a processor with AVX2 and FMA, GEMM never runs on the SSE3 fallback kernels.
    func testAVX2ProcessorsDoNotRunTheFallbackKernels() throws {
        let flags = BLASKernel.processorFlags()
        guard flags.contains("avx2"), flags.contains("fma") else { throw XCTSkip("no AVX2 and FMA on this processor") }
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil else { throw XCTSkip("OPENBLAS_CORETYPE is set") }
        XCTAssertFalse(BLASKernel.name.isEmpty)
        XCTAssertNotEqual(BLASKernel.name, "Prescott")
        // The switched kernels still multiply: a 37x29 by 29x41 product against the plain sum.
        let (m, k, n) = (37, 29, 41)
        let a = (0..<(m * k)).map { Float(($0 * 7) % 13) - 6 }, b = (0..<(k * n)).map { Float(($0 * 5) % 11) - 5 }
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            Parallel.multiply(pa.baseAddress!, pb.baseAddress!, into: pc.baseAddress!, m: m, n: n, k: k)
        } } }
        for i in 0..<m { for j in 0..<n {
            let expected = (0..<k).reduce(Float(0)) { $0 + a[i * k + $1] * b[$1 * n + j] }
            XCTAssertEqual(c[i * n + j], expected, "row \(i) column \(j)")
        } }
    }
}
