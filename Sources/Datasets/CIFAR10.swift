import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CIFAR-10 in its official binary layout (`cifar-10-batches-bin/`): each file is a run of
/// 3,073-byte records, one label byte (0–9) then the 32×32 red, green and blue planes.
/// Images are converted to NHWC bytes; the record count of a file is its size / 3,073.
public enum CIFAR10 {
    public static let folderName = "cifar-10-batches-bin"
    public static let trainFiles = (1...5).map { "data_batch_\($0).bin" }
    public static let testFile = "test_batch.bin"
    public static let metaFile = "batches.meta.txt"
    public static let recordSize = 3073
    static let side = 32
    static let plane = 32 * 32

    /// Reads a `cifar-10-batches-bin` folder: 5 training files, the test file and the class names.
    public static func load(directory: String, shouldStop: @escaping () -> Bool = { false }) throws -> Dataset {
        guard FileIO.isDirectory(directory) else {
            throw DataError("CIFAR-10 folder \(directory) does not exist",
                            hint: "give the folder holding \(trainFiles[0]) … \(testFile) and \(metaFile)")
        }
        let classNames = try readClassNames(directory: directory)
        let trainPaths = trainFiles.map { directory + "/" + $0 }
        let testPath = directory + "/" + testFile
        let trainCounts = try trainFiles.map { try recordCount(directory: directory, file: $0) }
        let testCount = try recordCount(directory: directory, file: testFile)

        let trainTotal = trainCounts.reduce(0, +)
        let trainImages = SharedBuffer<UInt8>(count: trainTotal * recordSize - trainTotal)
        let trainLabels = SharedBuffer<Int32>(count: trainTotal)
        let testImages = SharedBuffer<UInt8>(count: testCount * (recordSize - 1))
        let testLabels = SharedBuffer<Int32>(count: testCount)

        // One job per file, each writing its own records of the shared buffers.
        var jobs: [(path: String, records: Int, first: Int, images: SharedBuffer<UInt8>, labels: SharedBuffer<Int32>)] = []
        var first = 0
        for (path, records) in zip(trainPaths, trainCounts) {
            jobs.append((path, records, first, trainImages, trainLabels))
            first += records
        }
        jobs.append((testPath, testCount, 0, testImages, testLabels))

        var failures = [DataError?](repeating: nil, count: jobs.count)
        failures.withUnsafeMutableBufferPointer { failures in
            DispatchQueue.concurrentPerform(iterations: jobs.count) { j in
                let job = jobs[j]
                do {
                    try readRecords(path: job.path, records: job.records,
                                    images: job.images.pointer + job.first * (recordSize - 1),
                                    labels: job.labels.pointer + job.first, shouldStop: shouldStop)
                } catch let error as DataError {
                    failures[j] = error
                } catch {
                    failures[j] = DataError("cannot read \(job.path): \(error)")
                }
            }
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }

        var train = DatasetSplit(name: "train", images: trainImages, labels: trainLabels, count: trainTotal,
                                 height: side, width: side, channels: 3, classNames: classNames)
        var test = DatasetSplit(name: "test", images: testImages, labels: testLabels, count: testCount,
                                height: side, width: side, channels: 3, classNames: classNames)
        train.labelsAreColumn = true
        test.labelsAreColumn = true
        return Dataset(name: "cifar10", train: train, test: test, source: directory)
    }

    /// The ten class names, one a line in `batches.meta.txt` (index = label).
    static func readClassNames(directory: String) throws -> [String] {
        let path = directory + "/" + metaFile
        guard FileIO.isFile(path) else {
            throw DataError("CIFAR-10 file \(metaFile) is missing from \(directory)",
                            hint: "it comes with \(trainFiles[0]) … \(testFile) in cifar-10-binary.tar.gz; copy the whole \(folderName) folder")
        }
        let names = try FileIO.readText(path).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard names.count >= 10 else {
            throw DataError("\(path) names \(names.count) classes; CIFAR-10 has 10 (airplane … truck), one a line",
                            hint: "restore \(metaFile) from cifar-10-binary.tar.gz")
        }
        return Array(names.prefix(10))
    }

