import Datasets
import Engine
import Foundation
@testable import Interop
import XCTest

/// What the fuzz targets FuzzKeras, FuzzNpy, FuzzPNG and FuzzJPEG guard: sizes in a file's header are
/// claims, refused before anything of their size is allocated or multiplied out. Inputs that
/// are files sit in Tests/Fuzz/Seeds, where they also seed the fuzzer.
final class DecoderFindingsTests: XCTestCase {
    static let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/Seeds")

    func seed(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: DecoderFindingsTests.seeds.appendingPathComponent(path)))
    }

    /// The model Keras wrote Seeds/FuzzKeras from: input 4x4x1; conv 2 3x3; flatten; dense 2.
    func seedModel() throws -> Model {
        let input = Node.input(shape: [4, 4, 1], seed: 1)
        let features = try Flatten()(try Convolution(rank: 2, filters: 2, kernelSize: [3])(input))
        return try Model(inputs: input, outputs: try Dense(units: 2)(features))
    }

    func testKerasWeightsAreReadFromMemory() throws {
        let model = try seedModel()
        try KerasArchive.loadWeights(model, fromBytes: try seed("FuzzKeras/keras.weights.h5"), describedAs: "keras.weights.h5")
        // Keras's zero-initialised biases, and a kernel that is not cnnb's own initialisation.
        XCTAssertEqual(model.parameters[1].value.scalars, [0, 0])
        XCTAssertNotEqual(try seedModel().parameters[0].value.scalars, model.parameters[0].value.scalars)
        let contents = try KerasArchive.read(bytes: try seed("FuzzKeras/keras.keras"), path: "keras.keras")
        XCTAssertEqual(contents.layers.map(\.className), ["InputLayer", "Conv2D", "Flatten", "Dense"])
        try contents.loadWeights(into: model)
        XCTAssertThrowsError(try KerasArchive.loadWeights(model, fromBytes: [], describedAs: "empty.weights.h5")) { error in
            XCTAssertEqual((error as? InteropError)?.message, "cannot read empty.weights.h5 as an HDF5 weights file")
        }
    }

    /// A dataset of shape (2^62, 8), chunked so the file stays 16 KB: multiplying its sizes out
    /// as Ints overflowed and trapped.
    func testAWeightShapeWhoseSizeOverflowsIsRefused() throws {
        let model = try seedModel()
        let before = model.parameters.map(\.value.scalars)
        XCTAssertThrowsError(try KerasArchive.loadWeights(model, fromBytes: try seed("FuzzKeras/overflowing-shape.weights.h5"),
                                                          describedAs: "big.weights.h5")) { error in
            XCTAssertEqual((error as? InteropError)?.message,
                           "big.weights.h5: conv2d/kernel has shape (None, 4611686018427387904, 8), the model's is (None, 3, 3, 1, 2)")
        }
        XCTAssertEqual(model.parameters.map(\.value.scalars), before)
    }

    /// Found by FuzzKeras: a group's local heap whose sizes make libhdf5 1.10 ask realloc for
    /// 2^64 - 136 bytes (AddressSanitizer stops there). realloc answers NULL, libhdf5 fails the
    /// lookup, and the load is an error that names the layer; no weight changes.
    func testACorruptLocalHeapIsAnErrorNotACrash() throws {
        let model = try seedModel()
        let before = model.parameters.map(\.value.scalars)
        XCTAssertThrowsError(try KerasArchive.loadWeights(model, fromBytes: try seed("FuzzKeras/corrupt-local-heap.weights.h5"),
                                                          describedAs: "heap.weights.h5")) { error in
            XCTAssertEqual((error as? InteropError)?.message, "heap.weights.h5 has no weights for layer conv2d (at layers/conv2d/vars)")
        }
        XCTAssertEqual(model.parameters.map(\.value.scalars), before)
    }

    /// Found by FuzzKeras: a file whose group lookup makes libhdf5 1.10.8 itself copy into a null
    /// buffer (`H5Lexists` → `H5HL_protect` → `H5F__accum_read`). Tried first in a child process,
    /// it is refused as damaged, from memory and from a path alike, and no weight changes.
    func testAFileThatCrashesLibHDF5IsRefusedAsDamaged() throws {
        let model = try seedModel()
        let before = model.parameters.map(\.value.scalars)
        let bytes = try seed("FuzzKeras/memcpy-into-null.weights.h5")
        let expected = "w.weights.h5 is damaged: the HDF5 library fails reading it"
        XCTAssertThrowsError(try KerasArchive.loadWeights(model, fromBytes: bytes, describedAs: "w.weights.h5")) { error in
            XCTAssertEqual((error as? InteropError)?.message, expected)
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("h5-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("w.weights.h5").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try KerasArchive.loadWeights(model, from: path)) { error in
            XCTAssertEqual((error as? InteropError)?.message, path + " is damaged: the HDF5 library fails reading it")
        }
        XCTAssertEqual(model.parameters.map(\.value.scalars), before)
        // A sound file still loads after the probe: Keras's own weights file.
        XCTAssertNoThrow(try KerasArchive.loadWeights(try seedModel(), fromBytes: try seed("FuzzKeras/keras.weights.h5"), describedAs: "keras.weights.h5"))
    }

    /// Found by FuzzKeras (as out-of-memory reports): a 16 KB file whose weight claims numbers of
    /// about 4 GB each, for which libhdf5 allocated a 4 GB conversion buffer (4 GB of memory and
    /// 6 s) before failing. Its type is checked first now; no weight changes.
    func testANumberTypeOfGigabytesIsRefusedBeforeReading() throws {
        let model = try seedModel()
        let before = model.parameters.map(\.value.scalars)
        let bytes = try seed("FuzzKeras/huge-number-type.weights.h5")
        XCTAssertThrowsError(try KerasArchive.loadWeights(model, fromBytes: bytes, describedAs: "w.weights.h5")) { error in
            XCTAssertEqual((error as? InteropError)?.message,
                           "w.weights.h5: layers/dense/vars/0 does not hold numbers of at most 8 bytes in chunks of at most 256 MB")
        }
        XCTAssertEqual(model.parameters.map(\.value.scalars), before)
    }

    func message(_ bytes: [UInt8], name: String, maxPixels: Int = ImageFolder.maxPixels) -> String {
        do {
            let image = try ImageFolder.decode(bytes: bytes, name: name, maxPixels: maxPixels)
            return "\(image.width)x\(image.height)x\(image.channels)"
        } catch {
            return (error as? DataError)?.message ?? "\(error)"
        }
    }

    /// One red pixel as Pillow writes it, with the header's width and height replaced (and its
    /// checksum made again).
    func png(width: UInt32, height: UInt32) -> [UInt8] {
        var header: [UInt8] = Array("IHDR".utf8)
        for size in [width, height] { header += (0..<4).map { UInt8(truncatingIfNeeded: size >> (24 - 8 * $0)) } }
        header += [0x08, 0x02, 0x00, 0x00, 0x00]
        let crc = Zip.crc32(header)
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D] + header
            + (0..<4).map { UInt8(truncatingIfNeeded: crc >> (24 - 8 * $0)) }
            + [0x00, 0x00, 0x00, 0x0C, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00,
               0xC9, 0xFE, 0x92, 0xEF, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
    }

    func testAPNGHeaderOfMorePixelsThanTheLimitIsRefusedBeforeDecoding() {
        XCTAssertEqual(message(png(width: 1, height: 1), name: "red.png"), "1x1x4")
        XCTAssertEqual(message(png(width: 1, height: 1), name: "red.png", maxPixels: 0),
                       "red.png: not a valid PNG image (1 x 1 pixels, more than the 0 cnnb decodes)")
        // 10^10 pixels: 40 GB of RGBA asked of malloc for a 69-byte file.
        XCTAssertEqual(message(png(width: 100_000, height: 100_000), name: "big.png"),
                       "big.png: not a valid PNG image (100000 x 100000 pixels, more than the 134217728 cnnb decodes)")
    }

    /// A JPEG's frame header (SOF0 baseline, SOF2 progressive) set to 65,500 x 65,500: a
    /// progressive file's coefficients for the whole image (25 GB) were allocated at the start.
    func testAJPEGFrameOfMorePixelsThanTheLimitIsRefusedBeforeDecoding() throws {
        for (file, marker) in [("FuzzJPEG/baseline.jpg", UInt8(0xC0)), ("FuzzJPEG/progressive.jpg", UInt8(0xC2))] {
            var bytes = try seed(file)
            XCTAssertTrue(message(bytes, name: file).hasSuffix("x3"), message(bytes, name: file))
            let frame = try XCTUnwrap((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == marker }, file)
            // FF Cx, length (2), precision (1), height (2), width (2).
            bytes.replaceSubrange((frame + 5)..<(frame + 9), with: [0xFF, 0xDC, 0xFF, 0xDC])
            XCTAssertEqual(message(bytes, name: "big.jpg"),
                           "big.jpg: not a valid JPEG image (65500 x 65500 pixels, more than the 134217728 cnnb decodes)")
        }
    }

    /// Found by FuzzNpy: float64 data of shape (1537228672809129301,), in a 198-byte file. The
    /// count fits an Int but its bytes do not, and the message saying the file is too short
    /// multiplied them out and trapped.
    func testAShapeWhoseBytesOverflowIsReportedAsTruncated() throws {
        XCTAssertThrowsError(try Npy.decode(try seed("FuzzNpy/overflowing-byte-count.npy")[...], name: "big.npy")) { error in
            XCTAssertEqual((error as? InteropError)?.message,
                           "big.npy is truncated: shape (1537228672809129301,) needs more than 9223372036854775807 bytes of data, the file has 70")
        }
    }
}
