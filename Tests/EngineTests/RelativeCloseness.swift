import XCTest

/// Asserts that `actual` matches `expected` element by element to 1e-4 of the larger of 1 and
/// the largest expected magnitude, naming the worst element when it does not.
func assertRelativelyClose(_ actual: [Float], _ expected: [Float], _ what: String, file: StaticString = #filePath,
                           line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
    let scale = max(expected.map(abs).max() ?? 0, 1)
    var worst = 0 as Float, at = 0
    for (i, (a, e)) in zip(actual, expected).enumerated() where abs(a - e) > worst { worst = abs(a - e); at = i }
    guard !actual.isEmpty, !expected.isEmpty else { return }
    XCTAssertLessThanOrEqual(worst / scale, 1e-4, "\(what): element \(at) is \(actual[at]), expected \(expected[at])",
                             file: file, line: line)
}
