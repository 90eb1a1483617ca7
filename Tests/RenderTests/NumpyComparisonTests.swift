import Foundation
import Render
import TestSupport
import XCTest

/// NumpyFormat against NumPy itself: random float32 and float64 arrays of every kind the lesson
/// prints (pixels, weights, activations, tiny and huge values, nan and inf, summarised arrays)
/// must print byte for byte as NumPy's `repr` prints them.
final class NumpyComparisonTests: XCTestCase {
    struct Case {
        var shape: [Int]
        var float32: [Float]
        var float64: [Double]
        var isDouble: Bool
    }

    /// SplitMix64: the same arrays on every run.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func makeCases(count: Int) -> [Case] {
        var random = Generator(state: 2024)
        var cases: [Case] = []
        for index in 0..<count {
            let rank = Int.random(in: 1...4, using: &random)
            var shape = (0..<rank).map { _ in Int.random(in: 1...(rank == 1 ? 12 : 5), using: &random) }
            // Every tenth array is large enough to be summarised with "...".
            if index % 10 == 9 { shape = [Int.random(in: 3...8, using: &random), 13, 13] }
            let size = shape.reduce(1, *)
            let kind = index % 8
            let magnitude = Double.random(in: -9...9, using: &random).rounded()
            func value() -> Double {
                switch kind {
                case 0: return Double.random(in: -1...1, using: &random)
                case 1: return Double.random(in: -1...1, using: &random) * pow(10, magnitude)
                case 2: return Double(Int.random(in: -300...300, using: &random))
                case 3: return Double(Int.random(in: 0...255, using: &random)) / 255 * 1000 - 300
                case 4: return Double.random(in: 0...1, using: &random) < 0.3 ? 0 : Double.random(in: -5...5, using: &random)
                case 5: return exp(Double.random(in: -20...20, using: &random)) * (Bool.random(using: &random) ? 1 : -1)
                case 6: return Double.random(in: 0.0001...0.001, using: &random)
                default: return Double(Float.random(in: -2...2, using: &random)).rounded(.towardZero) + Double.random(in: 0...1, using: &random) * 1e-7
                }
            }
            var doubles = (0..<size).map { _ in value() }
            // Non-finite values and signed zeros in some arrays.
            if index % 13 == 5 { doubles[Int.random(in: 0..<size, using: &random)] = .nan }
            if index % 17 == 3 { doubles[Int.random(in: 0..<size, using: &random)] = -.infinity }
            if index % 19 == 7 { doubles[Int.random(in: 0..<size, using: &random)] = .infinity }
            if index % 23 == 11 { doubles[0] = -0.0 }
            let isDouble = index % 5 == 4
            cases.append(Case(shape: shape, float32: doubles.map { Float($0) }, float64: doubles, isDouble: isDouble))
        }
        return cases
    }

    func testReprMatchesNumpyOnRandomArrays() throws {
        try Python.require(["numpy"])
        let cases = Self.makeCases(count: 1500)
        let folder = try makeTemporaryFolder("numpy-compare")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var bytes = Data()
        var index = ""
        for c in cases {
            index += (c.isDouble ? "f8 " : "f4 ") + c.shape.map(String.init).joined(separator: ",") + "\n"
            if c.isDouble {
                c.float64.withUnsafeBytes { bytes.append(contentsOf: $0) }
            } else {
                c.float32.withUnsafeBytes { bytes.append(contentsOf: $0) }
            }
        }
        try bytes.write(to: URL(fileURLWithPath: folder + "/values.bin"))
        try Data(index.utf8).write(to: URL(fileURLWithPath: folder + "/index.txt"))
        let script = """
        import sys
        import numpy as np
        folder = sys.argv[1]
        if sys.argv[2] == "numpy1":
            # NumPy's own mode for printing as before 2.2: no shape=, float32 scientific from 1e8.
            np.set_printoptions(legacy="2.1")
        raw = open(folder + "/values.bin", "rb").read()
        offset = 0
        out = []
        for line in open(folder + "/index.txt"):
            kind, dims = line.split()
            shape = tuple(int(d) for d in dims.split(","))
            dtype = np.float32 if kind == "f4" else np.float64
            count = int(np.prod(shape))
            a = np.frombuffer(raw, dtype=dtype, count=count, offset=offset).reshape(shape)
            offset += count * a.itemsize
            out.append(repr(a))
        sys.stdout.write("\\n\\x00\\n".join(out))
        """
        for (style, name) in [(NumpyFormat.Style.numpy2, "numpy2"), (.numpy1, "numpy1")] {
            let run = try XCTUnwrap(Python.run(["-c", script, folder, name]))
            XCTAssertEqual(run.status, 0, run.stderr)
            let expected = run.stdout.components(separatedBy: "\n\u{0}\n")
            XCTAssertEqual(expected.count, cases.count)
            var mismatches = 0
            for (c, numpy) in zip(cases, expected) {
                let ours = c.isDouble
                    ? try NumpyFormat.repr(c.float64, shape: c.shape, style: style)
                    : try NumpyFormat.repr(c.float32, shape: c.shape, dtype: "float32", style: style)
                if ours != numpy {
                    mismatches += 1
                    if mismatches <= 5 { XCTFail("\(name), shape \(c.shape):\nNumPy:\n\(numpy)\ncnnb:\n\(ours)") }
                }
            }
            XCTAssertEqual(mismatches, 0, "\(name): \(mismatches) of \(cases.count) arrays print differently")
        }
    }

    /// The two cases the review found, by hand.
    func testDigitsAreTheFloat32sOwn() throws {
        // The second value needs seven digits, so the first shows seven of its exact value's.
        XCTAssertEqual(try NumpyFormat.repr([-0.939253, 1.2345678e-5] as [Float], shape: [2], dtype: "float32"),
                       "array([-9.3925297e-01,  1.2345678e-05], dtype=float32)")
        XCTAssertEqual(try NumpyFormat.repr([-0.939253, 1e-5] as [Float], shape: [2], dtype: "float32"),
                       "array([-9.39253e-01,  1.00000e-05], dtype=float32)")
        // Rounded once, from the exact value -0.0293515548…, not from its shortest digits.
        XCTAssertEqual(try NumpyFormat.repr([-0.029351555, 0.5] as [Float], shape: [2], dtype: "float32"),
                       "array([-0.02935155,  0.5       ], dtype=float32)")
        // The whole part is exact, not the shortest digits padded with zeros (NumPy 1's notation).
        XCTAssertEqual(try NumpyFormat.repr([91722632, 2774359.8] as [Float], shape: [2], dtype: "float32"),
                       "array([91722632. ,  2774359.8], dtype=float32)")
    }
}
