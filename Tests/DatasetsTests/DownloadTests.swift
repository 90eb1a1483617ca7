import Datasets
import Foundation
import TestSupport
import XCTest

final class DownloadTests: XCTestCase {
    /// Options that never see the real network or the user's cache: an empty environment,
    /// a temporary cache and the local server as the source.
    private func options(cache: String, server: LocalHTTPServer, md5: String,
                         progress: DownloadProgress? = nil) -> DataOptions {
        DataOptions(environment: ["HOME": cache + "/home"], cacheDirectory: cache,
                    source: DownloadSource(baseURL: server.baseURL + "/files",
                                           files: [("cifar-10-binary.tar.gz", md5)], isArchive: true),
                    progress: progress)
    }

    func testDownloadVerifiesUnpacksAndLoadsOnce() throws {
        let archive = try Fixtures.cifarArchive(perFile: 2)
        let server = try LocalHTTPServer(files: ["/files/cifar-10-binary.tar.gz": archive])
        defer { server.stop() }
        let cache = try Fixtures.temporaryFolder() + "/cache"
        let reports = ProgressLog()
        let opts = options(cache: cache, server: server, md5: Checksum.md5(archive),
                           progress: { file, received, total in reports.add(file, received, total) })

        let data = try DataLoader.load(.cifar10, options: opts)
        XCTAssertEqual(data.train.shape, [10, 32, 32, 3])
        XCTAssertEqual(data.test.shape, [2, 32, 32, 3])
        XCTAssertEqual(data.classNames.last, "truck")
        XCTAssertEqual(data.source, cache + "/cifar-10-batches-bin")
        XCTAssertEqual(Fixtures.contents(cache), ["cifar-10-batches-bin"], "only the finished folder stays")
        XCTAssertEqual(Fixtures.contents(cache + "/cifar-10-batches-bin"),
                       [".cnnb-md5", "batches.meta.txt", "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                        "data_batch_4.bin", "data_batch_5.bin", "readme.html", "test_batch.bin"])
        // The archive matched its published MD5, so its files are vouched for; one changed
        // afterwards (a re-encoded copy) is named.
        let folder = cache + "/cifar-10-batches-bin"
        XCTAssertEqual(Provenance.check(.cifar10, folder: folder).check, .matches)
        XCTAssertEqual(Provenance.check(.cifar10, folder: folder).sentence, "from \(folder); the files match the published checksums")
        let record = try String(contentsOfFile: folder + "/.cnnb-md5", encoding: .utf8)
        XCTAssertTrue(record.hasPrefix("# unpacked from cifar-10-binary.tar.gz (published MD5 \(Checksum.md5(archive)))\n"), record)
        XCTAssertTrue(record.contains("  test_batch.bin\n"), record)
        let last = try XCTUnwrap(reports.entries.last)
        XCTAssertEqual(last.file, "cifar-10-binary.tar.gz")
        XCTAssertEqual(last.received, Int64(archive.count))
        XCTAssertEqual(last.total, Int64(archive.count))

        // The second load finds the cache and does not download again.
        let again = try DataLoader.load(.cifar10, options: opts)
        XCTAssertEqual(again.train.labels, data.train.labels)
        XCTAssertEqual(server.requests, ["/files/cifar-10-binary.tar.gz"])
    }

    func testProvenanceNamesFilesThatAreNotThePublishedOnes() throws {
        let archive = try Fixtures.cifarArchive(perFile: 2)
        let server = try LocalHTTPServer(files: ["/files/cifar-10-binary.tar.gz": archive])
        defer { server.stop() }
        let cache = try Fixtures.temporaryFolder() + "/cache"
        _ = try DataLoader.load(.cifar10, options: options(cache: cache, server: server, md5: Checksum.md5(archive)))
        let folder = cache + "/cifar-10-batches-bin"
        // A test batch re-encoded after unpacking.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/test_batch.bin"))
        bytes[10] ^= 1
        try bytes.write(to: URL(fileURLWithPath: folder + "/test_batch.bin"))
        let changed = Provenance.check(.cifar10, folder: folder)
        XCTAssertEqual(changed.check, .differs(["test_batch.bin"]))
        XCTAssertTrue(changed.sentence.hasPrefix("from \(folder); test_batch.bin does not match the published checksums"), changed.sentence)
        // A copy put there by hand: CIFAR-10 publishes no checksum for the unpacked files, and
        // these hold too few images to compare with the official first ones.
        try FileManager.default.removeItem(atPath: folder + "/.cnnb-md5")
        guard case .unverifiable(let why) = Provenance.check(.cifar10, folder: folder).check else { return XCTFail("checked") }
        XCTAssertTrue(why.contains("fewer than 1000 images"), why)
        // MNIST publishes every file's MD5: files that are not the official ones are named.
        let mnist = try Fixtures.temporaryFolder() + "/mnist"
        try FileManager.default.createDirectory(atPath: mnist, withIntermediateDirectories: true)
        for file in IDXDataset.files { try Data([1, 2, 3]).write(to: URL(fileURLWithPath: mnist + "/" + file)) }
        XCTAssertEqual(Provenance.check(.mnist, folder: mnist).check, .differs(IDXDataset.files))
    }

    /// The shared copies: a re-encoded CIFAR-10 is told apart from bit-exact official images.
    func testCIFARCopiesAreComparedWithTheOfficialFirstImages() throws {
        guard let root = ProcessInfo.processInfo.environment["CNNB_DATA"], !root.isEmpty,
              FileManager.default.fileExists(atPath: root + "/cifar-10-exact-subset") else {
            throw MissingTool.error("CNNB_DATA does not hold cifar-10-exact-subset and cifar-10-batches-bin")
        }
        let exact = Provenance.check(.cifar10, folder: root + "/cifar-10-exact-subset")
        XCTAssertEqual(exact.check, .officialPrefix(records: 1000))
        XCTAssertTrue(exact.sentence.contains("the first 1000 images of every file are the official ones"), exact.sentence)
        let reencoded = Provenance.check(.cifar10, folder: root + "/cifar-10-batches-bin")
        XCTAssertEqual(reencoded.check, .differs(["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                                  "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"]))
        XCTAssertTrue(reencoded.sentence.contains("a re-encoded, partial or repackaged copy"), reencoded.sentence)
    }

    func testCorruptedDownloadIsAChecksumErrorAndLeavesNothing() throws {
        let archive = try Fixtures.cifarArchive(perFile: 2)
        var corrupted = archive
        corrupted[corrupted.count / 2] ^= 0xFF
        let server = try LocalHTTPServer(files: ["/files/cifar-10-binary.tar.gz": corrupted])
        defer { server.stop() }
        let cache = try Fixtures.temporaryFolder() + "/cache"
        let opts = options(cache: cache, server: server, md5: Checksum.md5(archive))
        XCTAssertThrowsError(try DataLoader.load(.cifar10, options: opts)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("checksum error"), message)
            XCTAssertTrue(message.contains(Checksum.md5(archive)), message)
            XCTAssertTrue(message.contains(Checksum.md5(corrupted)), message)
            XCTAssertTrue(message.contains("cifar-10-binary.tar.gz"), message)
        }
        XCTAssertEqual(Fixtures.contents(cache), [], "nothing half-written is left in the cache")
    }

    func testTransferCutShortLeavesNothing() throws {
        let archive = try Fixtures.cifarArchive(perFile: 2)
        let path = "/files/cifar-10-binary.tar.gz"
        // The server promises more bytes than it sends, then closes the connection.
        let server = try LocalHTTPServer(files: [path: Array(archive.prefix(archive.count / 2))],
                                         announcedLengths: [path: archive.count])
        defer { server.stop() }
        let cache = try Fixtures.temporaryFolder() + "/cache"
        XCTAssertThrowsError(try DataLoader.load(.cifar10, options: options(cache: cache, server: server,
                                                                            md5: Checksum.md5(archive)))) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("CIFAR-10 was not found"), message)
            XCTAssertTrue(message.contains("cifar-10-binary.tar.gz"), message)
            XCTAssertTrue(message.contains("downloading \(server.baseURL)/files/cifar-10-binary.tar.gz failed"), message)
        }
        XCTAssertEqual(Fixtures.contents(cache), [], "nothing half-written is left in the cache")
    }

    func testAnInterruptedDownloadStopsAndLeavesNothing() throws {
        let archive = try Fixtures.cifarArchive(perFile: 2)
        // 200 KB at 1 KB every 50 ms (20 KB/s): ten seconds unless stopped (the body is never
        // checked, so any bytes do).
        let slowBody = [UInt8](repeating: 7, count: 200_000)
        let server = try LocalHTTPServer(files: ["/files/cifar-10-binary.tar.gz": slowBody], pace: (1024, 0.05))
        defer { server.stop() }
        let cache = try Fixtures.temporaryFolder() + "/cache"
        let reports = ProgressLog()
        let opts = options(cache: cache, server: server, md5: Checksum.md5(archive),
                           progress: { file, received, total in reports.add(file, received, total) })
        // Stopped once some of the body has arrived, as Ctrl-C would stop it part way.
        var stoppedAt: Date?
        let started = Date()
        XCTAssertThrowsError(try DataLoader.load(.cifar10, options: opts, shouldStop: {
            guard stoppedAt == nil, reports.entries.contains(where: { $0.received > 0 }) else { return stoppedAt != nil }
            stoppedAt = Date()
            return true
        })) { error in
            XCTAssertEqual((error as? DataError)?.message, "the download of cifar-10-binary.tar.gz was interrupted; nothing was kept in the cache")
            XCTAssertEqual((error as? DataError)?.hint, "the session keeps the values it had; load cifar10 again to download it from the start")
        }
        let stopped = try XCTUnwrap(stoppedAt)
        XCTAssertLessThan(Date().timeIntervalSince(stopped), 1.0, "the transfer is cancelled, not waited for")
        let received = try XCTUnwrap(reports.entries.last).received
        XCTAssertLessThan(received, Int64(slowBody.count), "stopped part way, after \(Date().timeIntervalSince(started)) s")
        XCTAssertEqual(Fixtures.contents(cache), [], "nothing half-written is left in the cache")
        // Not stopped, the same load downloads.
        let fast = try LocalHTTPServer(files: ["/files/cifar-10-binary.tar.gz": archive])
        defer { fast.stop() }
        XCTAssertEqual(try DataLoader.load(.cifar10, options: options(cache: cache, server: fast, md5: Checksum.md5(archive))).train.shape,
                       [10, 32, 32, 3])
    }

    func testProgressBarDrawsTheDownload() throws {
        let archive = try Fixtures.cifarArchive(perFile: 2)
        let server = try LocalHTTPServer(files: ["/files/cifar-10-binary.tar.gz": archive])
        defer { server.stop() }
        let cache = try Fixtures.temporaryFolder() + "/cache"
        let text = TextLog()
        let bar = DownloadProgressBar { text.add($0) }
        _ = try DataLoader.load(.cifar10, options: options(cache: cache, server: server, md5: Checksum.md5(archive),
                                                           progress: bar.callback))
        let drawn = text.joined
        let size = DownloadProgressBar.megabytes(Int64(archive.count))
        XCTAssertTrue(drawn.hasPrefix("\rcifar-10-binary.tar.gz 0.0/\(size) MB [>"), drawn)
        XCTAssertTrue(drawn.hasSuffix("\rcifar-10-binary.tar.gz \(size)/\(size) MB [\(String(repeating: "=", count: 30))] 100%\n"), drawn)
    }

    func testProgressBarLines() {
        XCTAssertEqual(DownloadProgressBar.line(file: "a.tar.gz", received: 0, total: 162_600_000, width: 10),
                       "a.tar.gz 0.0/162.6 MB [>.........]   0%")
        XCTAssertEqual(DownloadProgressBar.line(file: "a.tar.gz", received: 45_200_000, total: 162_600_000, width: 10),
                       "a.tar.gz 45.2/162.6 MB [==>.......]  27%")
        XCTAssertEqual(DownloadProgressBar.line(file: "a.tar.gz", received: 162_600_000, total: 162_600_000, width: 10),
                       "a.tar.gz 162.6/162.6 MB [==========] 100%")
        XCTAssertEqual(DownloadProgressBar.line(file: "x.gz", received: 9_960_000, total: nil), "x.gz 10.0 MB")
        // Redrawn only when the text changes; a newline once the file is complete.
        let text = TextLog()
        let bar = DownloadProgressBar { text.add($0) }
        for received in [0, 10, 20, 1_000_000, 2_000_000, 2_000_000] as [Int64] {
            bar.report(file: "f", received: received, total: 2_000_000)
        }
        XCTAssertEqual(text.entries.count, 4)
        XCTAssertEqual(text.entries.last, "\n")
        // The same file fetched again (a load after a failed checksum) is drawn again.
        bar.report(file: "f", received: 0, total: 2_000_000)
        bar.report(file: "f", received: 2_000_000, total: 2_000_000)
        XCTAssertEqual(Array(text.entries.suffix(3)), ["\rf 0.0/2.0 MB [>.............................]   0%",
                                                       "\rf 2.0/2.0 MB [==============================] 100%", "\n"])
    }

    func testProgressIntoALogIsOneLinePerTenth() {
        let text = TextLog()
        let bar = DownloadProgressBar(isTerminal: false) { text.add($0) }
        for received in stride(from: 0 as Int64, through: 2_000_000, by: 50_000) {
            bar.report(file: "f.gz", received: received, total: 2_000_000)
        }
        XCTAssertEqual(text.entries.count, 11, "0%, 10%, … 100%")
        XCTAssertTrue(text.entries.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })
        XCTAssertEqual(text.entries[1], "f.gz 0.2/2.0 MB [===>..........................]  10%\n")
        XCTAssertEqual(text.entries.last, "f.gz 2.0/2.0 MB [==============================] 100%\n")
    }

    func testProgressOnATerminalShowsSpeedAndTimeLeft() {
        final class Clock: @unchecked Sendable { var now = 100.0 }
        let clock = Clock()
        let text = TextLog()
        let bar = DownloadProgressBar(isTerminal: true, clock: { clock.now }) { text.add($0) }
        bar.report(file: "a.tar.gz", received: 0, total: 162_600_000)
        clock.now = 110
        bar.report(file: "a.tar.gz", received: 45_200_000, total: 162_600_000)
        // 4.52 MB/s; 117.4 MB left takes 26 s.
        XCTAssertEqual(text.entries.last, "\ra.tar.gz 45.2/162.6 MB [========>.....................]  27% 4.5 MB/s 0:26 left")
        XCTAssertEqual(DownloadProgressBar.rate(received: 100_000_000, total: 100_100_000_000, seconds: 10), " 10.0 MB/s 2:46:40 left")
        XCTAssertEqual(DownloadProgressBar.rate(received: 1, total: 2, seconds: 0.1), "", "no speed before half a second")
    }

    func testMissingFileOnServerListsSearchedFolders() throws {
        let server = try LocalHTTPServer(files: [:])
        defer { server.stop() }
        let root = try Fixtures.temporaryFolder()
        let cache = root + "/cache"
        var opts = options(cache: cache, server: server, md5: "0")
        opts.environment["CNNB_DATA"] = root + "/data"
        XCTAssertThrowsError(try DataLoader.load(.cifar10, options: opts)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("CIFAR-10 was not found"), message)
            XCTAssertTrue(message.contains(root + "/data/cifar-10-batches-bin"), message)
            XCTAssertTrue(message.contains(cache + "/cifar-10-batches-bin"), message)
            XCTAssertTrue(message.contains("HTTP 404"), message)
            XCTAssertTrue(message.contains("put the CIFAR-10 files"), message)
        }
        XCTAssertEqual(Fixtures.contents(cache), [])
    }