    /// Records in a data file: its size / 3,073, which must divide exactly.
    static func recordCount(directory: String, file: String) throws -> Int {
        let path = directory + "/" + file
        guard let size = FileIO.size(path) else {
            throw DataError("CIFAR-10 file \(file) is missing from \(directory)",
                            hint: "the folder needs \(trainFiles.joined(separator: ", ")), \(testFile) and \(metaFile) from cifar-10-binary.tar.gz")
        }
        guard size > 0, size % recordSize == 0 else {
            throw DataError("CIFAR-10 file \(path) has \(size) bytes, which is not a whole number of \(recordSize)-byte records (1 label byte + 3,072 pixel bytes)"
                            + (size > recordSize ? "; it holds \(size / recordSize) records and \(size % recordSize) extra bytes" : ""),
                            hint: "the file is truncated or not CIFAR-10 binary data; copy or download it again")
        }
        return size / recordSize
    }

    /// Reads `records` records of `path`, writing NHWC pixels and labels; chunks of a few MB keep
    /// the extra memory small (under 1 MB a file) while each read stays large.
    static func readRecords(path: String, records: Int, images: UnsafeMutablePointer<UInt8>,
                            labels: UnsafeMutablePointer<Int32>, shouldStop: () -> Bool = { false }) throws {
        let descriptor = try FileIO.open(path)
        defer { close(descriptor) }
        let chunkRecords = min(records, 256)
        let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkRecords * recordSize)
        defer { chunk.deallocate() }
        var done = 0
        while done < records {
            let n = min(chunkRecords, records - done)
            if shouldStop() { throw DataError.stopped }
            try FileIO.read(descriptor, into: chunk, count: n * recordSize, at: done * recordSize, path: path)
            try decode(chunk, records: n, first: done, path: path, images: images, labels: labels)
            done += n
        }
    }

    /// Records `first ..< first + records` of a file, laid out from `recordBytes` on: labels
    /// checked, planes interleaved.
    static func decode(_ recordBytes: UnsafePointer<UInt8>, records: Int, first: Int, path: String,
                       images: UnsafeMutablePointer<UInt8>, labels: UnsafeMutablePointer<Int32>) throws {
        for r in 0..<records {
            let record = recordBytes + r * recordSize
            let label = record[0]
            if label > 9 {
                throw DataError("CIFAR-10 file \(path): record \(first + r) has label \(label); labels are 0 to 9",
                                hint: "the file is corrupt or not CIFAR-10 binary data (CIFAR-100 files have 2 label bytes); copy or download it again")
            }
            labels[first + r] = Int32(label)
            transposePlanes(record + 1, into: images + (first + r) * (recordSize - 1))
        }
    }

    /// One data file's images and labels from its bytes, checked as `load` checks a file;
    /// `name` names it in errors.
    public static func split(fromBytes bytes: [UInt8], name: String, classNames: [String]) throws -> DatasetSplit {
        guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
            throw DataError("CIFAR-10 file \(name) has \(bytes.count) bytes, which is not a whole number of \(recordSize)-byte records (1 label byte + 3,072 pixel bytes)",
                            hint: "the file is truncated or not CIFAR-10 binary data; copy or download it again")
        }
        let count = bytes.count / recordSize
        let images = SharedBuffer<UInt8>(count: count * (recordSize - 1))
        let labels = SharedBuffer<Int32>(count: count)
        try bytes.withUnsafeBufferPointer {
            try decode($0.baseAddress!, records: count, first: 0, path: name, images: images.pointer, labels: labels.pointer)
        }
        var split = DatasetSplit(name: name, images: images, labels: labels, count: count,
                                 height: side, width: side, channels: 3, classNames: classNames)
        split.labelsAreColumn = true
        return split
    }

    /// Red, green and blue 32×32 planes → interleaved HWC pixels.
    @inline(__always)
    static func transposePlanes(_ planes: UnsafePointer<UInt8>, into pixels: UnsafeMutablePointer<UInt8>) {
        let red = planes, green = planes + plane, blue = planes + 2 * plane
        for p in 0..<plane {
            pixels[3 * p] = red[p]
            pixels[3 * p + 1] = green[p]
            pixels[3 * p + 2] = blue[p]
        }
    }
}
