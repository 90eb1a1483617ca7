import Engine
import Foundation
import XCTest

final class WeightFileTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("cnnb-weights-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func allWeights(_ model: Model) -> [[Float]] { model.parameters.map(\.value.scalars) }

    func testRoundTripRestoresEveryWeight() throws {
        let path = folder.appendingPathComponent("m.cnnbw").path
        let saved = try xorModel(seed: 1)
        try saved.saveWeights(to: path)
        let loaded = try xorModel(seed: 2)
        XCTAssertNotEqual(allWeights(loaded), allWeights(saved))
        try loaded.loadWeights(from: path)
        XCTAssertEqual(allWeights(loaded), allWeights(saved))
        // Nothing but the file is left in the folder (the temporary file was renamed).
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["m.cnnbw"])
    }

    func testTheFormatIsAsDocumented() throws {
        let model = try Model.sequential(inputShape: [1], layers: [Dense(units: 1)])
        try model.setWeights([Tensor(shape: [1, 1], values: [2]), Tensor(shape: [1], values: [-1])], ofLayer: 1)
        let bytes = WeightFile.encode(model.weightEntries)
        var expected: [UInt8] = Array("CNNBWTS".utf8) + [0, 1, 0, 0, 0, 2, 0, 0, 0]
        expected += [5, 0, 0, 0] + Array("dense".utf8) + [6, 0, 0, 0] + Array("kernel".utf8)
        expected += [2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0x00, 0x00, 0x00, 0x40]
        expected += [5, 0, 0, 0] + Array("dense".utf8) + [4, 0, 0, 0] + Array("bias".utf8)
        expected += [1, 0, 0, 0, 1, 0, 0, 0, 0x00, 0x00, 0x80, 0xBF]
        XCTAssertEqual(bytes, expected)
    }

    /// Loads `bytes` into a fresh model and checks the error and that no weight changed.
    private func assertLoadFails(_ bytes: [UInt8], into model: Model, saying text: String, line: UInt = #line) throws {
        let path = folder.appendingPathComponent("bad.cnnbw").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let before = allWeights(model)
        XCTAssertThrowsError(try model.loadWeights(from: path), line: line) { error in
            XCTAssertTrue("\(error)".contains(text), "\(error)", line: line)
        }
        XCTAssertEqual(allWeights(model), before, "weights changed after a failed load", line: line)
    }

    func testEveryLoadErrorLeavesWeightsUntouched() throws {
        let good = WeightFile.encode(try xorModel(seed: 1).weightEntries)
        let model = try xorModel(seed: 2)

        var wrongMagic = good
        wrongMagic[0] = UInt8(ascii: "X")
        try assertLoadFails(wrongMagic, into: model, saying: "is not a cnnb weight file")

        // Cut inside the last weight's data: the earlier weights are complete but must not be assigned.
        try assertLoadFails(Array(good.dropLast(3)), into: model, saying: "is truncated")
        try assertLoadFails(Array(good.prefix(10)), into: model, saying: "is truncated")

        let wider = try Model.sequential(inputShape: [2], layers: [Dense(units: 17, activation: .relu),
                                                                   Dense(units: 2, activation: .softmax)])
        try assertLoadFails(WeightFile.encode(wider.weightEntries), into: model,
                            saying: "has dense/kernel of shape (2, 17), model functional needs (2, 16)")

        var renamed = try xorModel(seed: 1).weightEntries
        renamed[2].layerName = "dense_7"
        renamed[3].layerName = "dense_7"
        try assertLoadFails(WeightFile.encode(renamed), into: model, saying: "has weight dense_7/kernel, which model functional does not have")

        let fewer = Array(try xorModel(seed: 1).weightEntries.prefix(2))
        try assertLoadFails(WeightFile.encode(fewer), into: model, saying: "lacks weights dense_1/kernel, dense_1/bias")

        var newer = good
        newer[8] = 9
        try assertLoadFails(newer, into: model, saying: "has weight file version 9")

        XCTAssertThrowsError(try model.loadWeights(from: folder.appendingPathComponent("absent").path)) { error in
            XCTAssertTrue("\(error)".contains("cannot read"), "\(error)")
        }
    }

    func testSavingIntoAMissingFolderIsAnError() throws {
        let model = try xorModel()
        XCTAssertThrowsError(try model.saveWeights(to: folder.appendingPathComponent("no/such/m.cnnbw").path)) { error in
            XCTAssertTrue("\(error)".contains("cannot write"), "\(error)")
        }
    }
}
