import Language
import XCTest

final class VersionTests: XCTestCase {
    func testVersionIsSemantic() {
        XCTAssertNotNil(CNNBVersion.string.range(of: #"^\d+\.\d+\.\d+$"#, options: .regularExpression))
    }
}
