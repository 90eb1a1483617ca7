import Engine
import XCTest

final class TensorTests: XCTestCase {
    func testSliceIsAViewOfTheSameStorage() {
        let t = Tensor(shape: [4, 2, 3], values: (0..<24).map(Float.init))
        let batch = t.slice(1..<3)
        XCTAssertEqual(batch.shape, [2, 2, 3])
        XCTAssertEqual(batch[0, 0, 0], 6)
        XCTAssertEqual(batch[1, 1, 2], 17)
        batch[0, 0, 0] = -1
        XCTAssertEqual(t[1, 0, 0], -1, "writing through a view changes the original")
        XCTAssertEqual(t.copy().reshaped([24])[flat: 6], -1)
    }

    func testReshapeKeepsRowMajorOrder() {
        let t = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let r = t.reshaped([3, 2])
        XCTAssertEqual(r[2, 0], 5)
        XCTAssertEqual(r.scalars, [1, 2, 3, 4, 5, 6])
    }

    func testSeededGeneratorRepeatsForASeed() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let xs = (0..<5).map { _ in a.next() }
        XCTAssertEqual(xs, (0..<5).map { _ in b.next() })
        XCTAssertNotEqual(xs, (0..<5).map { _ in c.next() })
        var u = SeededGenerator(seed: 7)
        let samples = (0..<10_000).map { _ in u.uniform(-1, 1) }
        XCTAssertTrue(samples.allSatisfy { $0 >= -1 && $0 < 1 })
        XCTAssertEqual(samples.reduce(0, +) / 10_000, 0, accuracy: 0.03)
    }
}
