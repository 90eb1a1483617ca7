import Engine
@testable import Language
import XCTest

/// Models with several outputs trained from the language: a loss and metrics per output name,
/// targets computed from the labels, Keras's history keys and evaluate's list.
final class MultiOutputTrainingTests: XCTestCase {
    override func tearDown() { SessionHarness.removeFolders() }

    static let two = """
        model two {
            input 32x32x3
            conv 4 3x3 relu
            maxpool 4
            f = flatten
            digit = dense 10 softmax name "digit"
            odd = dense 1 sigmoid name "odd" from f
            outputs digit, odd
        }
        """

    func trees(_ source: String) -> [String] {
        let (statements, diagnostics) = Parser.parseStatements(source)
        XCTAssertEqual(diagnostics, [], source)
        return statements.map(\.treeDescription)
    }

    func testPerOutputValuesParseAsPairsAndPrintBack() {
        let sources = [
            "compile two optimizer adam loss digit sparse_categorical_crossentropy, odd binary_crossentropy metrics accuracy",
            "h = fit two on data.train targets digit labels, odd labels % 2 epochs 3 validate data.test",
            "evaluate two on data.test targets odd labels % 2, digit (labels)",
            "compile m loss mse metrics digit [accuracy]",
            "fit m on d targets labels % 2",
            "fit m on d targets t - 1",
        ]
        XCTAssertEqual(sources.flatMap(trees), [
            "(compile two (optimizer adam) (loss (digit sparse_categorical_crossentropy) (odd binary_crossentropy)) (metrics accuracy))",
            "(= h (fit two (on (. data train)) (targets (digit labels) (odd (% labels 2))) (epochs 3) (validate (. data test))))",
            "(evaluate two (on (. data test)) (targets (odd (% labels 2)) (digit labels)))",
            "(compile m (loss mse) (metrics (digit [accuracy])))",
            "(fit m (on d) (targets (% labels 2)))",
            "(fit m (on d) (targets (- t 1)))",
        ])
        for source in sources {
            let statements = Parser.parseStatements(source).0
            let printed = statements.map(SourcePrinter.render).joined(separator: "\n")
            XCTAssertEqual(trees(printed), statements.map(\.treeDescription), printed)
        }
    }

