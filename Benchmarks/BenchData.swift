import Datasets
import Engine
import Foundation

/// The images a run trains and tests on: CIFAR-10 read by the Data module, scaled by 1/255,
/// or random bytes of the same shape when the files are not there. Splits are the engine's
/// batch sources: bytes stay bytes until a batch is filled, so the whole training set costs
/// one byte per pixel.
struct BenchData {
    var train: DatasetSplit
    /// nil for random data (no accuracy to report).
    var test: DatasetSplit?
    /// Where the images came from, for the log.
    var origin: String

    static func load(_ options: Options) throws -> BenchData {
        if let root = options.dataDirectory, holdsCIFAR10(root) {
            let dataset = try DataLoader.load(.cifar10, options: DataOptions(directory: root, allowDownload: false))
            let train = dataset.train.prefix(options.images).applying(.divide(255))
            return BenchData(train: train, test: dataset.test.applying(.divide(255)), origin: dataset.source)
        }
        return BenchData(train: random(count: options.images, seed: options.seed), test: nil, origin: "random")
    }

    /// Whether `root` is a `cifar-10-batches-bin` folder or holds one.
    static func holdsCIFAR10(_ root: String) -> Bool {
        let files = FileManager.default
        return files.fileExists(atPath: root + "/" + CIFAR10.folderName + "/" + CIFAR10.trainFiles[0])
            || files.fileExists(atPath: root + "/" + CIFAR10.trainFiles[0])
    }

    /// `count` random 32x32x3 byte images with random labels 0...9.
    static func random(count: Int, seed: UInt64) -> DatasetSplit {
        let size = 32 * 32 * 3
        let images = SharedBuffer<UInt8>(count: count * size)
        let labels = SharedBuffer<Int32>(count: count)
        var generator = SeededGenerator(seed: seed)
        for i in 0..<(count * size) { images.pointer[i] = UInt8(truncatingIfNeeded: generator.next() >> 56) }
        for i in 0..<count { labels.pointer[i] = Int32(generator.next() % 10) }
        let names = (0..<10).map { "class \($0)" }
        return DatasetSplit(name: "train", images: images, labels: labels, count: count, height: 32, width: 32,
                            channels: 3, classNames: names).applying(.divide(255))
    }
}
