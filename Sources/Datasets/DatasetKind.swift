import Foundation

/// The datasets `load` knows, by the names a user types.
public enum DatasetKind: String, CaseIterable, Sendable {
    case cifar10
    case mnist
    case fashionMNIST = "fashion_mnist"
    case shapes

    /// Accepts the usual spellings: `cifar10`, `cifar-10`, `fashion_mnist`, `fashion-mnist`, `fashionmnist`.
    public init?(name: String) {
        let key = name.lowercased().filter { $0 != "_" && $0 != "-" }
        switch key {
        case "cifar10": self = .cifar10
        case "mnist": self = .mnist
        case "fashionmnist": self = .fashionMNIST
        case "shapes": self = .shapes
        default: return nil
        }
    }

    /// The folder that holds the dataset's files under a data root or the cache.
    public var folderName: String {
        switch self {
        case .cifar10: return CIFAR10.folderName
        case .mnist: return IDXDataset.mnist.folderName
        case .fashionMNIST: return IDXDataset.fashionMNIST.folderName
        case .shapes: return "shapes"
        }
    }

    public var displayName: String {
        switch self {
        case .cifar10: return "CIFAR-10"
        case .mnist: return "MNIST"
        case .fashionMNIST: return "Fashion-MNIST"
        case .shapes: return "shapes"
        }
    }

    /// A file whose presence in a folder shows the folder holds this dataset itself.
    var markerFile: String {
        switch self {
        case .cifar10: return CIFAR10.testFile
        case .mnist, .fashionMNIST: return IDXDataset.testImages
        case .shapes: return ""
        }
    }

    /// Folders that hold the dataset on some systems (Debian's package for Fashion-MNIST).
    var systemFolders: [String] {
        self == .fashionMNIST ? ["/usr/share/datasets/fashion-mnist"] : []
    }

    /// The files a folder of this dataset must hold.
    var requiredFiles: [String] {
        switch self {
        case .cifar10: return CIFAR10.trainFiles + [CIFAR10.testFile, CIFAR10.metaFile]
        case .mnist, .fashionMNIST: return IDXDataset.files
        case .shapes: return []
        }
    }

    /// Reads the dataset from a folder holding its files.
    func read(directory: String, shouldStop: @escaping () -> Bool = { false }) throws -> Dataset {
        switch self {
        case .cifar10: return try CIFAR10.load(directory: directory, shouldStop: shouldStop)
        case .mnist: return try IDXDataset.mnist.load(directory: directory, shouldStop: shouldStop)
        case .fashionMNIST: return try IDXDataset.fashionMNIST.load(directory: directory, shouldStop: shouldStop)
        case .shapes: return ShapesDataset.generate()
        }
    }
}

/// Where a dataset's files are downloaded from: a base address and, per file, its MD5.
public struct DownloadSource: Sendable {
    public var baseURL: String
    public var files: [(name: String, md5: String)]
    /// True when the single file is a .tar.gz that unpacks to the dataset's folder.
    public var isArchive: Bool

    public init(baseURL: String, files: [(name: String, md5: String)], isArchive: Bool) {
        self.baseURL = baseURL
        self.files = files
        self.isArchive = isArchive
    }

    /// The official addresses and published checksums.
    public static func official(_ kind: DatasetKind) -> DownloadSource? {
        switch kind {
        case .cifar10:
            return DownloadSource(baseURL: "https://www.cs.toronto.edu/~kriz",
                                  files: [("cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530")],
                                  isArchive: true)
        case .mnist:
            // yann.lecun.com refuses most automated downloads; this is the mirror torchvision uses
            // for the same files (same MD5s).
            return DownloadSource(baseURL: "https://ossci-datasets.s3.amazonaws.com/mnist",
                                  files: [(IDXDataset.trainImages, "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                                          (IDXDataset.trainLabels, "d53e105ee54ea40749a09fcbcd1e9432"),
                                          (IDXDataset.testImages, "9fb629c4189551a2d022fa330f9573f3"),
                                          (IDXDataset.testLabels, "ec29112dd5afa0611ce80d1b7f02629c")],
                                  isArchive: false)
        case .fashionMNIST:
            return DownloadSource(baseURL: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com",
                                  files: [(IDXDataset.trainImages, "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                                          (IDXDataset.trainLabels, "25c81989df183df01b3e8a0aad5dffbe"),
                                          (IDXDataset.testImages, "bef4ecab320f06d8554ea6380940ec79"),
                                          (IDXDataset.testLabels, "bb300cfdad3c16e7a12a480ee83cd310")],
                                  isArchive: false)
        case .shapes:
            return nil
        }
    }
}