    func testTwoOutputsTrainWithALossPerOutputAndTargetsFromTheLabels() throws {
        let session = try SessionHarness.makeSession(trainCount: 96, testCount: 32)
        session.succeed("data = load shapes\ndata = data / 255")
        session.succeed(Self.two)
        XCTAssertEqual(session.succeed("compile two optimizer adam loss digit sparse_categorical_crossentropy, odd binary_crossentropy metrics accuracy").text,
                       "two: optimizer adam (learning rate 0.001), loss digit sparse_categorical_crossentropy, odd binary_crossentropy, metrics accuracy")
        guard case .model(let two) = try XCTUnwrap(session["two"]) else { return XCTFail("not a model") }
        XCTAssertEqual(two.losses, [.sparseCategoricalCrossentropy, .binaryCrossentropy])
        XCTAssertEqual(two.outputMetrics, [[.accuracy], [.accuracy]])
        session.succeed("h = fit two on data.train targets digit labels, odd labels % 2 epochs 2 batch_size 16 validate data.test")
        guard case .history(let history) = try XCTUnwrap(session["h"]) else { return XCTFail("no history") }
        // Keras 3.15's keys for the same compile and fit (dictionaries of losses and metrics).
        XCTAssertEqual(history.keys, ["digit_accuracy", "digit_loss", "loss", "odd_accuracy", "odd_loss",
                                      "val_digit_accuracy", "val_digit_loss", "val_loss", "val_odd_accuracy", "val_odd_loss"])
        for epoch in 0..<2 {
            XCTAssertEqual(history.loss[epoch], history["digit_loss"]![epoch] + history["odd_loss"]![epoch], accuracy: 1e-9)
        }
        XCTAssertEqual(session.succeed("print h.val_odd_loss").text.split(separator: ",").count, 2)

        // evaluate's list is Keras's: the sum, each output's loss, each accuracy; checked here
        // against the predictions by hand.
        session.succeed("scores = evaluate two on data.test targets digit labels, odd labels % 2")
        guard case .list(let items) = try XCTUnwrap(session["scores"]) else { return XCTFail("not a list") }
        let scores = items.map { value -> Double in
            if case .number(let x) = value { return x }
            XCTFail("not a number: \(value)")
            return .nan
        }
        guard case .dataset(let data) = try XCTUnwrap(session["data"]) else { return XCTFail("no data") }
        let predictions = try two.predict(data.test)
        let labels = data.test.labels
        var digitLoss = 0.0, oddLoss = 0.0, digitRight = 0, oddRight = 0
        for (row, label) in labels.enumerated() {
            let p = (0..<10).map { Double(predictions[0][flat: row * 10 + $0]) }
            digitLoss -= log(p[Int(label)])
            if p.firstIndex(of: p.max()!) == Int(label) { digitRight += 1 }
            let q = Double(predictions[1][flat: row]), y = Double(label % 2)
            oddLoss -= y * log(q) + (1 - y) * log(1 - q)
            if (q > 0.5) == (y == 1) { oddRight += 1 }
        }
        let n = Double(labels.count)
        XCTAssertEqual(scores.count, 5)
        XCTAssertEqual(scores[1], digitLoss / n, accuracy: 1e-5)
        XCTAssertEqual(scores[2], oddLoss / n, accuracy: 1e-5)
        XCTAssertEqual(scores[0], scores[1] + scores[2], accuracy: 1e-9)
        XCTAssertEqual(scores[3], Double(digitRight) / n)
        XCTAssertEqual(scores[4], Double(oddRight) / n)

        // Early stopping watches one output's validation accuracy by its Keras name.
        let stopped = session.succeed("fit two on data.train targets digit labels, odd labels % 2 epochs 3 validate data.test patience 0 monitor val_odd_accuracy")
        XCTAssertTrue(stopped.progress.joined().contains("val_odd_accuracy"), stopped.progress.joined())
        // One target set for every output: the same labels read by both losses.
        session.succeed("compile two optimizer adam loss digit sparse_categorical_crossentropy, odd mse metrics digit accuracy")
        XCTAssertEqual(two.outputMetrics, [[.accuracy], []])
        session.succeed("g = fit two on data.train targets digit labels, odd labels == 3 epochs 1")
        guard case .history(let g) = try XCTUnwrap(session["g"]) else { return XCTFail("no history") }
        XCTAssertEqual(g.keys, ["digit_accuracy", "digit_loss", "loss", "odd_loss"])
    }

    func testLabelsComputeNewLabelsAsNumPyDoes() throws {
        let session = try SessionHarness.makeSession(trainCount: 12, testCount: 4)
        session.succeed("data = load shapes")
        guard case .dataset(let data) = try XCTUnwrap(session["data"]) else { return XCTFail("no data") }
        let labels = data.train.labels
        session.succeed("o = data.train.labels % 2\ns = 9 - data.train.labels\nt = data.train.labels / 2")
        guard case .labels(let odd) = try XCTUnwrap(session["o"]), case .labels(let shifted) = try XCTUnwrap(session["s"]),
              case .tensor(let halves) = try XCTUnwrap(session["t"]) else {
            return XCTFail("whole results are labels, others a tensor")
        }
        XCTAssertEqual(odd.labels, labels.map { $0 % 2 })
        XCTAssertEqual(odd.classNames, ["0", "1"])
        XCTAssertEqual(shifted.labels, labels.map { 9 - $0 })
        XCTAssertEqual(halves.scalars, labels.map { Float($0) / 2 })
        // A selection of the odd digits' images.
        session.succeed("odds = data.train[labels % 2 == 1]")
        guard case .images(let odds) = try XCTUnwrap(session["odds"]) else { return XCTFail("not images") }
        XCTAssertEqual(odds.labels, labels.filter { $0 % 2 == 1 })
    }

    func testCompletionOffersTheOutputsAndHelpShowsTheForms() throws {
        let session = try SessionHarness.makeSession()
        session.succeed(Self.two)
        XCTAssertEqual(Completion.complete("compile two loss di", cursor: 19, session: session).matches, ["digit"])
        XCTAssertTrue(Completion.complete("fit two on x targets la", cursor: 23, session: session).matches.contains("labels"))
        XCTAssertTrue(Help.text(topic: "compile").contains("loss digit sparse_categorical_crossentropy, odd binary_crossentropy"))
        XCTAssertTrue(Help.text(topic: "fit").contains("targets digit labels, odd labels % 2"))
    }
}
