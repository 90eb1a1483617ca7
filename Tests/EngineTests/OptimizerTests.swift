import Engine
import Foundation
import XCTest

/// Each optimizer on L(w) = w1² + w2² from w = (1, -2), so g = 2w; the expected values are
/// worked out by hand (in Float64) from Keras's update rules and written out below.
final class OptimizerTests: XCTestCase {
    private func run(_ optimizer: Optimizer, steps: Int) -> [[Float]] {
        let w = Parameter(name: "w", value: Tensor(shape: [2], values: [1, -2]))
        var trajectory: [[Float]] = []
        for _ in 0..<steps {
            for i in 0..<2 { w.gradient[flat: i] = 2 * w.value[flat: i] }
            optimizer.step([w])
            trajectory.append(w.value.scalars)
        }
        return trajectory
    }

    private func assertClose(_ actual: [Float], _ expected: [Double], accuracy: Double = 3e-7,
                             _ message: String, line: UInt = #line) {
        for (a, e) in zip(actual, expected) {
            XCTAssertEqual(Double(a), e, accuracy: accuracy, message, line: line)
        }
    }

    func testAdamFirstThreeStepsMatchHandComputedValues() {
        // Keras defaults lr 0.001, β1 0.9, β2 0.999, ε 1e-7; α_t = lr·√(1-β2^t)/(1-β1^t);
        // m += (g-m)(1-β1); v += (g²-v)(1-β2); w -= α_t·m/(√v+ε).
        //
        // t=1: g = (2, -4); m = (0.2, -0.4); v = (0.004, 0.016)
        //      α1 = 0.001·√0.001/0.1 = 3.16227766e-4
        //      w1 = 1 - α1·0.2/(0.0632455532+1e-7) = 0.99900000158
        //      w2 = -2 + α1·0.4/(0.1264911064+1e-7) = -1.99900000079
        // t=2: g = (1.998, -3.998); m = (0.3798, -0.7598); v = (0.007988004, 0.031968004)
        //      α2 = 0.001·√(1-0.999²)/(1-0.9²) = 2.35316725e-4
        //      w = (0.99800002890, -1.99800001442)
        // t=3: g = (1.99600006, -3.99600003); m = (0.54142001, -1.08342000);
        //      v = (0.011964032, 0.047904052); α3 = 2.02010597e-4
        //      w = (0.99700009966, -1.99700004970)
        let w = run(Adam(), steps: 3)
        assertClose(w[0], [0.9990000015811363, -1.9990000007905688], "Adam step 1")
        assertClose(w[1], [0.9980000289037694, -1.9980000144172056], "Adam step 2")
        assertClose(w[2], [0.9970000996641545, -1.9970000496964717], "Adam step 3")
    }

    func testAdamOnManyWeightsIsThePlainRuleToTheBit() {
        // 1,003 weights: whole vectors and a remainder, split across cores; with each
        // instruction-set variant, each must be the plain per-weight rule in Float, bit for bit
        // (determinism across builds and machines).
        let top = VectorLoops.limit(2)
        defer { VectorLoops.limit(2) }
        for level in 0...top {
            XCTAssertEqual(VectorLoops.limit(level), level)
            checkAdamIsThePlainRule(VectorLoops.name)
        }
    }

    func checkAdamIsThePlainRule(_ variant: String) {
        let count = 1003
        let w = Parameter(name: "w", value: Tensor(shape: [count], values: (0..<count).map { Float($0) * 0.001 - 0.5 }))
        var plainW = w.value.scalars, plainM = [Float](repeating: 0, count: count), plainV = plainM
        let adam = Adam(learningRate: 0.01)
        for t in 1...20 {
            for i in 0..<count { w.gradient[flat: i] = sinf(Float(i * t)) * 0.3 + w.value[flat: i] }
            let gradient = w.gradient.scalars
            adam.step([w])
            let alpha = Float(0.01) * (1 - powf(0.999, Float(t))).squareRoot() / (1 - powf(0.9, Float(t)))
            for i in 0..<count {
                plainM[i] += (gradient[i] - plainM[i]) * (1 - 0.9)
                plainV[i] += (gradient[i] * gradient[i] - plainV[i]) * (1 - 0.999)
                plainW[i] -= plainM[i] * alpha / (plainV[i].squareRoot() + 1e-7)
            }
            let differing = (0..<count).filter { w.value[flat: $0].bitPattern != plainW[$0].bitPattern }
            XCTAssertEqual(differing, [], "\(variant) step \(t): weights that differ from the plain rule")
        }
    }

