import Engine
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

    func testOptimizerByKerasName() {
        XCTAssertEqual(makeOptimizer(kerasName: "adam")?.name, "adam")
        XCTAssertEqual(makeOptimizer(kerasName: "SGD")?.name, "sgd")
        XCTAssertEqual(makeOptimizer(kerasName: "rmsprop")?.name, "rmsprop")
        XCTAssertNil(makeOptimizer(kerasName: "adagrad"))
    }
}
