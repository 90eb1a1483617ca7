import Engine
import Foundation
import XCTest

/// The engine's workers take one split at a time; splits from other threads at the same moment
/// (two sessions predicting at once) run on GCD instead. Every thread must get the answers it
/// gets alone, and none may wait forever.
final class SpinningWorkersTests: XCTestCase {
    func model() throws -> Model {
        let input = Node.input(shape: [12, 12, 3], seed: 9)
        var x = try Convolution(rank: 2, filters: 16, kernelSize: [3], activation: .relu)(input)
        x = try Pooling(kind: .max, rank: 2)(x)
        x = try Flatten()(x)
        return try Model(inputs: input, outputs: try Dense(units: 4, activation: .softmax)(x))
    }

    func testSplitsFromSeveralThreadsAtOnceGiveEachTheAnswerItGetsAlone() throws {
        let images = uniformTensor([64, 12, 12, 3], seed: 2)
        let expected = try model().predict(images, batchSize: 16)[0].scalars
        let threads = 4, rounds = 30
        let models = try (0..<threads).map { _ in try model() }
        let tally = Tally()
        let done = DispatchGroup()
        for t in 0..<threads {
            done.enter()
            let model = models[t]
            Thread {
                defer { done.leave() }
                for _ in 0..<rounds {
                    let predicted = (try? model.predict(images, batchSize: 16)[0].scalars) ?? []
                    tally.count(matching: predicted == expected)
                }
            }.start()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 120), .success, "a thread is still waiting for its split")
        XCTAssertEqual(tally.totals, TallyTotals(finished: threads * rounds, mismatches: 0))
    }
}

struct TallyTotals: Equatable {
    var finished = 0, mismatches = 0
}

/// Counts from several threads.
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var counts = TallyTotals()

    func count(matching: Bool) {
        lock.lock()
        counts.finished += 1
        if !matching { counts.mismatches += 1 }
        lock.unlock()
    }

    var totals: TallyTotals {
        lock.lock()
        defer { lock.unlock() }
        return counts
    }
}
