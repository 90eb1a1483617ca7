import Foundation
@testable import Language
import XCTest

/// One cell run as the REPL and the Jupyter kernel run it, and what an interrupt stops.
final class CellRunTests: XCTestCase {
    override func tearDown() { SessionHarness.removeFolders() }

    func testStatementsRunInOrderUntilTheFirstError() throws {
        let session = try SessionHarness.makeSession()
        let run = session.runCell("a = 2\nb = a * 3\nc = nosuch\nd = 1", file: "In[1]")
        XCTAssertEqual(run.ranSources, ["a = 2", "b = a * 3"])
        let error = try XCTUnwrap(run.error)
        XCTAssertEqual(error.span.file, "In[1]")
        XCTAssertEqual(error.span.line, 3)
        XCTAssertEqual(error.span.column, 5)
        XCTAssertFalse(run.interrupted)
        XCTAssertNotNil(session["b"])
        XCTAssertNil(session["d"], "nothing after the error ran")
    }

    func testASyntaxErrorRunsNothing() throws {
        let session = try SessionHarness.makeSession()
        let run = session.runCell("a = 2\nb = = 3")
        XCTAssertEqual(run.ranSources, [])
        XCTAssertEqual(run.error?.span.line, 2)
        XCTAssertNil(session["a"])
    }

    func testAnInterruptedTrainingEndsTheCellAndKeepsTheHistory() throws {
        let session = try SessionHarness.makeSession(trainCount: 96, testCount: 16)
        XCTAssertNil(session.runCell("data = load shapes\nmodel net { input 32x32x3; pool 8; flatten; dense 10 softmax }\n"
                                     + "compile net optimizer sgd loss sparse_categorical_crossentropy").error)
        var polls = 0, stopped = false
        session.shouldStop = { polls += 1; stopped = polls >= 3; return stopped }
        let run = session.runCell("h = fit net on data.train epochs 3 batch 8\nafter = 1", interrupted: { stopped })
        XCTAssertNil(run.error)
        XCTAssertTrue(run.interrupted)
        XCTAssertEqual(run.ranSources, ["h = fit net on data.train epochs 3 batch 8"])
        XCTAssertNotNil(session["h"])
        XCTAssertNil(session["after"])
    }

    func testEvaluateAndPredictStopBetweenBatches() throws {
        let session = try SessionHarness.makeSession(trainCount: 96, testCount: 96)
        XCTAssertNil(session.runCell("data = load shapes\nmodel net { input 32x32x3; pool 8; flatten; dense 10 softmax }\n"
                                     + "compile net optimizer sgd loss sparse_categorical_crossentropy").error)
        var polls = 0
        session.shouldStop = { polls += 1; return polls > 2 }
        let evaluate = try XCTUnwrap(session.runCell("e = evaluate net on data.test").error)
        XCTAssertEqual(evaluate.message, "evaluate was interrupted before batch 3 of 3")
        XCTAssertEqual(polls, 3)
        polls = 0
        let predict = try XCTUnwrap(session.runCell("p = predict net data.train").error)
        XCTAssertEqual(predict.message, "predict was interrupted before batch 3 of 3")
        XCTAssertEqual(predict.hint, "the model is unchanged; run it again to finish")
        XCTAssertNil(session["e"])
        XCTAssertNil(session["p"])
        session.shouldStop = { false }
        XCTAssertNil(session.runCell("e = evaluate net on data.test").error)
    }
}
