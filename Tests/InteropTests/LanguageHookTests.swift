@testable import Language
import Engine
import Foundation
import Interop
import TestSupport
import XCTest

/// The interpreter's interop functions, called as the `export`, `save`, `load` and `predict`
/// statements call them.
final class LanguageHookTests: XCTestCase {
    let span = SourceSpan(file: "t.cnnb", line: 1, column: 1, offset: 0, length: 6)

    func command(_ keyword: String, _ argument: String, option: String, path: String) -> Command {
        Command(keyword: Identifier(keyword, span: span), arguments: [Expr(.name(argument), span: span)],
                options: [NamedOption(name: Identifier(option, span: span), value: Expr(.string(path), span: span), span: span)],
                span: span)
    }

    func testExportWritesONNXAndKerasFilesAndExplainsAMissingFormat() throws {
        let folder = try temporaryFolder("hooks-export")
        let session = Session(outputDirectory: folder)
        session.set("cnn", .model(try seedModel()))
        let interpreter = Interpreter(session: session)
        var outputs: [Output] = []
        _ = try interpreter.exportCommand(command("export", "cnn", option: "onnx", path: folder + "/cnn.onnx"), outputs: &outputs)
        _ = try interpreter.exportCommand(command("export", "cnn", option: "keras", path: folder + "/cnn.py"), outputs: &outputs)
        let lines = outputs.compactMap(\.plainText)
        XCTAssertEqual(lines, [
            "exported functional to \(folder)/cnn.onnx (ONNX opset 13, input input_layer (None, 32, 32, 3), output dense_1 (None, 10))",
            "exported functional to \(folder)/cnn.py with its weights in \(folder)/cnn.npz",
        ])
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: folder)), ["cnn.onnx", "cnn.py", "cnn.npz"])
        XCTAssertThrowsError(try interpreter.exportCommand(command("export", "cnn", option: "tflite", path: "x"), outputs: &outputs)) {
            let d = $0 as? Diagnostic
            XCTAssertEqual(d?.message, "export needs a format and a file")
            XCTAssertEqual(d?.hint, "write export cnn onnx \"model.onnx\" or export cnn keras \"model.py\"")
        }
    }

    func testWeightsByExtensionAndPredictionsToNumpy() throws {
        let folder = try temporaryFolder("hooks-weights")
        let interpreter = Interpreter(session: Session(outputDirectory: folder))
        let model = try model1D(seed: 3), other = try model1D(seed: 4)
        XCTAssertEqual(try interpreter.saveWeights(of: model, to: folder + "/w.npz", at: span),
                       "saved 365 weights of functional to \(folder)/w.npz")
        XCTAssertEqual(try interpreter.saveWeights(of: model, to: folder + "/w.cnnbw", at: span),
                       "saved 365 weights of functional to \(folder)/w.cnnbw")
        XCTAssertEqual(try Npz.read(folder + "/w.npz").count, 7)
        XCTAssertEqual(try interpreter.loadWeights(into: other, from: folder + "/w.npz", at: span),
                       "loaded 365 weights of functional from \(folder)/w.npz")
        XCTAssertEqual(other.parameters.map(\.value.scalars), model.parameters.map(\.value.scalars))

        // A weight file of another model: a diagnostic at the statement, and no weight changes.
        let before = other.parameters.map(\.value.scalars)
        try KerasWeights.save(try seedModel(), to: folder + "/seed.npz")
        XCTAssertThrowsError(try interpreter.loadWeights(into: other, from: folder + "/seed.npz", at: span)) {
            let d = $0 as? Diagnostic
            XCTAssertEqual(d?.message, "\(folder)/seed.npz has weight conv2d/kernel, which model functional does not have")
            XCTAssertEqual(d?.span, self.span)
        }
        XCTAssertEqual(other.parameters.map(\.value.scalars), before)

        let x = randomInputs(model, count: 5, seed: 6)
        let results = try model.predict(x)
        XCTAssertThrowsError(try interpreter.savePredictions(results, of: model, to: folder + "/p.npy", at: span)) {
            XCTAssertEqual(($0 as? Diagnostic)?.hint, "write them to an .npz file: to \"predictions.npz\"")
        }
        XCTAssertEqual(try interpreter.savePredictions(results, of: model, to: folder + "/p.npz", at: span),
                       "saved predictions (5, 3), (5, 10, 8) to \(folder)/p.npz")
        let saved = try Npz.read(folder + "/p.npz")
        XCTAssertEqual(saved.map(\.name), ["dense_1", "average_pooling1d"])
        XCTAssertEqual(saved.map(\.array), results.map { NumpyArray($0) })
        let single = try seedModel()
        let first = try single.predict(randomInputs(single, count: 2, seed: 7))
        _ = try interpreter.savePredictions(first, of: single, to: folder + "/q.npy", at: span)
        XCTAssertEqual(try Npy.read(folder + "/q.npy"), NumpyArray(first[0]))
    }
}
