import Engine
import XCTest

/// Each loss's value against a Float64 formula, and its gradient against central differences
/// of that formula (relative error < 1e-3).
final class LossTests: XCTestCase {
    private let rows = 4, classes = 5
    private let labels: [Int32] = [0, 3, 4, 2]

    private func logits() -> [Double] {
        var generator = SeededGenerator(seed: 11)
        return (0..<(rows * classes)).map { _ in Double(generator.uniform(-2, 2)) }
    }

    private func softmax(_ z: [Double]) -> [Double] {
        var p = z
        for r in 0..<rows {
            let row = z[(r * classes)..<((r + 1) * classes)]
            let top = row.max() ?? 0
            let sum = row.reduce(0) { $0 + exp($1 - top) }
            for c in 0..<classes { p[r * classes + c] = exp(z[r * classes + c] - top) / sum }
        }
        return p
    }

    private func tensor(_ values: [Double]) -> Tensor {
        Tensor(shape: [rows, classes], values: values.map(Float.init))
    }

    private func oneHot() -> [Double] {
        var t = [Double](repeating: 0, count: rows * classes)
        for (r, y) in labels.enumerated() { t[r * classes + Int(y)] = 1 }
        return t
    }

    /// ‖analytic - numeric‖ / max(‖analytic‖, ‖numeric‖), numeric by central differences of `f`.
    private func relativeError(analytic: Tensor, at point: [Double], _ f: ([Double]) -> Double) -> Double {
        let h = 1e-6
        var diff = 0.0, na = 0.0, nn = 0.0
        for i in point.indices {
            var plus = point, minus = point
            plus[i] += h
            minus[i] -= h
            let numeric = (f(plus) - f(minus)) / (2 * h)
            let a = Double(analytic[flat: i])
            diff += (a - numeric) * (a - numeric)
            na += a * a
            nn += numeric * numeric
        }
        return diff.squareRoot() / max(na.squareRoot(), nn.squareRoot(), 1e-12)
    }

    func testSparseCrossEntropyOnProbabilities() throws {
        let p = softmax(logits())
        let reference: ([Double]) -> Double = { p in
            self.labels.enumerated().reduce(0) { $0 - log(p[$1.offset * self.classes + Int($1.element)]) } / Double(self.rows)
        }
        let loss = Loss.sparseCategoricalCrossentropy
        XCTAssertEqual(try loss.value(predictions: tensor(p), labels: labels), reference(p), accuracy: 1e-5)
        let gradient = try loss.gradient(predictions: tensor(p), labels: labels)
        XCTAssertLessThan(relativeError(analytic: gradient, at: p, reference), 1e-3)
    }

    func testSparseCrossEntropyThroughSoftmaxLogits() throws {
        let z = logits()
        let reference: ([Double]) -> Double = { z in
            let p = self.softmax(z)
            return self.labels.enumerated().reduce(0) { $0 - log(p[$1.offset * self.classes + Int($1.element)]) } / Double(self.rows)
        }
        let loss = Loss.sparseCategoricalCrossentropy
        let p = tensor(softmax(z))
        XCTAssertEqual(try loss.value(predictions: p, labels: labels), reference(z), accuracy: 1e-5)
        let gradient = try loss.gradient(predictions: p, labels: labels, withRespectToLogits: true)
        XCTAssertLessThan(relativeError(analytic: gradient, at: z, reference), 1e-3)
    }

    func testCategoricalCrossEntropyOnProbabilitiesAndLogits() throws {
        let z = logits(), t = oneHot()
        let onProbabilities: ([Double]) -> Double = { p in
            -zip(p, t).reduce(0) { $0 + $1.1 * log($1.0) } / Double(self.rows)
        }
        let onLogits: ([Double]) -> Double = { z in onProbabilities(self.softmax(z)) }
        let loss = Loss.categoricalCrossentropy
        let p = softmax(z)
        XCTAssertEqual(try loss.value(predictions: tensor(p), targets: tensor(t)), onProbabilities(p), accuracy: 1e-5)
        let dp = try loss.gradient(predictions: tensor(p), targets: tensor(t))
        XCTAssertLessThan(relativeError(analytic: dp, at: p, onProbabilities), 1e-3)
        let dz = try loss.gradient(predictions: tensor(p), targets: tensor(t), withRespectToLogits: true)
        XCTAssertLessThan(relativeError(analytic: dz, at: z, onLogits), 1e-3)
    }

