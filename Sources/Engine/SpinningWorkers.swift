import Dispatch
import EngineKernels
import Foundation
import Synchronization

/// The threads `Parallel` splits work across: one per processor beyond the caller's, kept
/// spinning for a while after each split so that the next one (the next layer's, a moment
/// later) starts at once. GCD's workers go to sleep between splits and take 10–15 µs to wake,
/// which on two cores and layers of a few hundred µs came to a tenth of a prediction batch.
/// A worker that has had nothing to do for `spinNanoseconds` sleeps until the next split.
///
/// One split runs at a time: a caller that finds the workers busy (another thread's split, or
/// a split inside a split) is told so and runs its chunks some other way.
final class SpinningWorkers: @unchecked Sendable {
    /// The workers of this process, or nil on one processor.
    static let shared: SpinningWorkers? = Parallel.cores > 1 ? SpinningWorkers(workers: Parallel.cores - 1) : nil

    /// How long an idle worker spins before it sleeps: longer than the gaps between a training
    /// step's splits (the loss, a small layer run inline), which a sleeping worker would make
    /// wait for its wake-up.
    static let spinNanoseconds: UInt64 = 200_000

    /// The current split, packed so that one atomic claims a chunk of it: generation (high 32
    /// bits), next chunk (16 bits), chunk count (16 bits). A worker that wakes late for an
    /// old generation finds the word changed and claims nothing.
    private let claim = Atomic<UInt64>(0)
    /// Chunks of the current split finished.
    private let finished = Atomic<Int>(0)
    /// Whether a split is running (only its caller sets up the next).
    private let busy = Atomic<Bool>(false)
    /// The current split's body, written before `claim` publishes it and read only by whoever
    /// claims one of its chunks.
    private nonisolated(unsafe) var body: ((Int, Int) -> Void)?
    private var generation: UInt64 = 0
    private let sleepers: [Sleeper]

    private final class Sleeper: @unchecked Sendable {
        let asleep = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
    }

    private init(workers: Int) {
        sleepers = (0..<workers).map { _ in Sleeper() }
        for (index, sleeper) in sleepers.enumerated() {
            let thread = Thread { [unowned self] in self.serve(sleeper, slot: index + 1) }
            thread.name = "cnnb-engine"
            thread.qualityOfService = .userInitiated
            thread.start()
        }
    }

    /// Runs `body(chunk, slot)` for every chunk in `0..<chunks` (at most 65,535), on the caller
    /// (slot 0) and the workers (slots 1, 2, …), each taking the next chunk as it finishes one,
    /// so a core that runs late leaves its chunks to the others; returns false, running nothing,
    /// when the workers are busy with another split.
    func run(_ chunks: Int, _ body: (_ chunk: Int, _ slot: Int) -> Void) -> Bool {
        precondition(chunks > 0 && chunks < 1 << 16)
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            self.body = body
            finished.store(0, ordering: .relaxed)
            generation = (generation + 1) & 0xFFFF_FFFF
            claim.store(generation << 32 | UInt64(chunks), ordering: .sequentiallyConsistent)
            for sleeper in sleepers where sleeper.asleep.load(ordering: .sequentiallyConsistent) { sleeper.wake.signal() }
            work(generation, slot: 0)
            // A worker that is not running (a machine with more busy threads than cores) gets
            // the processor back from a caller that has waited a while.
            var waits = 0
            while finished.load(ordering: .acquiring) < chunks {
                waits += 1
                if waits < 4096 { spinPause() } else { sched_yield() }
            }
            self.body = nil
        }
        return true
    }

    /// Claims and runs chunks of split `generation` until none is left, as `slot`.
    private func work(_ generation: UInt64, slot: Int) {
        var word = claim.load(ordering: .acquiring)
        while word >> 32 == generation {
            let next = (word >> 16) & 0xFFFF, count = word & 0xFFFF
            guard next < count else { return }
            let (exchanged, original) = claim.compareExchange(expected: word, desired: word + (1 << 16), ordering: .acquiringAndReleasing)
            guard exchanged else {
                word = original
                continue
            }
            body!(Int(next), slot)
            finished.add(1, ordering: .releasing)
            word = claim.load(ordering: .acquiring)
        }
    }

    private func serve(_ sleeper: Sleeper, slot: Int) {
        // These threads run nothing but the engine's chunks (see `Parallel.forEachChunk`).
        _ = cnnb_flush_subnormals()
        var seen: UInt64 = 0
        while true {
            var word = claim.load(ordering: .acquiring)
            if word >> 32 == seen {
                let start = DispatchTime.now().uptimeNanoseconds
                var spins = 0
                while word >> 32 == seen {
                    spinPause()
                    spins += 1
                    if spins & 255 == 0 && DispatchTime.now().uptimeNanoseconds - start > Self.spinNanoseconds {
                        sleeper.asleep.store(true, ordering: .sequentiallyConsistent)
                        if claim.load(ordering: .sequentiallyConsistent) >> 32 == seen { sleeper.wake.wait() }
                        sleeper.asleep.store(false, ordering: .sequentiallyConsistent)
                        spins = 0
                    }
                    word = claim.load(ordering: .acquiring)
                }
            }
            seen = word >> 32
            work(seen, slot: slot)
        }
    }
}

/// A hint to the processor that this thread is spinning (x86's `pause`), which frees the core
/// for its hyperthread sibling and saves power.
@inline(__always)
private func spinPause() {
    cnnb_spin_pause()
}
