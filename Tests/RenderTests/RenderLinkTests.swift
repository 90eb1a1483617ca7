import CCairo
import XCTest

final class RenderLinkTests: XCTestCase {
    func testCairoVersionIsRecentEnoughForSVGOutput() {
        XCTAssertGreaterThanOrEqual(cairo_version(), 11400, "cairo 1.14 or later")
    }
}
