import Datasets
import XCTest

final class DataErrorTests: XCTestCase {
    func testDescriptionCarriesTheHint() {
        let error = DataError("data_batch_1.bin: 100 bytes is not a multiple of 3,073", hint: "re-download the file")
        XCTAssertEqual(error.description, "data_batch_1.bin: 100 bytes is not a multiple of 3,073\n  hint: re-download the file")
    }
}
