import EngineKernels

/// Eight-lane loads and stores at any alignment, for loops the compiler does not vectorise
/// on its own (selects with several outputs, masked updates).
typealias Float8 = SIMD8<Float>

@inline(__always) func load8(_ p: UnsafePointer<Float>) -> Float8 {
    UnsafeRawPointer(p).loadUnaligned(as: Float8.self)
}

@inline(__always) func store8(_ value: Float8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: value, as: Float8.self)
}

/// The instruction set of the engine's C loops (EngineKernels), chosen from what the processor
/// runs when first used.
public enum VectorLoops {
    /// "avx512", "avx2" or "baseline".
    public static var name: String { String(cString: cnnb_kernels_name()) }

    /// Floats per vector of the loops in use: 16, 8 or 4.
    public static var width: Int { Int(cnnb_kernels_vector_floats()) }

    /// Caps the loops at `level` (0 baseline, 1 AVX2 with FMA, 2 AVX-512) within what the
    /// processor runs, so each variant can be checked on one machine; returns the level in use.
    @discardableResult
    public static func limit(_ level: Int) -> Int { Int(cnnb_kernels_limit(Int32(level))) }
}
