@testable import Interop
import Engine
import XCTest

final class NpyTests: XCTestCase {
    func testHeaderIsNumpysAndDataStartsOn64Bytes() throws {
        let bytes = Npy.encode(NumpyArray(shape: [2, 3], values: [0, 1, 2, 3, 4, 5]))
        // numpy.save(f, numpy.arange(6, dtype="<f4").reshape(2, 3)): 128 header bytes, then 24 of data.
        XCTAssertEqual(bytes.count, 128 + 24)
        XCTAssertEqual(Array(bytes[0..<10]), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 118, 0])
        let header = String(decoding: bytes[10..<128], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }   "), header)
        XCTAssertTrue(header.hasSuffix(" \n"))
        XCTAssertEqual(Array(bytes[128..<136]), [0, 0, 0, 0, 0, 0, 0x80, 0x3F], "0.0 and 1.0 little-endian")
        XCTAssertTrue(String(decoding: Npy.encode(NumpyArray(shape: [5], values: [1, 2, 3, 4, 5])), as: UTF8.self)
            .contains("'shape': (5,), }"))
        XCTAssertTrue(String(decoding: Npy.encode(NumpyArray(shape: [], values: [7])), as: UTF8.self).contains("'shape': (), }"))
        for shape in [[1], [3, 3, 3, 32], [1000, 10], [2, 1, 1, 1, 1, 1, 1]] {
            let array = NumpyArray(shape: shape, values: (0..<shape.reduce(1, *)).map { Float($0) * 0.5 - 3 })
            let encoded = Npy.encode(array)
            XCTAssertEqual((encoded.count - array.values.count * 4) % 64, 0, "\(shape)")
            XCTAssertEqual(try Npy.decode(encoded[...], name: "x"), array)
        }
    }

    func testRoundTripThroughAFileKeepsEveryBit() throws {
        let folder = try temporaryFolder("npy")
        let values: [Float] = [0, -0, 1e-38, .greatestFiniteMagnitude, -.infinity, 3.14159274, -2.5e-7]
        let array = NumpyArray(shape: [7, 1], values: values)
        try Npy.write(array, to: folder + "/a.npy")
        let back = try Npy.read(folder + "/a.npy")
        XCTAssertEqual(back.shape, [7, 1])
        XCTAssertEqual(back.values.map(\.bitPattern), values.map(\.bitPattern))
        let nan = try Npy.decode(Npy.encode(NumpyArray(shape: [1], values: [.nan]))[...], name: "n")
        XCTAssertTrue(nan.values[0].isNaN)
    }

    func testReadsFloat64AndBigEndianAndVersion2() throws {
        func file(version: UInt8, descr: String, shape: String, data: [UInt8]) -> [UInt8] {
            var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
            let prefix = version == 1 ? 10 : 12
            header += String(repeating: " ", count: (64 - (prefix + header.utf8.count + 1) % 64) % 64) + "\n"
            var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
            if version == 1 { bytes.appendLE16(UInt16(header.utf8.count)) } else { bytes.appendLE32(UInt32(header.utf8.count)) }
            return bytes + Array(header.utf8) + data
        }
        var doubles: [UInt8] = []
        for v in [1.5, -2.25] { doubles.appendLE64(Double(v).bitPattern) }
        XCTAssertEqual(try Npy.decode(file(version: 1, descr: "<f8", shape: "(2,)", data: doubles)[...], name: "d"),
                       NumpyArray(shape: [2], values: [1.5, -2.25]))
        let big = Float(6.5).bitPattern.bigEndian
        let bigBytes = withUnsafeBytes(of: big) { Array($0) }
        XCTAssertEqual(try Npy.decode(file(version: 2, descr: ">f4", shape: "(1, 1)", data: bigBytes)[...], name: "b"),
                       NumpyArray(shape: [1, 1], values: [6.5]))
    }

    func testMalformedFilesGiveClearErrors() throws {
        let good = Npy.encode(NumpyArray(shape: [4, 2], values: Array(repeating: 1, count: 8)))
        func error(_ bytes: [UInt8]) -> InteropError? {
            do { _ = try Npy.decode(bytes[...], name: "w.npy"); return nil } catch { return error }
        }
        // Truncated anywhere: never a crash, always an error.
        for cut in [0, 5, 9, 11, 60, 127, 128, 130, good.count - 1] {
            XCTAssertNotNil(error(Array(good.prefix(cut))), "cut at \(cut)")
        }
        let truncated = error(Array(good.prefix(good.count - 4)))
        XCTAssertEqual(truncated?.message, "w.npy is truncated: shape (4, 2) needs 32 bytes of data, the file has 28")
        XCTAssertEqual(truncated?.hint, "the file is incomplete; write it again")
        XCTAssertEqual(error(Array("PK\u{3}\u{4}hello world".utf8))?.message,
                       "w.npy is not a NumPy .npy array (it does not start with \\x93NUMPY)")
        XCTAssertEqual(error(good + [0, 0])?.message, "w.npy has 2 bytes after its data")

        func replacing(_ old: String, with new: String) -> [UInt8] {
            let text = String(decoding: good[10..<128], as: UTF8.self).replacingOccurrences(of: old, with: new)
            precondition(text.utf8.count == 118)
            return Array(good[0..<10]) + Array(text.utf8) + Array(good[128...])
        }
        let integers = error(replacing("'<f4'", with: "'<i4'"))
        XCTAssertEqual(integers?.message, "w.npy holds data of type '<i4'; cnnb reads float32 ('<f4') and float64 ('<f8')")
        XCTAssertEqual(integers?.hint, "save a.astype(numpy.float32)")
        XCTAssertEqual(error(replacing("False", with: "True "))?.message, "w.npy is stored in Fortran order")
        XCTAssertEqual(error(replacing("(4, 2)", with: "(4, x)"))?.message.hasPrefix("w.npy has a header NumPy would not write"), true)
        XCTAssertEqual(error(replacing("'shape'", with: "'shope'"))?.message, "w.npy's header lacks a valid 'shape'")
    }
}