    func testMeanSquaredError() throws {
        let y = logits()
        var generator = SeededGenerator(seed: 3)
        let t = y.map { _ in Double(generator.uniform(-1, 1)) }
        let reference: ([Double]) -> Double = { y in
            zip(y, t).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(y.count)
        }
        let loss = Loss.meanSquaredError
        XCTAssertEqual(try loss.value(predictions: tensor(y), targets: tensor(t)), reference(y), accuracy: 1e-5)
        let gradient = try loss.gradient(predictions: tensor(y), targets: tensor(t))
        XCTAssertLessThan(relativeError(analytic: gradient, at: y, reference), 1e-3)
    }

    func testSoftmaxPathStaysFiniteWhenTheTrueClassUnderflows() throws {
        // p_y = 0 in Float32: the fused gradient is still p - y, not a division by zero.
        let p = Tensor(shape: [1, 3], values: [1, 0, 0])
        let gradient = try Loss.sparseCategoricalCrossentropy.gradient(predictions: p, labels: [1], withRespectToLogits: true)
        XCTAssertEqual(gradient.scalars, [1, -1, 0])
        let value = try Loss.sparseCategoricalCrossentropy.value(predictions: p, labels: [1])
        XCTAssertTrue(value.isFinite)
    }

    func testLabelOutsideTheClassesIsAnError() {
        let p = Tensor(shape: [1, 3], values: [0.2, 0.3, 0.5])
        XCTAssertThrowsError(try Loss.sparseCategoricalCrossentropy.value(predictions: p, labels: [3])) { error in
            XCTAssertTrue("\(error)".contains("label 3 is outside the 3 classes"), "\(error)")
        }
    }

    // Keras 3.15 (jax backend), float32: `keras.losses.X(...)(y_true, y_pred)` on the inputs
    // below (logits z, their softmax p, labels y and one-hot t). Recorded by running Keras.
    private let kerasLogits: [Float] = [1.5, -0.5, 0.25, -1.0, 2.0, 0.5, 0.1, 0.2, -2.5, 3.0, -1.0, 0.0]
    private let kerasProbabilities: [Float] = [
        0.703313946723938, 0.09518319368362427, 0.20150284469127655, 0.03911257162690163, 0.7855969667434692,
        0.17529039084911346, 0.4588325321674347, 0.5070883631706238, 0.034079134464263916, 0.9362395405769348,
        0.01714782416820526, 0.04661262035369873,
    ]
    private let kerasLabels: [Int32] = [0, 2, 1, 0]

    func testCrossEntropiesMatchKeras() throws {
        let z = Tensor(shape: [4, 3], values: kerasLogits), p = Tensor(shape: [4, 3], values: kerasProbabilities)
        var hot = [Float](repeating: 0, count: 12)
        for (r, y) in kerasLabels.enumerated() { hot[r * 3 + Int(y)] = 1 }
        let t = Tensor(shape: [4, 3], values: hot)
        let keras = 0.7095542550086975  // all four agree, as they should
        XCTAssertEqual(try Loss.categoricalCrossentropy.value(predictions: p, targets: t), keras, accuracy: 1e-6)
        XCTAssertEqual(try Loss(.categoricalCrossentropy, fromLogits: true).value(predictions: z, targets: t), keras, accuracy: 1e-6)
        XCTAssertEqual(try Loss.sparseCategoricalCrossentropy.value(predictions: p, labels: kerasLabels), keras, accuracy: 1e-6)
        XCTAssertEqual(try Loss(.sparseCategoricalCrossentropy, fromLogits: true).value(predictions: z, labels: kerasLabels),
                       keras, accuracy: 1e-6)
    }

    func testBinaryCrossEntropyMatchesKeras() throws {
        let z = Tensor(shape: [5, 1], values: [0.8, -1.2, 2.5, -0.3, 0.0])
        let p = Tensor(shape: [5, 1], values: [0.6899744868278503, 0.23147521913051605, 0.9241418242454529, 0.4255574941635132, 0.5])
        let y = Tensor(shape: [5, 1], values: [1, 0, 0, 1, 1])
        XCTAssertEqual(try Loss.binaryCrossentropy.value(predictions: p, targets: y), 0.9521551132202148, accuracy: 1e-6)
        XCTAssertEqual(try Loss(.binaryCrossentropy, fromLogits: true).value(predictions: z, targets: y), 0.9521551132202148, accuracy: 1e-6)
        // Probabilities of exactly 0 are clipped to Keras's ε = 1e-7: -log(1e-7) and -log(1 - 1e-7), halved.
        let saturated = try Loss.binaryCrossentropy.value(predictions: Tensor(shape: [2, 1], values: [0, 0]),
                                                          targets: Tensor(shape: [2, 1], values: [1, 0]))
        XCTAssertEqual(saturated, 8.05904769897461, accuracy: 1e-4)
    }