    func testAdamDefaultsAreKeras() {
        let adam = Adam()
        XCTAssertEqual(adam.learningRate, 0.001)
        XCTAssertEqual(adam.beta1, 0.9)
        XCTAssertEqual(adam.beta2, 0.999)
        XCTAssertEqual(adam.epsilon, 1e-7)
        XCTAssertEqual(SGD().learningRate, 0.01)
        XCTAssertEqual(RMSprop().rho, 0.9)
        XCTAssertEqual(RMSprop().learningRate, 0.001)
    }

    func testSGDWithMomentumMatchesHandComputedValues() {
        // lr 0.1, momentum 0.9: v = 0.9·v - 0.1·g; w += v.
        // t=1: g = (2, -4); v = (-0.2, 0.4); w = (0.8, -1.6)
        // t=2: g = (1.6, -3.2); v = 0.9·(-0.2, 0.4) - 0.1·(1.6, -3.2) = (-0.34, 0.68); w = (0.46, -0.92)
        let w = run(SGD(learningRate: 0.1, momentum: 0.9), steps: 2)
        assertClose(w[0], [0.8, -1.6], "SGD step 1")
        assertClose(w[1], [0.46, -0.92], "SGD step 2")
    }

    func testPlainSGDStep() {
        // w -= 0.01·g: (1 - 0.02, -2 + 0.04)
        let w = run(SGD(), steps: 1)
        assertClose(w[0], [0.98, -1.96], "SGD step 1")
    }

    func testRMSpropMatchesHandComputedValues() {
        // lr 0.01, ρ 0.9, ε 1e-7: v = 0.9·v + 0.1·g²; w -= lr·g/√(v+ε).
        // t=1: v = (0.4, 1.6); w = 1 - 0.01·2/√0.4000001 = 0.96837722735, -2 + 0.01·4/√1.6000001 = -1.96837722439
        // t=2: g = (1.93675445, -3.93675445); v = (0.73510178, 2.98980356); w = (0.94578803, -1.94560964)
        let w = run(RMSprop(learningRate: 0.01), steps: 2)
        assertClose(w[0], [0.9683772273511625, -1.9683772243865278], "RMSprop step 1")
        assertClose(w[1], [0.9457880301745026, -1.9456096380352628], "RMSprop step 2")
    }

    // Keras 3.15 (jax backend) on the same problem: `opt.apply_gradients([(2·w, w)])` three
    // times from w = (1, -2), float32. Recorded by running Keras; see each case's constructor.
    private let kerasTrajectories: [(String, () -> Optimizer, [[Double]])] = [
        ("SGD()", { SGD() },
         [[0.9800000190734863, -1.9600000381469727], [0.9604000449180603, -1.9208000898361206],
          [0.9411920309066772, -1.8823840618133545]]),
        ("SGD(learning_rate=0.1, momentum=0.9)", { SGD(learningRate: 0.1, momentum: 0.9) },
         [[0.800000011920929, -1.600000023841858], [0.46000000834465027, -0.9200000166893005],
          [0.062000006437301636, -0.12400001287460327]]),
        ("SGD(learning_rate=0.1, momentum=0.9, nesterov=True)", { SGD(learningRate: 0.1, momentum: 0.9, nesterov: true) },
         [[0.6200000047683716, -1.2400000095367432], [0.2224000096321106, -0.4448000192642212],
          [-0.1083519458770752, 0.2167038917541504]]),
        ("SGD(learning_rate=0.1, clipnorm=1.0)", { SGD(learningRate: 0.1, clipnorm: 1) },
         [[0.9552786350250244, -1.9105572700500488], [0.9105572700500488, -1.8211145401000977],
          [0.8658359050750732, -1.7316718101501465]]),
        ("SGD(learning_rate=0.1, weight_decay=0.5)", { SGD(learningRate: 0.1, weightDecay: 0.5) },
         [[0.75, -1.5], [0.5625, -1.125], [0.421875, -0.84375]]),
        ("Adam()", { Adam() },
         [[0.9990000128746033, -1.9989999532699585], [0.9980000257492065, -1.9980000257492065],
          [0.9970000982284546, -1.9970000982284546]]),
        ("Adam(learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-3)",
         { Adam(learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-3) },
         [[0.9900497794151306, -1.9900249242782593], [0.9800906777381897, -1.9800453186035156],
          [0.9701343774795532, -1.970067024230957]]),
        ("Adam(learning_rate=0.01, clipnorm=1.0)", { Adam(learningRate: 0.01, clipnorm: 1) },
         [[0.9900001287460327, -1.9900001287460327], [0.9800013303756714, -1.9800000190734863],
          [0.9700042605400085, -1.9699994325637817]]),
        ("AdamW()", { AdamW() },
         [[0.9989960193634033, -1.9989919662475586], [0.9979920387268066, -1.9979840517044067],
          [0.9969881176948547, -1.9969761371612549]]),
        ("AdamW(learning_rate=0.1, weight_decay=0.1)", { AdamW(learningRate: 0.1, weightDecay: 0.1) },
         [[0.8900008201599121, -1.8800008296966553], [0.7815737724304199, -1.7614108324050903],
          [0.6751035451889038, -1.6443709135055542]]),
        ("RMSprop()", { RMSprop() },
         [[0.9968377351760864, -1.9968377351760864], [0.9945470094680786, -1.994545340538025],
          [0.992630660533905, -1.992626667022705]]),
        ("RMSprop(learning_rate=0.01, rho=0.8, momentum=0.5)", { RMSprop(learningRate: 0.01, rho: 0.8, momentum: 0.5) },
         [[0.9776393175125122, -1.9776393175125122], [0.9499610662460327, -1.9498759508132935],
          [0.9221369624137878, -1.9218415021896362]]),
    ]

