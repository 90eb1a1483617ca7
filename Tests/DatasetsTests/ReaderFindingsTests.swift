@testable import Datasets
import Foundation
import XCTest

/// What coverage-guided fuzzing found in the data readers, each kept as a case: a header's
/// count or size is a claim checked against the bytes that are there, never trusted for an
/// allocation or for arithmetic that can overflow.
final class ReaderFindingsTests: XCTestCase {
    func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return "no error"
        } catch let error as DataError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    // MARK: IDX

    func testAnIDXCountIsCheckedAgainstTheBytes() throws {
        // A 9-byte label file asking for 3.25e9 labels, an image header asking for 3.4 TB.
        let labels = Fixtures.bigEndian([2049, 3_250_000_000]) + [7]
        XCTAssertEqual(message { try IDXDataset.mnist.labels(fromBytes: labels, name: "l.idx") },
                       "l.idx is truncated or damaged: its header claims 3250000000 labels (3250000000 bytes), more than the file can hold")
        let images = Fixtures.bigEndian([2051, 0xFFFF_FFFF, 28, 28]) + [UInt8](repeating: 1, count: 1000)
        XCTAssertEqual(message { try IDXDataset.mnist.images(fromBytes: images, name: "i.idx") },
                       "i.idx is truncated or damaged: its header claims 4294967295 images (3367254359280 bytes), more than the file can hold")
        // The same through a gzip file on disk, as `load mnist` reads it: a gzip file of n bytes
        // inflates to at most 1,032·n.
        let folder = try Fixtures.makeIDXFolder(Fixtures.temporaryFolder() + "/mnist")
        try Fixtures.gzip(labels, to: folder + "/train-labels-idx1-ubyte.gz")
        XCTAssertEqual(message { try IDXDataset.mnist.load(directory: folder) },
                       "\(folder)/train-labels-idx1-ubyte.gz is truncated or damaged: its header claims 3250000000 labels (3250000000 bytes), more than the file can hold")
        // A claim the file could hold, but does not.
        let gzipped = try gzipBytes(Fixtures.bigEndian([2049, 100]) + [1, 2, 3])
        XCTAssertEqual(message { try IDXDataset.mnist.labels(fromBytes: gzipped, name: "l.gz") },
                       "l.gz is truncated: it ends after 3 of the 100 bytes of 100 labels")
    }

    func testIDXBytesReadAsTheFilesAre() throws {
        let gzipped = try gzipBytes(Fixtures.idxLabels([3, 1, 4, 1, 5]))
        let (labels, count) = try IDXDataset.mnist.labels(fromBytes: gzipped, name: "l.gz")
        XCTAssertEqual(count, 5)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: labels.pointer, count: count)), [3, 1, 4, 1, 5])
        let (pixels, images) = try IDXDataset.mnist.images(fromBytes: Fixtures.idxImages(count: 2), name: "i.idx")
        XCTAssertEqual(images, 2)
        XCTAssertEqual(pixels.count, 2 * 784)
        XCTAssertEqual(pixels.pointer[800], UInt8(800 % 251))
        XCTAssertEqual(message { try IDXDataset.mnist.labels(fromBytes: Array(gzipped.dropLast(8)), name: "l.gz") },
                       "l.gz is truncated gzip data")
    }

    // MARK: CIFAR-10

    func testCIFARBytesReadAsTheFilesAre() throws {
        let split = try CIFAR10.split(fromBytes: Fixtures.cifarRecords(labels: [4, 9]), name: "b.bin", classNames: Fixtures.cifarClasses)
        XCTAssertEqual(split.shape, [2, 32, 32, 3])
        XCTAssertEqual(split.labels, [4, 9])
        XCTAssertEqual(message { try CIFAR10.split(fromBytes: [1, 2, 3], name: "b.bin", classNames: []) },
                       "CIFAR-10 file b.bin has 3 bytes, which is not a whole number of 3073-byte records (1 label byte + 3,072 pixel bytes)")
        XCTAssertTrue(message { try CIFAR10.split(fromBytes: Fixtures.cifarRecords(labels: [1, 10]), name: "b.bin", classNames: []) }
            .hasPrefix("CIFAR-10 file b.bin: record 1 has label 10; labels are 0 to 9"))
    }

    // MARK: tar

    /// A header with a valid checksum: `size` is the 12-byte size field as given.
    func header(_ name: String, type: Character = "0", size: [UInt8], magic: [UInt8] = Array("ustar\u{0}00".utf8)) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        h.replaceSubrange(0..<name.utf8.count, with: name.utf8)
        h.replaceSubrange(100..<108, with: "0000644\u{0}".utf8)
        h.replaceSubrange(124..<136, with: size)
        h[156] = type.asciiValue!
        h.replaceSubrange(257..<(257 + magic.count), with: magic)
        h.replaceSubrange(148..<156, with: [UInt8](repeating: 32, count: 8))
        let sum = h.reduce(0) { $0 + Int($1) }
        h.replaceSubrange(148..<155, with: String(format: "%06o\u{0}", sum).utf8)
        return h
    }

    func octal(_ n: Int) -> [UInt8] { Array(String(format: "%011o\u{0}", n).utf8) }

    func testBase256SizesThatAreNegativeOrTooLargeAreRefused() throws {
        let negative = [0xFF] + [UInt8](repeating: 0xFF, count: 11)           // -1
        let huge = [0x80] + [UInt8](repeating: 0xFF, count: 11)               // 2^88 - 1
        let overflowing = [0x80, 0, 0, 0] + [0x7F] + [UInt8](repeating: 0xFF, count: 7)  // Int.max
        let bad = "is not a valid tar archive (bad number in a header)"
        let tooLarge = "is not a valid tar archive (a size in a header is larger than any file)"
        for (size, type, expected) in [(negative, "0", bad), (negative, "L", bad), (huge, "0", tooLarge),
                                       (overflowing, "0", tooLarge), (overflowing, "L", tooLarge)] as [([UInt8], Character, String)] {
            let archive = header("a/b.bin", type: type, size: size) + [UInt8](repeating: 0, count: 1024)
            XCTAssertEqual(message { try TarArchive.entries(fromBytes: archive, name: "t.tar") }, "t.tar " + expected, "\(size) \(type)")
        }
        // A base-256 size that fits is read as its value.
        let five = [0x80] + [UInt8](repeating: 0, count: 10) + [5]
        let archive = header("a/five", size: five) + [1, 2, 3, 4, 5] + [UInt8](repeating: 0, count: 507 + 1024)
        XCTAssertEqual(try TarArchive.entries(fromBytes: archive, name: "t.tar"),
                       [TarArchive.Entry(path: "a/five", type: UInt8(ascii: "0"), size: 5)])
        // An empty long-name entry, then the entry it names.
        let empty = header("././@LongLink", type: "L", size: octal(0)) + header("a/x", size: octal(0)) + [UInt8](repeating: 0, count: 1024)
        XCTAssertEqual(try TarArchive.entries(fromBytes: empty, name: "t.tar").map(\.path), ["a/x"])
    }

    func testOnlyThePOSIXMagicHasAPrefixField() throws {
        // Old GNU headers keep times where POSIX keeps the prefix.
        var gnu = header("cifar-10-batches-bin/test_batch.bin", size: octal(0), magic: Array("ustar  \u{0}".utf8))
        gnu.replaceSubrange(345..<357, with: "15302023355\u{0}".utf8)
        gnu.replaceSubrange(148..<156, with: [UInt8](repeating: 32, count: 8))
        gnu.replaceSubrange(148..<155, with: String(format: "%06o\u{0}", gnu.reduce(0) { $0 + Int($1) }).utf8)
        var posix = header("test_batch.bin", size: octal(0))
        posix.replaceSubrange(345..<365, with: "cifar-10-batches-bin".utf8)
        posix.replaceSubrange(148..<156, with: [UInt8](repeating: 32, count: 8))
        posix.replaceSubrange(148..<155, with: String(format: "%06o\u{0}", posix.reduce(0) { $0 + Int($1) }).utf8)
        XCTAssertEqual(try TarArchive.entries(fromBytes: gnu + posix + [UInt8](repeating: 0, count: 1024), name: "t.tar").map(\.path),
                       ["cifar-10-batches-bin/test_batch.bin", "cifar-10-batches-bin/test_batch.bin"])
    }

    /// Archives GNU tar writes in each of its formats, with a name too long for a plain header,
    /// unpack to the same files (also with -G, which fills old GNU headers' time fields).
    func testArchivesGNUTarWritesInEachFormat() throws {
        let root = try Fixtures.temporaryFolder()
        let source = root + "/source"
        let deep = "cifar-10-batches-bin/" + String(repeating: "long-folder-name/", count: 6) + "test_batch.bin"
        let files = [("cifar-10-batches-bin/batches.meta.txt", Array("airplane\nautomobile\n".utf8)),
                     ("cifar-10-batches-bin/data_batch_1.bin", Fixtures.cifarRecords(labels: [1, 2])),
                     (deep, Array("deep".utf8))]
        for (name, bytes) in files {
            try FileManager.default.createDirectory(atPath: ((source + "/" + name) as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Fixtures.write(bytes, to: source + "/" + name)
        }
        for (format, extra) in [("gnu", []), ("oldgnu", []), ("ustar", []), ("posix", []), ("gnu", ["-G"]), ("oldgnu", ["-G"])] {
            let archive = root + "/\(format)\(extra.joined()).tar.gz"
            let tar = Process()
            tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            tar.arguments = ["tar", "--format=\(format)"] + extra + ["-czf", archive, "-C", source, "cifar-10-batches-bin"]
            tar.standardError = FileHandle.nullDevice
            try tar.run()
            tar.waitUntilExit()
            XCTAssertEqual(tar.terminationStatus, 0, format)
            let entries = try TarArchive.entries(fromBytes: Array(Data(contentsOf: URL(fileURLWithPath: archive))), name: archive)
            XCTAssertEqual(Set(entries.filter { $0.type == UInt8(ascii: "0") }.map(\.path)), Set(files.map(\.0)), "\(format) \(extra)")
            let destination = root + "/unpacked-\(format)\(extra.joined())"
            try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
            try TarArchive.extractGzip(archive, into: destination)
            for (name, bytes) in files {
                XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: destination + "/" + name))), bytes, "\(format) \(extra) \(name)")
            }
            XCTAssertEqual(Fixtures.contents(destination), ["cifar-10-batches-bin"], "\(format) \(extra)")
        }
    }

    private func gzipBytes(_ bytes: [UInt8]) throws -> [UInt8] {
        let path = try Fixtures.temporaryFolder() + "/x.gz"
        try Fixtures.gzip(bytes, to: path)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