    func testUnreachableServerFailsWithWhereToPutTheFiles() throws {
        let root = try Fixtures.temporaryFolder()
        let opts = DataOptions(environment: ["CNNB_DATA": root + "/data", "CNNB_DATA_URL": "http://127.0.0.1:9"],
                               cacheDirectory: root + "/cache")
        XCTAssertThrowsError(try DataLoader.load(.mnist, options: opts)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("MNIST was not found in any of these folders"), message)
            XCTAssertTrue(message.contains(root + "/data/mnist"), message)
            XCTAssertTrue(message.contains(root + "/cache/mnist"), message)
            XCTAssertTrue(message.contains("downloading http://127.0.0.1:9/"), message)
            XCTAssertTrue(message.contains("put the MNIST files"), message)
            XCTAssertTrue(message.contains("train-images-idx3-ubyte.gz"), message)
        }
        XCTAssertEqual(Fixtures.contents(root + "/cache"), [])
    }

    func testSearchOrder() {
        let options = DataOptions(environment: ["CNNB_DATA": "/data", "HOME": "/home/u"])
        XCTAssertEqual(DataLoader.searchFolders(.fashionMNIST, options: options),
                       ["/data/fashion-mnist", "/home/u/.cache/cnnb/datasets/fashion-mnist",
                        "/usr/share/datasets/fashion-mnist"])
        let xdg = DataOptions(environment: ["XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"])
        XCTAssertEqual(DataLoader.searchFolders(.cifar10, options: xdg), ["/xdg/cnnb/datasets/cifar-10-batches-bin"])
        XCTAssertEqual(DataLoader.cacheRoot(DataOptions(environment: ["HOME": "/home/u"], cacheDirectory: "/c")), "/c")
    }

    func testIDXFilesDownloadedOneByOne() throws {
        let source = try Fixtures.makeIDXFolder(Fixtures.temporaryFolder() + "/served")
        var files: [String: [UInt8]] = [:]
        var sums: [(name: String, md5: String)] = []
        for name in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                     "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: source + "/" + name)))
            files["/mnist/" + name] = bytes
            sums.append((name, Checksum.md5(bytes)))
        }
        let server = try LocalHTTPServer(files: files)
        defer { server.stop() }
        let cache = try Fixtures.temporaryFolder() + "/cache"
        let opts = DataOptions(environment: [:], cacheDirectory: cache,
                               source: DownloadSource(baseURL: server.baseURL + "/mnist", files: sums, isArchive: false))
        let data = try DataLoader.load(.mnist, options: opts)
        XCTAssertEqual(data.train.shape, [5, 28, 28, 1])
        XCTAssertEqual(data.test.labels, [3, 4, 5])
        XCTAssertEqual(Fixtures.contents(cache), ["mnist"])
    }

    func testTheOfficialSourcesAndTheURLOverride() {
        let cifar = DownloadSource.official(.cifar10)
        XCTAssertEqual(cifar?.baseURL, "https://www.cs.toronto.edu/~kriz")
        XCTAssertEqual(cifar?.files.first?.name, "cifar-10-binary.tar.gz")
        XCTAssertEqual(cifar?.files.first?.md5, "c32a1d4ab5d03f1284b67883e8d87530")
        XCTAssertEqual(DownloadSource.official(.fashionMNIST)?.files.map(\.md5),
                       ["8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                        "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"])
        XCTAssertNil(DownloadSource.official(.shapes))
    }

    func testMD5KnownValues() {
        XCTAssertEqual(Checksum.md5([]), "d41d8cd98f00b204e9800998ecf8427e")
        XCTAssertEqual(Checksum.md5(Array("abc".utf8)), "900150983cd24fb0d6963f7d28e17f72")
        XCTAssertEqual(Checksum.md5(Array("The quick brown fox jumps over the lazy dog".utf8)),
                       "9e107d9d372bb6826bd81d3542a419d6")
        // Lengths around the 64-byte block and the 56-byte padding boundary.
        XCTAssertEqual(Checksum.md5(Array(repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "7707d6ae4e027c70eea2a935c2296f21")
        XCTAssertEqual(Checksum.md5(Array("12345678901234567890123456789012345678901234567890123456789012345678901234567890".utf8)),
                       "57edf4a22be3c955ac49da2e2107b67a")
    }
}

/// Progress reports collected from the download thread.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var log: [(file: String, received: Int64, total: Int64?)] = []
    func add(_ file: String, _ received: Int64, _ total: Int64?) { lock.lock(); log.append((file, received, total)); lock.unlock() }
    var entries: [(file: String, received: Int64, total: Int64?)] { lock.lock(); defer { lock.unlock() }; return log }
}

final class TextLog: @unchecked Sendable {
    private let lock = NSLock()
    private var log: [String] = []
    func add(_ text: String) { lock.lock(); log.append(text); lock.unlock() }
    var entries: [String] { lock.lock(); defer { lock.unlock() }; return log }
    var joined: String { entries.joined() }
}
