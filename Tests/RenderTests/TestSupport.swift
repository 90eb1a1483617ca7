import CCairo
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Render
import XCTest

/// A fresh folder per test, removed afterwards.
func makeTemporaryFolder(_ name: String) throws -> String {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("cnnb-render-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A decoded PNG: its size and opaque pixels as 0xRRGGBB.
struct DecodedPNG {
    let width: Int
    let height: Int
    let pixels: [UInt32]

    func pixel(_ x: Int, _ y: Int) -> UInt32 { pixels[y * width + x] }
}

/// Decodes with cairo itself, independently of the module's own reader.
func decodePNG(_ path: String) throws -> DecodedPNG {
    guard let surface = cairo_image_surface_create_from_png(path) else {
        throw XCTSkip("cairo returned no surface")
    }
    defer { cairo_surface_destroy(surface) }
    XCTAssertEqual(cairo_surface_status(surface), CAIRO_STATUS_SUCCESS, "\(path) does not decode as PNG")
    let width = Int(cairo_image_surface_get_width(surface))
    let height = Int(cairo_image_surface_get_height(surface))
    let stride = Int(cairo_image_surface_get_stride(surface))
    guard let data = cairo_image_surface_get_data(surface) else { return DecodedPNG(width: 0, height: 0, pixels: []) }
    var pixels: [UInt32] = []
    pixels.reserveCapacity(width * height)
    for y in 0..<height {
        for x in 0..<width {
            let word = UnsafeRawPointer(data + y * stride + 4 * x).loadUnaligned(as: UInt32.self)
            pixels.append(word & 0x00FF_FFFF)
        }
    }
    return DecodedPNG(width: width, height: height, pixels: pixels)
}

func rgbWord(_ colour: Colour) -> UInt32 {
    UInt32(colour.red) << 16 | UInt32(colour.green) << 8 | UInt32(colour.blue)
}

/// Collects element names, attributes and text of an SVG, failing the test when it is not XML.
final class SVGContents: NSObject, XMLParserDelegate {
    var elements: [String: Int] = [:]
    var texts: [String] = []
    var rootAttributes: [String: String] = [:]
    private var currentText: String?

    static func parse(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> SVGContents {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let parser = XMLParser(data: data)
        let contents = SVGContents()
        parser.delegate = contents
        let ok = parser.parse()
        XCTAssertTrue(ok, "\(path) is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "?")", file: file, line: line)
        return contents
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        if elements.isEmpty { rootAttributes = attributeDict }
        elements[elementName, default: 0] += 1
        if elementName == "text" { currentText = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        currentText? += string
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        if elementName == "text", let text = currentText {
            texts.append(text)
            currentText = nil
        }
    }
}

/// No temporary files (dot-names ending in .tmp) left in `folder`, recursively.
func assertNoTemporaryFiles(in folder: String, file: StaticString = #filePath, line: UInt = #line) {
    let names = (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String]) ?? []
    let leftovers = names.filter { $0.hasSuffix(".tmp") || ($0 as NSString).lastPathComponent.hasPrefix(".") }
    XCTAssertEqual(leftovers, [], "temporary files left behind", file: file, line: line)
}

