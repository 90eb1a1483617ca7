import EngineKernels

/// Runs `body` with subnormal floats (magnitudes below 1.2e-38) flushed to zero on the calling
/// thread, as TensorFlow's threads compute. The engine's work runs so: the processor takes a
/// slow path for every subnormal operand or result, and subnormals arise in long training by
/// themselves. Adam's first moment of a weight whose gradient stays zero (a dead relu's) decays
/// by 0.9 a step into that range within several hundred steps; from then on its update took an
/// eighth of each step. No value of that size changes what a float32 network computes.
@inline(__always)
func withSubnormalsFlushed<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
    let saved = cnnb_flush_subnormals()
    defer { cnnb_restore_floating_point(saved) }
    return try body()
}
