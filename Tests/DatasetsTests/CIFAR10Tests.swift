import Datasets
import Foundation
import TestSupport
import XCTest

final class CIFAR10Tests: XCTestCase {
    private func sharedData(_ folder: String) throws -> String {
        guard let root = ProcessInfo.processInfo.environment["CNNB_DATA"], !root.isEmpty else {
            throw MissingTool.error("CNNB_DATA is not set; run with CNNB_DATA=/path/to/datasets to test the real files")
        }
        let path = root + "/" + folder
        guard FileManager.default.fileExists(atPath: path) else { throw MissingTool.error("\(path) is absent") }
        return path
    }

    func testFullCIFAR10() throws {
        let data = try CIFAR10.load(directory: sharedData("cifar-10-batches-bin"))
        XCTAssertEqual(data.train.shape, [50000, 32, 32, 3])
        XCTAssertEqual(data.test.shape, [10000, 32, 32, 3])
        XCTAssertEqual(data.train.labelsShape, [50000, 1], "Keras gives CIFAR-10 labels as a column")
        XCTAssertEqual(Array(data.test.labels.prefix(5)), [3, 8, 8, 0, 6])
        XCTAssertEqual(data.classNames, ["airplane", "automobile", "bird", "cat", "deer",
                                         "dog", "frog", "horse", "ship", "truck"])
        // The names are the lines of the folder's batches.meta.txt.
        let meta = try String(contentsOfFile: sharedData("cifar-10-batches-bin") + "/batches.meta.txt", encoding: .utf8)
        XCTAssertEqual(data.classNames, meta.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty })
        XCTAssertEqual(data.train.classCounts, [Int](repeating: 5000, count: 10))
        XCTAssertEqual(data.test.classCounts, [Int](repeating: 1000, count: 10))
    }

    func testExactSubset() throws {
        let folder = try sharedData("cifar-10-exact-subset")
        let data = try CIFAR10.load(directory: folder)
        XCTAssertEqual(data.train.count, 8068)
        XCTAssertEqual(data.test.count, 1017)
        XCTAssertEqual(data.train.classCounts, [810, 777, 808, 783, 856, 782, 808, 799, 835, 810])
        XCTAssertEqual(data.test.classCounts, [105, 93, 100, 104, 92, 87, 114, 102, 110, 110])
        XCTAssertEqual(Array(data.test.labels.prefix(5)), [3, 8, 8, 0, 6])
        // The first test image's pixel (row 0, column 1) in NHWC equals the bytes at offsets
        // 1, 1025 and 2049 of its planes in the file.
        let raw = try Data(contentsOf: URL(fileURLWithPath: folder + "/test_batch.bin"))
        let pixels = data.test.pixels(at: 0)
        XCTAssertEqual([pixels[3], pixels[4], pixels[5]], [raw[1 + 1], raw[1 + 1025], raw[1 + 2049]])
    }

    func testLoadFindsTheFolderThroughCNNBData() throws {
        let root = try sharedData("cifar-10-exact-subset")
        let data = try DataLoader.load(.cifar10, options: DataOptions(directory: root, allowDownload: false))
        XCTAssertEqual(data.train.count, 8068)
        XCTAssertEqual(data.source, root)
    }

    func testLayoutConversionAndRecordCounts() throws {
        let root = try Fixtures.temporaryFolder()
        let folder = try Fixtures.makeCIFARFolder(in: root, perFile: 3)
        let data = try CIFAR10.load(directory: folder)
        XCTAssertEqual(data.train.shape, [15, 32, 32, 3])
        XCTAssertEqual(data.test.shape, [3, 32, 32, 3])
        XCTAssertEqual(data.train.labels, [1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 6, 5, 6, 7])
        XCTAssertEqual(data.test.labels, [9, 8, 7])
        // Image 4 is record 1 of data_batch_2: pixel (y, x, c) = (1 * 7 + c * 50 + y * 32 + x) % 256.
        let image = data.train.pixels(at: 4)
        for (y, x, c) in [(0, 0, 0), (0, 1, 2), (5, 7, 1), (31, 31, 2)] {
            XCTAssertEqual(Int(image[(y * 32 + x) * 3 + c]), (7 + c * 50 + y * 32 + x) % 256, "pixel \(y),\(x),\(c)")
        }
        // The explicit folder may be the dataset's folder or a root holding it.
        XCTAssertEqual(try DataLoader.load(.cifar10, options: DataOptions(directory: root, environment: [:])).source, folder)
        XCTAssertEqual(try DataLoader.load(.cifar10, options: DataOptions(directory: folder, environment: [:])).source, folder)
        // $CNNB_DATA is searched before the cache.
        let found = try DataLoader.load(.cifar10, options: DataOptions(environment: ["CNNB_DATA": root],
                                                                       cacheDirectory: root + "/nocache"))
        XCTAssertEqual(found.source, root + "/cifar-10-batches-bin")
    }

    func testClassNamesComeFromTheMetaFile() throws {
        let folder = try Fixtures.makeCIFARFolder(in: Fixtures.temporaryFolder(), perFile: 2)
        let names = (0..<10).map { "kind \($0)" }
        try (names.joined(separator: "\r\n") + "\r\n").write(toFile: folder + "/batches.meta.txt", atomically: true, encoding: .utf8)
        let data = try CIFAR10.load(directory: folder)
        XCTAssertEqual(data.classNames, names)
        XCTAssertEqual(data.test.className(at: 0), "kind 9")

        try "airplane\nautomobile\nbird\n".write(toFile: folder + "/batches.meta.txt", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CIFAR10.load(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("\(folder)/batches.meta.txt names 3 classes; CIFAR-10 has 10"), "\(error)")
        }
    }

    func testShorterFilesLoadAndCountsComeFromSizes() throws {
        let folder = try Fixtures.makeCIFARFolder(in: Fixtures.temporaryFolder(), perFile: 2)
        try Fixtures.write(Fixtures.cifarRecords(labels: [4, 4, 4, 4, 4, 4, 4]), to: folder + "/data_batch_2.bin")
        try Fixtures.write(Fixtures.cifarRecords(labels: [0]), to: folder + "/test_batch.bin")
        let data = try CIFAR10.load(directory: folder)
        XCTAssertEqual(data.train.count, 2 + 7 + 2 + 2 + 2)
        XCTAssertEqual(Array(data.train.labels[2..<9]), [4, 4, 4, 4, 4, 4, 4])
        XCTAssertEqual(data.test.labels, [0])
    }

    func testEmptyFileIsAnErrorNamingIt() throws {
        let folder = try Fixtures.makeCIFARFolder(in: Fixtures.temporaryFolder(), perFile: 2)
        try Fixtures.write([], to: folder + "/data_batch_5.bin")
        XCTAssertThrowsError(try CIFAR10.load(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("CIFAR-10 file \(folder)/data_batch_5.bin has 0 bytes"), "\(error)")
        }
    }

    func testTruncatedFileIsAnErrorNamingIt() throws {
        let folder = try Fixtures.makeCIFARFolder(in: Fixtures.temporaryFolder(), perFile: 3)
        try Fixtures.write(Fixtures.cifarRecords(labels: [1, 2]).dropLast(100).map { $0 }, to: folder + "/data_batch_3.bin")
        XCTAssertThrowsError(try CIFAR10.load(directory: folder)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(folder + "/data_batch_3.bin"), message)
            XCTAssertTrue(message.contains("has 6046 bytes, which is not a whole number of 3073-byte records"), message)
            XCTAssertTrue(message.contains("1 records and 2973 extra bytes"), message)
        }
    }

    func testBadLabelIsAnErrorNamingFileAndRecord() throws {
        let folder = try Fixtures.makeCIFARFolder(in: Fixtures.temporaryFolder(), perFile: 3)
        try Fixtures.write(Fixtures.cifarRecords(labels: [1, 2, 10, 3]), to: folder + "/test_batch.bin")
        XCTAssertThrowsError(try CIFAR10.load(directory: folder)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(folder + "/test_batch.bin: record 2 has label 10; labels are 0 to 9"), message)
        }
    }

    func testMissingFileIsAnErrorNamingIt() throws {
        let folder = try Fixtures.makeCIFARFolder(in: Fixtures.temporaryFolder(), perFile: 3)
        try FileManager.default.removeItem(atPath: folder + "/data_batch_4.bin")
        XCTAssertThrowsError(try CIFAR10.load(directory: folder)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("CIFAR-10 file data_batch_4.bin is missing from \(folder)"), message)
        }
        try FileManager.default.removeItem(atPath: folder + "/batches.meta.txt")
        XCTAssertThrowsError(try CIFAR10.load(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("CIFAR-10 file batches.meta.txt is missing from \(folder)"), "\(error)")
        }
    }

    func testMissingFolderListsWhatWasSearched() throws {
        let root = try Fixtures.temporaryFolder()
        XCTAssertThrowsError(try DataLoader.load(.cifar10, options: DataOptions(directory: root + "/nowhere"))) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("CIFAR-10 folder \(root)/nowhere does not exist"), message)
            XCTAssertTrue(message.contains("\(root)/nowhere/cifar-10-batches-bin"), message)
        }
        let options = DataOptions(environment: ["CNNB_DATA": root + "/data", "HOME": root + "/home"], allowDownload: false)
        XCTAssertThrowsError(try DataLoader.load(.cifar10, options: options)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("CIFAR-10 was not found in any of these folders:\n  - \(root)/data/cifar-10-batches-bin\n  - \(root)/home/.cache/cnnb/datasets/cifar-10-batches-bin"), message)
            XCTAssertTrue(message.contains("downloading is turned off"), message)
            XCTAssertTrue(message.contains("in a folder named cifar-10-batches-bin under $CNNB_DATA or \(root)/home/.cache/cnnb/datasets"), message)
        }
    }
}
