@testable import Interop
import Engine
import Foundation
import TestSupport
import XCTest

final class NpzTests: XCTestCase {
    func testZipCRCAndLayout() throws {
        XCTAssertEqual(Zip.crc32(Array("123456789".utf8)), 0xCBF4_3926, "the CRC-32 check value")
        XCTAssertEqual(Zip.crc32([]), 0)
        let members = [Zip.Member(name: "a.npy", bytes: [1, 2, 3]), Zip.Member(name: "dense/kernel.npy", bytes: [])]
        let bytes = try Zip.encode(members)
        // Two local headers (30 + name + data), two directory entries (46 + name), end record.
        XCTAssertEqual(bytes.count, (30 + 5 + 3) + (30 + 16) + (46 + 5) + (46 + 16) + 22)
        XCTAssertEqual(Array(bytes[0..<4]), [0x50, 0x4B, 3, 4])
        XCTAssertEqual(Array(bytes.suffix(22).prefix(4)), [0x50, 0x4B, 5, 6])
        XCTAssertEqual(try Zip.decode(bytes, path: "a.zip"), members)
    }

    func testArchiveRoundTripKeepsNamesOrderAndValues() throws {
        let arrays: [(name: String, array: NumpyArray)] = [
            ("conv2d/kernel", NumpyArray(shape: [3, 3, 1, 2], values: (0..<18).map { Float($0) / 7 })),
            ("conv2d/bias", NumpyArray(shape: [2], values: [0.5, -0.5])),
            ("scalar", NumpyArray(shape: [], values: [42])),
        ]
        let back = try Npz.decode(Npz.encode(arrays), path: "w.npz")
        XCTAssertEqual(back.map(\.name), ["conv2d/kernel", "conv2d/bias", "scalar"])
        XCTAssertEqual(back.map(\.array), arrays.map(\.array))
        XCTAssertThrowsError(try Npz.encode(arrays + [("scalar", NumpyArray(shape: [1], values: [1]))])) {
            XCTAssertEqual(($0 as? InteropError)?.message, "two arrays are named scalar")
        }
    }

    func testDamagedArchivesGiveErrorsNotCrashes() throws {
        let bytes = try Npz.encode([("a", NumpyArray(shape: [16], values: Array(repeating: 2, count: 16))),
                                    ("b", NumpyArray(shape: [2, 2], values: [1, 2, 3, 4]))])
        for cut in stride(from: 0, to: bytes.count, by: 7) {
            XCTAssertThrowsError(try Npz.decode(Array(bytes.prefix(cut)), path: "w.npz"), "cut at \(cut)")
        }
        XCTAssertThrowsError(try Npz.decode(Array(bytes.prefix(bytes.count - 30)), path: "w.npz")) {
            XCTAssertEqual(($0 as? InteropError)?.message, "w.npz is truncated: the zip archive has no end record")
        }
        XCTAssertThrowsError(try Npz.decode(Array("just some text, no zip here at all".utf8), path: "w.npz")) {
            XCTAssertEqual(($0 as? InteropError)?.message, "w.npz is not a zip archive (an .npz file is one)")
        }
        // One flipped bit in the first member's data: its CRC no longer matches.
        var flipped = bytes
        flipped[30 + 5 + 130] ^= 0x01
        XCTAssertThrowsError(try Npz.decode(flipped, path: "w.npz")) {
            XCTAssertEqual(($0 as? InteropError)?.message, "w.npz: member a.npy fails its CRC-32 check")
        }
    }

    func testModelWeightsUseKerasPathsAndRoundTrip() throws {
        let model = try seedModel(seed: 3)
        randomiseBiases(model, seed: 4)
        let arrays = KerasWeights.arrays(of: model)
        XCTAssertEqual(arrays.map(\.name), ["conv2d/kernel", "conv2d/bias", "conv2d_1/kernel", "conv2d_1/bias",
                                            "conv2d_2/kernel", "conv2d_2/bias", "dense/kernel", "dense/bias",
                                            "dense_1/kernel", "dense_1/bias"])
        XCTAssertEqual(arrays.map(\.array.shape), [[3, 3, 3, 32], [32], [3, 3, 32, 64], [64], [3, 3, 64, 64], [64],
                                                  [1024, 64], [64], [64, 10], [10]])
        let folder = try temporaryFolder("weights")
        let path = folder + "/seed.npz"
        try KerasWeights.save(model, to: path)

        let other = try seedModel(seed: 99)
        let x = randomInputs(model, count: 4, seed: 5)
        XCTAssertNotEqual(try other.predict(x)[0].scalars, try model.predict(x)[0].scalars)
        try KerasWeights.load(other, from: path)
        XCTAssertEqual(other.parameters.map(\.value.scalars), model.parameters.map(\.value.scalars))
        XCTAssertEqual(try other.predict(x)[0].scalars, try model.predict(x)[0].scalars)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["seed.npz"], "no temporary file left")
    }

    func testBadWeightFilesLeaveTheModelAsItWas() throws {
        let model = try seedModel(seed: 3)
        let before = model.parameters.map(\.value.scalars)
        let folder = try temporaryFolder("bad")
        var arrays = KerasWeights.arrays(of: try seedModel(seed: 8))
        func loadError(_ arrays: [(name: String, array: NumpyArray)]) throws -> InteropError? {
            let path = folder + "/w.npz"
            try Npz.write(arrays, to: path)
            do { try KerasWeights.load(model, from: path); return nil } catch { return error }
        }

        // Wrong shape on the last weight: nothing is assigned, not even the earlier ones.
        var wrongShape = arrays
        wrongShape[9].array = NumpyArray(shape: [1, 10], values: Array(repeating: 1, count: 10))
        let shapeError = try loadError(wrongShape)
        XCTAssertEqual(shapeError?.message, "\(folder)/w.npz has dense_1/bias of shape (1, 10), model functional needs (10,)")
        XCTAssertEqual(model.parameters.map(\.value.scalars), before)

        // A misspelled name.
        arrays[4].name = "conv2d_2/kernal"
        let nameError = try loadError(arrays)
        XCTAssertEqual(nameError?.message, "\(folder)/w.npz has weight conv2d_2/kernal, which model functional does not have")
        XCTAssertEqual(nameError?.hint?.hasPrefix("model functional has conv2d/kernel, conv2d/bias,"), true)
        XCTAssertEqual(model.parameters.map(\.value.scalars), before)

        // A weight missing.
        arrays.remove(at: 4)
        let missing = try loadError(arrays)
        XCTAssertEqual(missing?.message, "\(folder)/w.npz lacks weight conv2d_2/kernel of model functional")
        XCTAssertEqual(model.parameters.map(\.value.scalars), before)

        // A truncated file.
        try KerasWeights.save(try seedModel(seed: 8), to: folder + "/whole.npz")
        let whole = try Data(contentsOf: URL(fileURLWithPath: folder + "/whole.npz"))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: folder + "/half.npz"))
        XCTAssertThrowsError(try KerasWeights.load(model, from: folder + "/half.npz")) {
            XCTAssertEqual(($0 as? InteropError)?.message, "\(folder)/half.npz is truncated: the zip archive has no end record")
        }
        XCTAssertEqual(model.parameters.map(\.value.scalars), before)
        XCTAssertThrowsError(try KerasWeights.load(model, from: folder + "/none.npz")) {
            XCTAssertEqual(($0 as? InteropError)?.message, "cannot read the archive \(folder)/none.npz: no such file")
        }
    }
}
