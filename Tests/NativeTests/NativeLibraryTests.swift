import CBLAS
import CCairo
import CReadline
import CZlib
import Foundation
import TestSupport
import XCTest

/// One real use of each native library, so a missing or broken system package fails here first.
final class NativeLibraryTests: XCTestCase {
    func testSgemmMultipliesThreeByTwoByTwoByFour() {
        let a: [Float] = [1, 2,
                          3, 4,
                          5, 6]
        let b: [Float] = [1, 0, -1, 2,
                          0, 1, 3, 1]
        var c = [Float](repeating: -7, count: 12)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 3, 4, 2, 1, a, 2, b, 4, 0, &c, 4)
        XCTAssertEqual(c, [1, 2, 5, 4,
                           3, 4, 9, 10,
                           5, 6, 13, 16])
    }

    func testCairoDrawsAPictureThatDecodesBack() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("cnnb-cairo-\(getpid()).png").path
        defer { try? FileManager.default.removeItem(atPath: path) }

        let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 40, 30)!
        let cr = cairo_create(surface)!
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_paint(cr)
        cairo_set_source_rgb(cr, 1, 0, 0)
        cairo_rectangle(cr, 10, 5, 20, 10)
        cairo_fill(cr)
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, 10)
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, "cat", &extents)
        XCTAssertGreaterThan(extents.width, 5, "cairo found no font to measure text with")
        cairo_destroy(cr)
        XCTAssertEqual(cairo_surface_write_to_png(surface, path), CAIRO_STATUS_SUCCESS)
        cairo_surface_destroy(surface)

        let decoded = cairo_image_surface_create_from_png(path)!
        defer { cairo_surface_destroy(decoded) }
        XCTAssertEqual(cairo_surface_status(decoded), CAIRO_STATUS_SUCCESS)
        XCTAssertEqual(cairo_image_surface_get_width(decoded), 40)
        XCTAssertEqual(cairo_image_surface_get_height(decoded), 30)
        let stride = Int(cairo_image_surface_get_stride(decoded))
        let data = cairo_image_surface_get_data(decoded)!
        func pixel(_ x: Int, _ y: Int) -> UInt32 {
            UnsafeRawPointer(data + y * stride + x * 4).loadUnaligned(as: UInt32.self)
        }
        XCTAssertEqual(pixel(15, 10), 0xFFFF_0000, "inside the rectangle: opaque red")
        XCTAssertEqual(pixel(2, 2), 0xFFFF_FFFF, "outside: opaque white")
    }

    func testZlibInflatesAGzipFileItWrote() throws {
        let original = Array("the quick brown fox jumps over the lazy dog\n".utf8) + (0..<1000).map { UInt8($0 % 251) }
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("cnnb-zlib-\(getpid()).gz").path
        defer { try? FileManager.default.removeItem(atPath: path) }

        let writer = gzopen(path, "wb")
        XCTAssertNotNil(writer)
        XCTAssertEqual(gzwrite(writer, original, UInt32(original.count)), Int32(original.count))
        XCTAssertEqual(gzclose(writer), Z_OK)

        let compressed = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(Array(compressed.prefix(2)), [0x1F, 0x8B], "gzip magic")

        var stream = z_stream()
        XCTAssertEqual(inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)), Z_OK)
        var output = [UInt8](repeating: 0, count: original.count + 16)
        let status: Int32 = compressed.withUnsafeBytes { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: UInt8.self).baseAddress)
                stream.avail_in = UInt32(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        XCTAssertEqual(status, Z_STREAM_END)
        XCTAssertEqual(Int(stream.total_out), original.count)
        inflateEnd(&stream)
        XCTAssertEqual(Array(output.prefix(original.count)), original)
    }

    func testReadlineReportsItsVersion() {
        let version = String(cString: rl_library_version)
        XCTAssertTrue(version.range(of: #"^\d+\.\d+"#, options: .regularExpression) != nil,
                      "unexpected readline version \(version)")
        XCTAssertGreaterThanOrEqual(rl_readline_version, 0x0600)
    }

    func testFirstCIFARTestRecordIsACat() throws {
        guard let root = ProcessInfo.processInfo.environment["CNNB_DATA"] else {
            throw MissingTool.error("CNNB_DATA is not set; the CIFAR-10 record test needs $CNNB_DATA/cifar-10-batches-bin")
        }
        let path = root + "/cifar-10-batches-bin/test_batch.bin"
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw MissingTool.error("\(path) is absent")
        }
        defer { try? handle.close() }
        let record = try XCTUnwrap(try handle.read(upToCount: 3073))
        XCTAssertEqual(record.count, 3073)
        XCTAssertEqual(record[0], 3, "label byte of the first test record")
        let names = try String(contentsOfFile: root + "/cifar-10-batches-bin/batches.meta.txt", encoding: .utf8)
            .split(whereSeparator: \.isNewline).map(String.init)
        XCTAssertEqual(names[Int(record[0])], "cat")
    }
}
