import Datasets
import Foundation
import TestSupport
import XCTest

final class IDXTests: XCTestCase {
    func testMNIST() throws {
        guard let root = ProcessInfo.processInfo.environment["CNNB_DATA"], !root.isEmpty else {
            throw MissingTool.error("CNNB_DATA is not set; run with CNNB_DATA=/path/to/datasets to test the real files")
        }
        guard FileManager.default.fileExists(atPath: root + "/mnist") else { throw MissingTool.error("\(root)/mnist is absent") }
        let data = try DataLoader.load(.mnist, options: DataOptions(allowDownload: false))
        XCTAssertEqual(data.source, root + "/mnist")
        XCTAssertEqual(data.train.shape, [60000, 28, 28, 1])
        XCTAssertEqual(data.test.shape, [10000, 28, 28, 1])
        XCTAssertEqual(data.train.label(at: 0), 5)
        XCTAssertEqual(Array(data.test.labels.prefix(3)), [7, 2, 1])
        XCTAssertEqual(data.classNames, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
    }

    func testFashionMNISTFromDebian() throws {
        let folder = "/usr/share/datasets/fashion-mnist"
        guard FileManager.default.fileExists(atPath: folder + "/t10k-images-idx3-ubyte.gz") else {
            throw MissingTool.error("\(folder) is absent (Debian package dataset-fashion-mnist)")
        }
        let data = try DataLoader.load(.fashionMNIST, options: DataOptions(environment: [:], cacheDirectory: "/nonexistent",
                                                                           allowDownload: false))
        XCTAssertEqual(data.source, folder)
        XCTAssertEqual(data.train.shape, [60000, 28, 28, 1])
        XCTAssertEqual(data.test.shape, [10000, 28, 28, 1])
        XCTAssertEqual(data.train.label(at: 0), 9)
        XCTAssertEqual(data.train.className(at: 0), "Ankle boot")
        XCTAssertEqual(data.train.classCounts, [Int](repeating: 6000, count: 10))
        XCTAssertEqual(data.classNames, ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"])
    }

    func testSmallFolderReadsImagesAndLabels() throws {
        let folder = try Fixtures.makeIDXFolder(Fixtures.temporaryFolder() + "/mnist", train: 5, test: 3)
        let data = try IDXDataset.mnist.load(directory: folder)
        XCTAssertEqual(data.train.shape, [5, 28, 28, 1])
        XCTAssertEqual(data.train.labels, [0, 1, 2, 3, 4])
        XCTAssertEqual(data.test.labels, [3, 4, 5])
        // Pixel k of the file (after the header) is k % 251.
        XCTAssertEqual(Int(data.train.pixels(at: 2)[10]), (2 * 784 + 10) % 251)
    }

    func testWrongMagicIsAnError() throws {
        let folder = try Fixtures.makeIDXFolder(Fixtures.temporaryFolder() + "/mnist")
        try Fixtures.gzip(Fixtures.idxImages(count: 5, magic: 2049), to: folder + "/train-images-idx3-ubyte.gz")
        XCTAssertThrowsError(try IDXDataset.mnist.load(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("\(folder)/train-images-idx3-ubyte.gz is not an IDX image file: its magic number is 2049, images have 2051"), "\(error)")
        }
        try Fixtures.makeIDXFolder(folder)
        try Fixtures.gzip(Fixtures.idxLabels([1, 2, 3], magic: 2051), to: folder + "/t10k-labels-idx1-ubyte.gz")
        XCTAssertThrowsError(try IDXDataset.mnist.load(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("\(folder)/t10k-labels-idx1-ubyte.gz is not an IDX label file: its magic number is 2051, labels have 2049"), "\(error)")
        }
    }

    func testLabelOverNineIsAnErrorNamingTheFile() throws {
        let folder = try Fixtures.makeIDXFolder(Fixtures.temporaryFolder() + "/mnist")
        try Fixtures.gzip(Fixtures.idxLabels([1, 2, 12]), to: folder + "/t10k-labels-idx1-ubyte.gz")
        XCTAssertThrowsError(try IDXDataset.mnist.load(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("\(folder)/t10k-labels-idx1-ubyte.gz: label 2 is 12; mnist labels are 0 to 9"), "\(error)")
        }
    }

    func testWrongDimensionsAreAnError() throws {
        let folder = try Fixtures.makeIDXFolder(Fixtures.temporaryFolder() + "/mnist")
        try Fixtures.gzip(Fixtures.idxImages(count: 3, rows: 32, columns: 32), to: folder + "/t10k-images-idx3-ubyte.gz")
        XCTAssertThrowsError(try IDXDataset.mnist.load(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("t10k-images-idx3-ubyte.gz holds 32x32 images; mnist images are 28x28"), "\(error)")
        }
    }

    func testCountMismatchIsAnError() throws {
        let folder = try Fixtures.makeIDXFolder(Fixtures.temporaryFolder() + "/fashion-mnist")
        try Fixtures.gzip(Fixtures.idxLabels([1, 2, 3, 4]), to: folder + "/train-labels-idx1-ubyte.gz")
        XCTAssertThrowsError(try IDXDataset.fashionMNIST.load(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("fashion_mnist train files disagree: \(folder)/train-images-idx3-ubyte.gz holds 5 images but train-labels-idx1-ubyte.gz holds 4 labels"), "\(error)")
        }
    }

    func testTruncatedGzipIsAnError() throws {
        let folder = try Fixtures.makeIDXFolder(Fixtures.temporaryFolder() + "/mnist", train: 50)
        let path = folder + "/train-images-idx3-ubyte.gz"
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try IDXDataset.mnist.load(directory: folder)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(path), message)
            XCTAssertTrue(message.contains("truncated"), message)
        }
    }

    func testTruncatedContentIsAnError() throws {
        let folder = try Fixtures.makeIDXFolder(Fixtures.temporaryFolder() + "/mnist")
        // A complete gzip stream whose header promises 5 images but holds 4.
        try Fixtures.gzip(Array(Fixtures.idxImages(count: 5).dropLast(784)), to: folder + "/train-images-idx3-ubyte.gz")
        XCTAssertThrowsError(try IDXDataset.mnist.load(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("train-images-idx3-ubyte.gz is truncated: it ends after 3136 of the 3920 bytes of 5 images"), "\(error)")
        }
    }

    func testMissingFileIsAnError() throws {
        let folder = try Fixtures.makeIDXFolder(Fixtures.temporaryFolder() + "/mnist")
        try FileManager.default.removeItem(atPath: folder + "/t10k-labels-idx1-ubyte.gz")
        XCTAssertThrowsError(try IDXDataset.mnist.load(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("mnist file t10k-labels-idx1-ubyte.gz is missing from \(folder)"), "\(error)")
        }
    }
}