    func testRegressionLossesMatchKeras() throws {
        let z = Tensor(shape: [4, 3], values: kerasLogits)
        let t = Tensor(shape: [4, 3], values: [0.5, -1.0, 2.0, 0.0, 0.25, -0.75, 1.0, 1.0, 1.0, -2.0, 0.5, 0.0])
        XCTAssertEqual(try Loss.meanSquaredError.value(predictions: z, targets: t), 4.240625381469727, accuracy: 1e-6)
        XCTAssertEqual(try Loss.meanAbsoluteError.value(predictions: z, targets: t), 1.5791666507720947, accuracy: 1e-6)
    }

    func testFromLogitsGradientsAgainstCentralDifferences() throws {
        let z = logits(), t = oneHot()
        let onLogits: ([Double]) -> Double = { z in
            let p = self.softmax(z)
            return -zip(p, t).reduce(0) { $0 + $1.1 * log($1.0) } / Double(self.rows)
        }
        let categorical = Loss(.categoricalCrossentropy, fromLogits: true)
        let dz = try categorical.gradient(predictions: tensor(z), targets: tensor(t))
        XCTAssertLessThan(relativeError(analytic: dz, at: z, onLogits), 1e-3)
        let sparse = Loss(.sparseCategoricalCrossentropy, fromLogits: true)
        let dzSparse = try sparse.gradient(predictions: tensor(z), labels: labels)
        XCTAssertLessThan(relativeError(analytic: dzSparse, at: z, onLogits), 1e-3)

        var generator = SeededGenerator(seed: 5)
        let y = z.map { _ in Double(generator.uniform(0, 1)) }
        let sigmoid: (Double) -> Double = { 1 / (1 + exp(-$0)) }
        let binary: ([Double]) -> Double = { z in
            -zip(z, y).reduce(0) { $0 + $1.1 * log(sigmoid($1.0)) + (1 - $1.1) * log(1 - sigmoid($1.0)) } / Double(z.count)
        }
        let binaryOnLogits = Loss(.binaryCrossentropy, fromLogits: true)
        XCTAssertEqual(try binaryOnLogits.value(predictions: tensor(z), targets: tensor(y)), binary(z), accuracy: 1e-5)
        let dBinary = try binaryOnLogits.gradient(predictions: tensor(z), targets: tensor(y))
        XCTAssertLessThan(relativeError(analytic: dBinary, at: z, binary), 1e-3)
        let onProbabilities: ([Double]) -> Double = { p in
            -zip(p, y).reduce(0) { $0 + $1.1 * log($1.0) + (1 - $1.1) * log(1 - $1.0) } / Double(p.count)
        }
        let p = z.map(sigmoid)
        let dp = try Loss.binaryCrossentropy.gradient(predictions: tensor(p), targets: tensor(y))
        XCTAssertLessThan(relativeError(analytic: dp, at: p, onProbabilities), 1e-3)
    }

    func testMeanAbsoluteErrorGradient() throws {
        let y = logits()
        var generator = SeededGenerator(seed: 9)
        let t = y.map { _ in Double(generator.uniform(-1, 1)) }
        let reference: ([Double]) -> Double = { y in zip(y, t).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(y.count) }
        let gradient = try Loss.meanAbsoluteError.gradient(predictions: tensor(y), targets: tensor(t))
        XCTAssertLessThan(relativeError(analytic: gradient, at: y, reference), 1e-3)
    }

    func testKerasNames() {
        XCTAssertEqual(Loss(kerasName: "binary_crossentropy"), .binaryCrossentropy)
        XCTAssertEqual(Loss(kerasName: "mae"), .meanAbsoluteError)
        XCTAssertEqual(Loss(kerasName: "categorical_crossentropy", fromLogits: true)?.fromLogits, true)
        XCTAssertEqual(Loss(kerasName: "mse", fromLogits: true)?.fromLogits, false)
        XCTAssertEqual(Loss(kerasName: "sparse_categorical_crossentropy"), .sparseCategoricalCrossentropy)
        XCTAssertEqual(Loss(kerasName: "categorical_crossentropy"), .categoricalCrossentropy)
        XCTAssertEqual(Loss(kerasName: "mse"), .meanSquaredError)
        XCTAssertNil(Loss(kerasName: "hinge"))
    }
}
