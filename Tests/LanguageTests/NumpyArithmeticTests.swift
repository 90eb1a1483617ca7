import Datasets
import Foundation
@testable import Language
import TestSupport
import XCTest

/// Arithmetic on images as NumPy does it on a float32 array, one rounding per operation, and
/// the result printed as NumPy prints it: 1,000 random expressions such as
/// `((data.train[3] / 255) * 1000) - 300`, each compared byte for byte with NumPy's `repr`.
final class NumpyArithmeticTests: XCTestCase {
    override func tearDown() {
        SessionHarness.removeFolders()
    }

    func testImageArithmeticPrintsAsNumpyFloat32() throws {
        try Python.require(["numpy"])
        let session = try SessionHarness.makeSession(trainCount: 40, testCount: 8)
        session.succeed("data = load shapes")
        guard case .dataset(let data) = try XCTUnwrap(session["data"]) else { return XCTFail("not a dataset") }
        let folder = try SessionHarness.makeFolder("numpy-arithmetic")
        var bytes = Data()
        for i in 0..<data.train.count { bytes.append(contentsOf: data.train.pixels(at: i)) }
        try bytes.write(to: URL(fileURLWithPath: folder + "/images.bin"))

        // Operands of the kinds lessons use (255, 127.5, 1000, 0.5) and arbitrary decimals.
        var random = SplitMix(state: 7)
        let operands = ["255", "127.5", "1000", "300", "0.5", "2", "0.001", "0.1", "3.7", "0.0039215686"]
        var cases: [(image: Int, ops: [(String, String)])] = []
        for _ in 0..<1000 {
            let count = Int.random(in: 1...3, using: &random)
            let ops = (0..<count).map { _ -> (String, String) in
                let op = ["/", "*", "+", "-"].randomElement(using: &random)!
                let operand = Bool.random(using: &random) ? operands.randomElement(using: &random)!
                    : String(format: "%.\(Int.random(in: 1...4, using: &random))f", Double.random(in: 0.01...9.99, using: &random))
                return (op, operand)
            }
            cases.append((Int.random(in: 0..<data.train.count, using: &random), ops))
        }
        var lines = ""
        var ours: [String] = []
        for c in cases {
            var expression = "data.train[\(c.image)]"
            for (op, operand) in c.ops { expression = "(\(expression) \(op) \(operand))" }
            let shown = session.succeed("x = \(expression)\nx").text
            ours.append(shown)
            lines += "\(c.image) " + c.ops.map { "\($0.0) \($0.1)" }.joined(separator: " ") + "\n"
        }
        try Data(lines.utf8).write(to: URL(fileURLWithPath: folder + "/cases.txt"))
        let script = """
        import sys
        import numpy as np
        # cnnb prints as NumPy did before 2.2 (the seed lesson's): no `shape=` after a summarised
        # array, scientific notation for float32 from 1e8. NumPy's own legacy mode for that.
        np.set_printoptions(legacy="2.1")
        folder = sys.argv[1]
        images = np.fromfile(folder + "/images.bin", dtype=np.uint8).reshape(-1, 32, 32, 3)
        out = []
        for line in open(folder + "/cases.txt"):
            parts = line.split()
            x = images[int(parts[0])].astype(np.float32)
            for op, operand in zip(parts[1::2], parts[2::2]):
                c = float(operand)
                x = {"/": x / c, "*": x * c, "+": x + c, "-": x - c}[op]
            assert x.dtype == np.float32
            out.append(repr(x))
        sys.stdout.write("\\n\\x00\\n".join(out))
        """
        let run = try XCTUnwrap(Python.run(["-c", script, folder]))
        XCTAssertEqual(run.status, 0, run.stderr)
        let numpy = run.stdout.components(separatedBy: "\n\u{0}\n")
        XCTAssertEqual(numpy.count, cases.count)
        var mismatches = 0
        for (index, (mine, theirs)) in zip(ours, numpy).enumerated() where mine != theirs {
            mismatches += 1
            if mismatches <= 3 { XCTFail("case \(index) \(cases[index]):\nNumPy:\n\(theirs)\ncnnb:\n\(mine)") }
        }
        XCTAssertEqual(mismatches, 0, "\(mismatches) of \(cases.count) expressions differ")
    }
}

/// SplitMix64: the same expressions on every run.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
