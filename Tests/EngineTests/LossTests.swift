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

    func testKerasNames() {
        XCTAssertEqual(Loss(kerasName: "sparse_categorical_crossentropy"), .sparseCategoricalCrossentropy)
        XCTAssertEqual(Loss(kerasName: "categorical_crossentropy"), .categoricalCrossentropy)
        XCTAssertEqual(Loss(kerasName: "mse"), .meanSquaredError)
        XCTAssertNil(Loss(kerasName: "hinge"))
    }
}
