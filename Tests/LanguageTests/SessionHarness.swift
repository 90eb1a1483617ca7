import Datasets
import Foundation
@testable import Language
import Render
import XCTest

/// Sessions for runtime tests: figures go to a fresh temporary folder, no variable of the
/// process environment leaks in, and the generated `shapes` dataset is small.
enum SessionHarness {
    /// Folders made by the running test, removed by `removeFolders` in its tearDown.
    static var folders: [String] = []

    static func makeFolder(_ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("cnnb-lang-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        folders.append(path)
        return path
    }

    static func removeFolders() {
        for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
        folders.removeAll()
    }

    static func makeSession(_ name: String = "session", environment: [String: String] = [:],
                            trainCount: Int = 96, testCount: Int = 32) throws -> Session {
        let folder = try makeFolder(name)
        let options = DataOptions(environment: environment, allowDownload: false,
                                  shapesTrainCount: trainCount, shapesTestCount: testCount)
        return Session(outputDirectory: folder, dataOptions: options, environment: environment)
    }

    /// The seed lesson's network, as the notebook writes it.
    static let seedModel = """
        model cnn {
            input 32x32x3
            conv 32 3x3 relu
            pool 2
            conv 64 3x3 relu
            pool 2
            conv 64 3x3 relu
            flatten
            dense 64 relu
            dense 10 softmax
        }
        """
}

/// What a run gave, sorted by kind.
struct RunResult {
    var outputs: [Output]
    var error: Diagnostic?

    var texts: [String] {
        outputs.compactMap(\.plainText)
    }
    var text: String { texts.joined(separator: "\n") }
    var figures: [(figure: Figure, path: String)] {
        outputs.compactMap { if case .figure(let f, let p) = $0 { return (f, p) } else { return nil } }
    }
    var progress: [String] {
        outputs.compactMap { if case .progress(let t) = $0 { return t } else { return nil } }
    }
}

extension Session {
    /// Runs `source`, failing the test if it does not succeed.
    @discardableResult
    func succeed(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> RunResult {
        let (outputs, error) = run(source, file: "test.cnnb")
        if let error {
            XCTFail("unexpected error: \(error.rendered(source: source))", file: file, line: line)
        }
        return RunResult(outputs: outputs, error: error)
    }

    /// Runs `source`, which must fail; returns the diagnostic.
    func fail(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> Diagnostic? {
        let (_, error) = run(source, file: "test.cnnb")
        XCTAssertNotNil(error, "expected an error from: \(source)", file: file, line: line)
        return error
    }
}

/// Asserts that `path` decodes as a PNG of the figure's size, and returns it.
@discardableResult
func assertDecodesAsPNG(_ figure: Figure, at path: String, file: StaticString = #filePath, line: UInt = #line) throws -> RasterImage {
    XCTAssertTrue(path.hasSuffix(".png"), path, file: file, line: line)
    let image = try CairoBackend.decodePNG(atPath: path)
    let size = figure.pixelSize
    XCTAssertEqual(image.width, size.width, "width of \(path)", file: file, line: line)
    XCTAssertEqual(image.height, size.height, "height of \(path)", file: file, line: line)
    XCTAssertGreaterThan(image.width, 10, file: file, line: line)
    XCTAssertGreaterThan(image.height, 10, file: file, line: line)
    return image
}

/// The image grid a figure holds (directly or as its first panel).
func imageGrid(of figure: Figure) -> ImageGrid? {
    switch figure.content {
    case .imageGrid(let grid): return grid
    default: return nil
    }
}