    func testFirstThreeStepsMatchKeras() {
        for (constructor, make, expected) in kerasTrajectories {
            let w = run(make(), steps: 3)
            for step in 0..<3 {
                // Float32 throughout; XLA's CPU arithmetic rounds a few steps differently, which
                // shows as up to ~2e-6 after three AdamW steps of lr 0.1 (float32 steps of 0.1
                // carry ~1e-8 each). A wrong rule is off by 1e-3 or more.
                assertClose(w[step], expected[step], accuracy: 3e-6, "\(constructor) step \(step + 1)")
            }
        }
    }

    func testOptionsByKerasName() throws {
        let sgd = try XCTUnwrap(makeOptimizer(kerasName: "sgd"))
        try sgd.set("momentum", 0.9)
        try sgd.set("nesterov", 1)
        try sgd.set("clipnorm", 1)
        let direct = SGD(momentum: 0.9, nesterov: true, clipnorm: 1)
        XCTAssertEqual(run(sgd, steps: 3), run(direct, steps: 3))
        let adam = try XCTUnwrap(makeOptimizer(kerasName: "adam"))
        try adam.set("beta_1", 0.8)
        try adam.set("beta_2", 0.99)
        try adam.set("epsilon", 1e-3)
        XCTAssertEqual(run(adam, steps: 3), run(Adam(beta1: 0.8, beta2: 0.99, epsilon: 1e-3), steps: 3))
        XCTAssertThrowsError(try adam.set("momentum", 0.9)) { error in
            XCTAssertEqual((error as? ModelError)?.message, "adam has no option 'momentum'")
            XCTAssertEqual((error as? ModelError)?.hint, "adam takes beta_1, beta_2, epsilon, weight_decay, clipnorm")
        }
        XCTAssertThrowsError(try sgd.set("momentum", 1.5)) { error in
            XCTAssertEqual((error as? ModelError)?.message, "momentum must be a number at least 0.0 and below 1.0, got 1.5")
        }
    }

    func testAdamWDefaultsAreKeras() {
        let adamw = AdamW()
        XCTAssertEqual(adamw.learningRate, 0.001)
        XCTAssertEqual(adamw.weightDecay, 0.004)
        XCTAssertEqual(adamw.beta1, 0.9)
        XCTAssertEqual(adamw.beta2, 0.999)
        XCTAssertEqual(adamw.epsilon, 1e-7)
        XCTAssertNil(Adam().weightDecay)
        XCTAssertNil(SGD().clipnorm)
    }

    func testStateCountsSlotsAsKerasDoes() {
        // Keras's optimizer variables: iterations, learning rate, then each slot.
        let rms = RMSprop()
        _ = run(rms, steps: 1)
        XCTAssertEqual(rms.stateCount, 2 + 2)
        let momentum = RMSprop(momentum: 0.5)
        _ = run(momentum, steps: 1)
        XCTAssertEqual(momentum.stateCount, 2 + 4)
        let adam = Adam()
        _ = run(adam, steps: 1)
        XCTAssertEqual(adam.stateCount, 2 + 4)
        adam.reset()
        XCTAssertEqual(adam.stateCount, 0)
        XCTAssertEqual(adam.iterations, 0)
    }

    func testOptimizerByKerasName() {
        XCTAssertEqual(makeOptimizer(kerasName: "adam")?.name, "adam")
        XCTAssertEqual(makeOptimizer(kerasName: "adamw")?.name, "adamw")
        XCTAssertEqual(makeOptimizer(kerasName: "SGD")?.name, "sgd")
        XCTAssertEqual(makeOptimizer(kerasName: "rmsprop")?.name, "rmsprop")
        XCTAssertNil(makeOptimizer(kerasName: "adagrad"))
    }
}
