/// Eight-lane loads and stores at any alignment, for loops the compiler does not vectorise
/// on its own (selects with several outputs, masked updates).
typealias Float8 = SIMD8<Float>
typealias Int32x8 = SIMD8<Int32>

@inline(__always) func load8(_ p: UnsafePointer<Float>) -> Float8 {
    UnsafeRawPointer(p).loadUnaligned(as: Float8.self)
}

@inline(__always) func load8(_ p: UnsafePointer<Int32>) -> Int32x8 {
    UnsafeRawPointer(p).loadUnaligned(as: Int32x8.self)
}

@inline(__always) func store8(_ value: Float8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: value, as: Float8.self)
}

@inline(__always) func store8(_ value: Int32x8, _ p: UnsafeMutablePointer<Int32>) {
    UnsafeMutableRawPointer(p).storeBytes(of: value, as: Int32x8.self)
}

/// 0, 1, …, 7.
let laneIndices = Int32x8(0, 1, 2, 3, 4, 5, 6, 7)
