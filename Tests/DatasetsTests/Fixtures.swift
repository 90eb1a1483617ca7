import CZlib
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files and folders the tests make themselves.
enum Fixtures {
    /// A fresh empty folder under the system temporary folder.
    static func temporaryFolder(_ name: String = #function) throws -> String {
        let base = NSTemporaryDirectory() + "/cnnb-data-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let path = base + "/" + name.filter { $0.isLetter || $0.isNumber }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// CIFAR-10 records: a label byte then the R, G, B planes; pixel (plane c, position p) of
    /// record r is `(r * 7 + c * 50 + p) % 256`, so the layout conversion can be checked.
    static func cifarRecords(labels: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (r, label) in labels.enumerated() {
            bytes.append(label)
            for c in 0..<3 {
                for p in 0..<1024 { bytes.append(UInt8((r * 7 + c * 50 + p) % 256)) }
            }
        }
        return bytes
    }

    static let cifarClasses = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    /// A complete small `cifar-10-batches-bin` folder: `perFile` records in each of the six files.
    @discardableResult
    static func makeCIFARFolder(in root: String, perFile: Int = 3) throws -> String {
        let folder = root + "/cifar-10-batches-bin"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for b in 1...5 {
            let labels = (0..<perFile).map { UInt8(($0 + b) % 10) }
            try write(cifarRecords(labels: labels), to: folder + "/data_batch_\(b).bin")
        }
        try write(cifarRecords(labels: (0..<perFile).map { UInt8((9 - $0) % 10) }), to: folder + "/test_batch.bin")
        try cifarClasses.joined(separator: "\n").appending("\n\n")
            .write(toFile: folder + "/batches.meta.txt", atomically: true, encoding: .utf8)
        return folder
    }

    static func gzip(_ bytes: [UInt8], to path: String) throws {
        guard let file = gzopen(path, "wb") else { throw NSError(domain: "gzopen", code: 1) }
        let written = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
        gzclose(file)
        XCTAssertEqual(Int(written), bytes.count)
    }

    static func bigEndian(_ words: [UInt32]) -> [UInt8] {
        words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (24 - 8 * $0)) } }
    }

    static func idxImages(count: Int, magic: UInt32 = 2051, rows: UInt32 = 28, columns: UInt32 = 28) -> [UInt8] {
        bigEndian([magic, UInt32(count), rows, columns])
            + (0..<count * Int(rows * columns)).map { UInt8($0 % 251) }
    }

    static func idxLabels(_ labels: [UInt8], magic: UInt32 = 2049) -> [UInt8] {
        bigEndian([magic, UInt32(labels.count)]) + labels
    }

    /// A folder of the four MNIST-style gzip IDX files.
    @discardableResult
    static func makeIDXFolder(_ folder: String, train: Int = 5, test: Int = 3) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try gzip(idxImages(count: train), to: folder + "/train-images-idx3-ubyte.gz")
        try gzip(idxLabels((0..<train).map { UInt8($0 % 10) }), to: folder + "/train-labels-idx1-ubyte.gz")
        try gzip(idxImages(count: test), to: folder + "/t10k-images-idx3-ubyte.gz")
        try gzip(idxLabels((0..<test).map { UInt8(($0 + 3) % 10) }), to: folder + "/t10k-labels-idx1-ubyte.gz")
        return folder
    }

    /// A ustar archive of the given files (path inside the archive → bytes), folders first.
    static func tar(folders: [String], files: [(String, [UInt8])]) -> [UInt8] {
        func header(_ name: String, size: Int, type: UInt8) -> [UInt8] {
            var h = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, at offset: Int) { for (i, c) in text.utf8.enumerated() { h[offset + i] = c } }
            put(name, at: 0)
            put("0000644", at: 100)
            put("0000000", at: 108)
            put("0000000", at: 116)
            put(String(format: "%011o", size), at: 124)
            put("14000000000", at: 136)
            put("        ", at: 148)
            h[156] = type
            put("ustar", at: 257)
            put("00", at: 263)
            let sum = h.reduce(0) { $0 + Int($1) }
            put(String(format: "%06o", sum), at: 148)
            h[154] = 0
            return h
        }
        var archive: [UInt8] = []
        for folder in folders { archive += header(folder + "/", size: 0, type: UInt8(ascii: "5")) }
        for (name, bytes) in files {
            archive += header(name, size: bytes.count, type: UInt8(ascii: "0"))
            archive += bytes
            archive += [UInt8](repeating: 0, count: (512 - bytes.count % 512) % 512)
        }
        return archive + [UInt8](repeating: 0, count: 1024)
    }

    /// A small CIFAR-10 archive laid out like cifar-10-binary.tar.gz, gzip-compressed.
    static func cifarArchive(perFile: Int = 2) throws -> [UInt8] {
        var files: [(String, [UInt8])] = []
        for b in 1...5 {
            files.append(("cifar-10-batches-bin/data_batch_\(b).bin",
                          cifarRecords(labels: (0..<perFile).map { UInt8(($0 + b) % 10) })))
        }
        files.append(("cifar-10-batches-bin/test_batch.bin", cifarRecords(labels: (0..<perFile).map { UInt8($0 % 10) })))
        files.append(("cifar-10-batches-bin/batches.meta.txt", Array((cifarClasses.joined(separator: "\n") + "\n").utf8)))
        files.append(("cifar-10-batches-bin/readme.html", Array("<html></html>\n".utf8)))
        let tarBytes = tar(folders: ["cifar-10-batches-bin"], files: files)
        let path = try temporaryFolder() + "/archive.tar.gz"
        try gzip(tarBytes, to: path)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Entries of a folder, hidden ones included.
    static func contents(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }
}
