import XCTest
@testable import Engine

/// The engine computes with subnormal floats flushed to zero, as TensorFlow's CPU threads do,
/// on every thread a chunk may run on, and puts the caller's floating-point mode back after.
final class SubnormalFlushingTests: XCTestCase {
    /// A quarter of the smallest normal float: subnormal, so flushed to zero as an operand.
    let subnormal = Float.leastNormalMagnitude / 4

    /// `x · y` computed where the optimiser cannot fold it. Results are compared by their bits: a
    /// comparison that treated subnormals as zero would find them equal to it.
    @inline(never)
    func product(_ x: Float, _ y: Float) -> Float { x * y }

    func testChunksOnEveryThreadFlushSubnormalsAndTheCallerGetsItsModeBack() {
        XCTAssertEqual(product(subnormal, 1).bitPattern, subnormal.bitPattern, "subnormals are kept outside the engine")
        let chunks = 64
        var results = [Float](repeating: -1, count: chunks)
        var slots = Set<Int>()
        let lock = NSLock()
        results.withUnsafeMutableBufferPointer { out in
            Parallel.forEachChunk(chunks, chunks: chunks) { chunk, _, slot in
                // Long enough that the workers take chunks too.
                var value: Float = 0
                for _ in 0..<20_000 { value = product(subnormal, 1) + value * 0 }
                out[chunk] = value
                lock.lock()
                slots.insert(slot)
                lock.unlock()
            }
        }
        XCTAssertEqual(results.map(\.bitPattern), [UInt32](repeating: 0, count: chunks))
        if Parallel.cores > 1 { XCTAssertGreaterThan(slots.count, 1, "every chunk ran on the caller") }
        XCTAssertEqual(product(subnormal, 1).bitPattern, subnormal.bitPattern, "the caller's mode is put back")
    }

    func testPredictionReadsSubnormalInputsAsZeroAndLeavesTheCallerAlone() throws {
        let model = try Model.sequential(inputShape: [4], layers: [Dense(units: 1)], seed: 1)
        try model.setWeights([Tensor(shape: [4, 1], repeating: 1), Tensor(zeros: [1])], ofLayer: 1)
        let items = 8
        let inputs = Tensor(shape: [items, 4], repeating: subnormal)
        // Kept, the four products would add up to the smallest normal float.
        XCTAssertEqual(product(subnormal, 4).bitPattern, Float.leastNormalMagnitude.bitPattern)
        let predicted = try model.predict(inputs)[0]
        XCTAssertEqual(predicted.shape, [items, 1])
        XCTAssertEqual(predicted.scalars.map(\.bitPattern), [UInt32](repeating: 0, count: items))
        XCTAssertEqual(product(subnormal, 1).bitPattern, subnormal.bitPattern, "the caller's mode is put back")
    }
}
