import Foundation
import Language
import XCTest

/// `cnnb check` on notebooks whose numbers and words were swapped for odd ones (zero sizes,
/// huge sizes, negative counts, stray names): every input that parses is checked without
/// trapping, and every failure is a rendered diagnostic.
final class CheckerFuzzTests: XCTestCase {
    static let replacements = ["0", "1", "99999", "-1", "0x0", "3x3x3x3", "1x1", "100000x100000x3", "2", "same", "valid",
                               "0.0", "1e9", "relu", "[0]", "[1, 2]", "[[1]]", "\"s\"", "x", "cnn.layers[99]", "[-1]",
                               "5x5", "conv1d 3 3", "conv3d 2 2x2x2", "flatten", "dense 3", "pool 2"]

    func testCheckSurvivesMutatedNotebooks() throws {
        var random = SplitMix64(seed: 0xC4EC)
        let corpus = (try shippedNotebooks().flatMap { ParserFuzzTests.excerpts(of: $0.text) })
            + ParserFuzzTests.programs + SourcePrinterTests.programs
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cnnb-checker-fuzz-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        var checked = 0
        var failures = 0
        for _ in 0..<5_000 {
            var text = Array(corpus[Int(random.next() % UInt64(corpus.count))].unicodeScalars)
            for _ in 0..<(1 + Int(random.next() % 3)) {
                // Replace the word at a random place.
                let at = Int(random.next() % UInt64(text.count + 1))
                var end = at
                while end < text.count && text[end] != " " && text[end] != "\n" && text[end] != ";" { end += 1 }
                let piece = Self.replacements[Int(random.next() % UInt64(Self.replacements.count))]
                text.replaceSubrange(at..<end, with: piece.unicodeScalars)
            }
            let source = String(String.UnicodeScalarView(text))
            let runner = NotebookRunner(source: source, fileName: "fuzz.cnnb")
            guard runner.syntaxErrors.isEmpty else { continue }
            checked += 1
            let session = Session(outputDirectory: folder.path)
            session.checkOnly = true
            for result in runner.run(in: session, keepGoing: true, color: false) {
                guard let error = result.error else { continue }
                failures += 1
                XCTAssertTrue(error.contains("error: "), "not a diagnostic: \(error)\nfor:\n\(source)")
            }
        }
        // Both outcomes are exercised.
        XCTAssertGreaterThan(checked, 1_000)
        XCTAssertGreaterThan(failures, 100)
    }
}
