import Datasets
import Foundation
import XCTest

/// Where `load` looks, in order: the user's folder, $CNNB_DATA, the user cache, and for
/// Fashion-MNIST Debian's folder. Each candidate here holds a different number of records, so
/// the loaded counts tell which one was read.
final class SearchOrderTests: XCTestCase {
    func testExplicitThenCNNBDataThenCache() throws {
        let root = try Fixtures.temporaryFolder()
        try Fixtures.makeCIFARFolder(in: root + "/explicit", perFile: 1)
        try Fixtures.makeCIFARFolder(in: root + "/data", perFile: 2)
        try Fixtures.makeCIFARFolder(in: root + "/cache", perFile: 3)
        try Fixtures.makeCIFARFolder(in: root + "/home/.cache/cnnb/datasets", perFile: 4)
        try Fixtures.makeCIFARFolder(in: root + "/xdg/cnnb/datasets", perFile: 5)
        let everything = ["CNNB_DATA": root + "/data", "HOME": root + "/home"]

        func loaded(_ options: DataOptions) throws -> (train: Int, source: String) {
            let data = try DataLoader.load(.cifar10, options: options)
            return (data.train.count, data.source)
        }

        // 1. The user's folder wins over everything else.
        var options = DataOptions(directory: root + "/explicit", environment: everything,
                                  cacheDirectory: root + "/cache", allowDownload: false)
        XCTAssertEqual(try loaded(options).train, 5)
        XCTAssertEqual(try loaded(options).source, root + "/explicit/cifar-10-batches-bin")
        // …and when it lacks the data, nothing else is tried: the error names it.
        options.directory = root + "/explicit-missing"
        XCTAssertThrowsError(try loaded(options)) { error in
            XCTAssertTrue("\(error)".contains("CIFAR-10 folder \(root)/explicit-missing does not exist"), "\(error)")
        }

        // 2. Then $CNNB_DATA.
        options.directory = nil
        XCTAssertEqual(try loaded(options).train, 10)
        XCTAssertEqual(try loaded(options).source, root + "/data/cifar-10-batches-bin")

        // 3. Then the cache, when $CNNB_DATA lacks the dataset or is unset.
        options.environment["CNNB_DATA"] = root + "/empty"
        XCTAssertEqual(try loaded(options).train, 15)
        options.environment["CNNB_DATA"] = nil
        XCTAssertEqual(try loaded(options).source, root + "/cache/cifar-10-batches-bin")

        // The cache is ~/.cache/cnnb/datasets, or $XDG_CACHE_HOME/cnnb/datasets when set.
        options.cacheDirectory = nil
        XCTAssertEqual(try loaded(options).train, 20)
        XCTAssertEqual(try loaded(options).source, root + "/home/.cache/cnnb/datasets/cifar-10-batches-bin")
        options.environment["XDG_CACHE_HOME"] = root + "/xdg"
        XCTAssertEqual(try loaded(options).train, 25)
        XCTAssertEqual(DataLoader.searchFolders(.cifar10, options: options),
                       [root + "/xdg/cnnb/datasets/cifar-10-batches-bin"])
    }

    func testFashionMNISTCacheComesBeforeTheDebianFolder() throws {
        let root = try Fixtures.temporaryFolder()
        try Fixtures.makeIDXFolder(root + "/cache/fashion-mnist", train: 7, test: 2)
        let options = DataOptions(environment: ["CNNB_DATA": root + "/data"], cacheDirectory: root + "/cache",
                                  allowDownload: false)
        XCTAssertEqual(DataLoader.searchFolders(.fashionMNIST, options: options),
                       [root + "/data/fashion-mnist", root + "/cache/fashion-mnist", "/usr/share/datasets/fashion-mnist"])
        let data = try DataLoader.load(.fashionMNIST, options: options)
        XCTAssertEqual(data.source, root + "/cache/fashion-mnist")
        XCTAssertEqual(data.train.count, 7)
        XCTAssertEqual(data.name, "fashion_mnist")
        XCTAssertEqual(data.classNames.last, "Ankle boot")
        // MNIST has no system folder.
        XCTAssertEqual(DataLoader.searchFolders(.mnist, options: options), [root + "/data/mnist", root + "/cache/mnist"])
    }

    func testNothingAnywhereListsEveryFolderAndWhereToPutTheFiles() throws {
        let root = try Fixtures.temporaryFolder()
        let options = DataOptions(environment: ["CNNB_DATA": root + "/data"], cacheDirectory: root + "/cache",
                                  allowDownload: false)
        XCTAssertThrowsError(try DataLoader.load(.mnist, options: options)) { error in
            XCTAssertEqual("\(error)", """
                MNIST was not found in any of these folders:
                  - \(root)/data/mnist
                  - \(root)/cache/mnist
                and downloading is turned off
                  hint: put the MNIST files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, \
                t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) in a folder named mnist under $CNNB_DATA \
                or \(root)/cache, or give the folder with `load mnist from "DIR"`
                """)
        }
    }
}
