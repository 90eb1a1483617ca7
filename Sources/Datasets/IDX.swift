/// MNIST-style datasets: gzip-compressed IDX files with big-endian headers, images magic 2051
/// (count, rows, columns) and labels magic 2049 (count).
public struct IDXDataset: Sendable {
    public let name: String
    public let folderName: String
    public let classNames: [String]
    public static let trainImages = "train-images-idx3-ubyte.gz"
    public static let trainLabels = "train-labels-idx1-ubyte.gz"
    public static let testImages = "t10k-images-idx3-ubyte.gz"
    public static let testLabels = "t10k-labels-idx1-ubyte.gz"
    public static let files = [trainImages, trainLabels, testImages, testLabels]
    static let side = 28

    public static let mnist = IDXDataset(name: "mnist", folderName: "mnist",
                                         classNames: (0...9).map { String($0) })
    public static let fashionMNIST = IDXDataset(
        name: "fashion_mnist", folderName: "fashion-mnist",
        classNames: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"])

    /// Reads the four IDX files of a folder.
    public func load(directory: String, shouldStop: @escaping () -> Bool = { false }) throws -> Dataset {
        guard FileIO.isDirectory(directory) else {
            throw DataError("\(name) folder \(directory) does not exist",
                            hint: "give the folder holding \(Self.files.joined(separator: ", "))")
        }
        let train = try split("train", images: Self.trainImages, labels: Self.trainLabels, directory: directory, shouldStop: shouldStop)
        let test = try split("test", images: Self.testImages, labels: Self.testLabels, directory: directory, shouldStop: shouldStop)
        return Dataset(name: name, train: train, test: test, source: directory)
    }

    func split(_ splitName: String, images: String, labels: String, directory: String,
               shouldStop: @escaping () -> Bool = { false }) throws -> DatasetSplit {
        for file in [images, labels] where !FileIO.isFile(directory + "/" + file) {
            throw DataError("\(name) file \(file) is missing from \(directory)",
                            hint: "the folder needs \(Self.files.joined(separator: ", ")) (the official gzip IDX files)")
        }
        let (pixels, imageCount) = try readImages(GzipReader(path: directory + "/" + images, shouldStop: shouldStop))
        let (labelBuffer, labelCount) = try readLabels(GzipReader(path: directory + "/" + labels, shouldStop: shouldStop))
        guard imageCount == labelCount else {
            throw DataError("\(name) \(splitName) files disagree: \(directory)/\(images) holds \(imageCount) images but \(labels) holds \(labelCount) labels",
                            hint: "one of the two files comes from another copy; replace both with the official files")
        }
        return DatasetSplit(name: splitName, images: pixels, labels: labelBuffer, count: imageCount,
                            height: Self.side, width: Self.side, channels: 1, classNames: classNames)
    }

    func readImages(_ path: String) throws -> (SharedBuffer<UInt8>, Int) {
        try readImages(GzipReader(path: path))
    }

    func readLabels(_ path: String) throws -> (SharedBuffer<Int32>, Int) {
        try readLabels(GzipReader(path: path))
    }

    /// An images file's pixels and count, from its bytes (gzip-compressed or not); `name` names
    /// it in errors.
    public func images(fromBytes bytes: [UInt8], name: String) throws -> (pixels: SharedBuffer<UInt8>, count: Int) {
        try readImages(GzipBytes(bytes, name: name))
    }

    /// A labels file's labels and count, from its bytes (gzip-compressed or not).
    public func labels(fromBytes bytes: [UInt8], name: String) throws -> (labels: SharedBuffer<Int32>, count: Int) {
        try readLabels(GzipBytes(bytes, name: name))
    }

    func readImages(_ reader: some ByteStream) throws -> (SharedBuffer<UInt8>, Int) {
        let path = reader.path
        let header = try readHeader(reader, words: 4)
        guard header[0] == 2051 else {
            throw DataError("\(path) is not an IDX image file: its magic number is \(header[0]), images have 2051",
                            hint: "check that this is the images file (…-images-idx3-ubyte.gz) and not labels or another format")
        }
        guard header[2] == UInt32(Self.side), header[3] == UInt32(Self.side) else {
            throw DataError("\(path) holds \(header[2])x\(header[3]) images; \(name) images are \(Self.side)x\(Self.side)",
                            hint: "replace it with the official \(name) file")
        }
        // The header's count is only a claim until the bytes are there.
        let count = Int(header[1])
        let pixels = try reader.readBuffer(count: count * Self.side * Self.side, what: "\(count) images")
        guard try reader.atEnd() else {
            throw DataError("\(path) has bytes after its \(count) images", hint: "replace it with the official \(name) file")
        }
        return (pixels, count)
    }

    func readLabels(_ reader: some ByteStream) throws -> (SharedBuffer<Int32>, Int) {
        let path = reader.path
        let header = try readHeader(reader, words: 2)
        guard header[0] == 2049 else {
            throw DataError("\(path) is not an IDX label file: its magic number is \(header[0]), labels have 2049",
                            hint: "check that this is the labels file (…-labels-idx1-ubyte.gz) and not images or another format")
        }
        let count = Int(header[1])
        let bytes = try reader.readBuffer(count: count, what: "\(count) labels")
        guard try reader.atEnd() else {
            throw DataError("\(path) has bytes after its \(count) labels", hint: "replace it with the official \(name) file")
        }
        let labels = SharedBuffer<Int32>(count: count)
        for i in 0..<count {
            let label = bytes.pointer[i]
            guard Int(label) < classNames.count else {
                throw DataError("\(path): label \(i) is \(label); \(name) labels are 0 to \(classNames.count - 1)",
                                hint: "the file is corrupt; replace it with the official \(name) file")
            }
            labels.pointer[i] = Int32(label)
        }
        return (labels, count)
    }

    /// The big-endian 32-bit words that open an IDX file.
    private func readHeader(_ reader: some ByteStream, words: Int) throws -> [UInt32] {
        var bytes = [UInt8](repeating: 0, count: 4 * words)
        try bytes.withUnsafeMutableBytes {
            try reader.readExactly(into: $0.baseAddress!, count: 4 * words, what: "the IDX header")
        }
        return (0..<words).map { w in
            (0..<4).reduce(UInt32(0)) { ($0 << 8) | UInt32(bytes[4 * w + $1]) }
        }
    }
}
