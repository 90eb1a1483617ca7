import Foundation
@testable import Language
import Render
import XCTest

/// What inspect says about the word at a cursor, and `.cnnb` ↔ `.ipynb`.
final class InspectionConversionTests: XCTestCase {
    override func tearDown() { SessionHarness.removeFolders() }

    func testInspectionOfKeywordsLayersAndValues() throws {
        let session = try SessionHarness.makeSession()
        XCTAssertNil(session.runCell("data = load shapes\nmodel tiny { input 4x4x1; flatten; dense 2 softmax }\nk = 3x3").error)
        let fit = try XCTUnwrap(Inspection.text(in: "h = fit tiny", cursor: 5, session: session))
        XCTAssertEqual(fit.word, "fit")
        XCTAssertEqual(fit.text, Help.text(topic: "fit"))
        XCTAssertEqual(Inspection.text(in: "conv 8 3x3", cursor: 0, session: session)?.text, Help.text(topic: "conv"))
        let model = try XCTUnwrap(Inspection.text(in: "summary tiny", cursor: 12, session: session))
        XCTAssertTrue(model.text.hasPrefix("tiny: model tiny: 3 layers, 34 parameters\nModel: \"tiny\""), model.text)
        XCTAssertTrue(model.text.contains("Total params: 34"))
        let images = try XCTUnwrap(Inspection.text(in: "data.train", cursor: 7, session: session))
        XCTAssertEqual(images.word, "data")
        XCTAssertTrue(images.text.hasPrefix("data: dataset shapes: train (96, 32, 32, 3), test (32, 32, 32, 3)"), images.text)
        XCTAssertEqual(Inspection.text(in: "k", cursor: 1, session: session)?.text, "k: 3x3")
        XCTAssertNil(Inspection.text(in: "nothing", cursor: 3, session: session))
        XCTAssertNil(Inspection.text(in: "x = 1 + 2", cursor: 6, session: session))
    }

    func testCellsRoundTripBetweenCNNBAndIPYNB() throws {
        let source = "%% md\n# Title\n\ntext\n%%\nx = 1\n\n%%\nmodel m {\n    input 4x4x1\n}\n"
        let cells = NotebookConversion.cells(ofCNNB: source, fileName: "a.cnnb")
        XCTAssertEqual(cells.map(\.kind), [.markdown, .code, .code])
        XCTAssertEqual(cells.map(\.source), ["# Title\n\ntext", "x = 1", "model m {\n    input 4x4x1\n}"])
        let ipynb = try NotebookConversion.ipynbText(cells, title: "a")
        let back = try NotebookConversion.cells(ofIPYNB: Data(ipynb.utf8), fileName: "a.ipynb")
        XCTAssertEqual(back, cells)
        let text = try NotebookConversion.cnnbText(back, fileName: "a.ipynb")
        XCTAssertEqual(text, "%% md\n# Title\n\ntext\n\n%%\nx = 1\n\n%%\nmodel m {\n    input 4x4x1\n}\n")
        XCTAssertEqual(NotebookConversion.cells(ofCNNB: text, fileName: "b.cnnb"), cells)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(ipynb.utf8)) as? [String: Any])
        let metadata = try XCTUnwrap(document["metadata"] as? [String: Any])
        XCTAssertEqual((metadata["kernelspec"] as? [String: Any])?["name"] as? String, "cnnb")
        XCTAssertEqual((metadata["language_info"] as? [String: Any])?["version"] as? String, CNNBVersion.string)
    }

    func testConversionRefusals() {
        XCTAssertThrowsError(try NotebookConversion.cells(ofIPYNB: Data("{".utf8), fileName: "x.ipynb")) {
            XCTAssertEqual(($0 as? NotebookConversion.ConversionError)?.message, "x.ipynb is not JSON")
        }
        XCTAssertThrowsError(try NotebookConversion.cells(ofIPYNB: Data("{\"cells\": [{\"cell_type\": \"code\"}]}".utf8), fileName: "x.ipynb")) {
            XCTAssertEqual(($0 as? NotebookConversion.ConversionError)?.message, "x.ipynb: cell 1 has no source")
        }
        XCTAssertThrowsError(try NotebookConversion.cnnbText([.code("a = 1\n%% md")], fileName: "x.ipynb")) {
            XCTAssertEqual(($0 as? NotebookConversion.ConversionError)?.message,
                           "x.ipynb: cell 1, line 2 starts with %%, which .cnnb reads as a cell marker")
        }
        XCTAssertThrowsError(try NotebookConversion.convert("a.txt", to: "b.ipynb"))
    }
}
