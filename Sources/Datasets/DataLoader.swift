import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How `DataLoader.load` looks for, fetches or generates a dataset.
public struct DataOptions: Sendable {
    /// A folder given by the user (`load cifar10 from "DIR"`): the dataset's own folder or a root
    /// holding it. When set, only this folder is used.
    public var directory: String?
    /// Environment consulted for CNNB_DATA, CNNB_DATA_URL, XDG_CACHE_HOME and HOME.
    public var environment: [String: String]
    /// Overrides the cache root (default: $XDG_CACHE_HOME/cnnb/datasets or ~/.cache/cnnb/datasets).
    public var cacheDirectory: String?
    /// Whether a dataset found nowhere may be downloaded into the cache.
    public var allowDownload: Bool
    /// Overrides where files are downloaded from and their checksums (default: official,
    /// with the base address replaced by $CNNB_DATA_URL when set).
    public var source: DownloadSource?
    /// Told how a download advances (default: a progress bar on standard error; nil: silent).
    public var progress: DownloadProgress?
    /// Sizes and seed of the generated `shapes` dataset.
    public var shapesTrainCount: Int
    public var shapesTestCount: Int
    public var shapesSeed: UInt64

    public init(directory: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                cacheDirectory: String? = nil, allowDownload: Bool = true, source: DownloadSource? = nil,
                progress: DownloadProgress? = DownloadProgressBar.standardError().callback,
                shapesTrainCount: Int = ShapesDataset.defaultTrainCount,
                shapesTestCount: Int = ShapesDataset.defaultTestCount, shapesSeed: UInt64 = 0) {
        self.directory = directory
        self.environment = environment
        self.cacheDirectory = cacheDirectory
        self.allowDownload = allowDownload
        self.source = source
        self.progress = progress
        self.shapesTrainCount = shapesTrainCount
        self.shapesTestCount = shapesTestCount
        self.shapesSeed = shapesSeed
    }
}

/// Finds a dataset like Keras does: in an explicit folder, else under $CNNB_DATA, the user
/// cache and system folders, else downloads it once into the cache (checksum verified, written
/// into a temporary folder renamed into place only when complete).
public enum DataLoader {
    /// `shouldStop` is asked between chunks of reading and every 100 ms of a download; true
    /// stops with `DataError.stopped` (a download leaves nothing in the cache).
    public static func load(_ kind: DatasetKind, options: DataOptions = DataOptions(),
                            shouldStop: @escaping () -> Bool = { false }) throws -> Dataset {
        if kind == .shapes {
            return try ShapesDataset.generate(trainCount: options.shapesTrainCount,
                                              testCount: options.shapesTestCount, seed: options.shapesSeed)
        }
        if let directory = options.directory {
            return try kind.read(directory: try explicitFolder(kind, directory), shouldStop: shouldStop)
        }
        let folders = searchFolders(kind, options: options)
        if let found = folders.first(where: FileIO.isDirectory) {
            return try kind.read(directory: found, shouldStop: shouldStop)
        }
        let cache = cacheRoot(options)
        let notFound = "\(kind.displayName) was not found in any of these folders:\n"
            + folders.map { "  - \($0)" }.joined(separator: "\n")
        let hint = "put the \(kind.displayName) files (\(kind.requiredFiles.joined(separator: ", "))) in a folder named "
            + "\(kind.folderName) under $CNNB_DATA or \(cache), or give the folder with `load \(kind.rawValue) from \"DIR\"`"
        guard options.allowDownload else {
            throw DataError(notFound + "\nand downloading is turned off", hint: hint)
        }
        guard let source = downloadSource(kind, options: options) else {
            throw DataError(notFound, hint: hint)
        }
        do {
            let folder = try download(kind, from: source, into: cache, progress: options.progress, shouldStop: shouldStop)
            return try kind.read(directory: folder, shouldStop: shouldStop)
        } catch let stop as HTTPDownload.Stopped {
            throw DataError("the download of \(stop.file) was interrupted; nothing was kept in the cache",
                            hint: "the session keeps the values it had; load \(kind.rawValue) again to download it from the start")
        } catch let error as DownloadError {
            throw DataError(notFound + "\nand \(error.message)", hint: hint)
        }
    }

    /// The folders searched, in order, when no explicit folder is given.
    public static func searchFolders(_ kind: DatasetKind, options: DataOptions = DataOptions()) -> [String] {
        var folders: [String] = []
        if let root = options.environment["CNNB_DATA"], !root.isEmpty {
            folders.append(joined(root, kind.folderName))
        }
        folders.append(joined(cacheRoot(options), kind.folderName))
        folders += kind.systemFolders
        return folders
    }

    /// Where downloads go: the override, $XDG_CACHE_HOME/cnnb/datasets or ~/.cache/cnnb/datasets.
    public static func cacheRoot(_ options: DataOptions = DataOptions()) -> String {
        if let directory = options.cacheDirectory { return directory }
        if let xdg = options.environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            return joined(xdg, "cnnb/datasets")
        }
        let home = options.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? FileIO.homeDirectory
        return joined(home, ".cache/cnnb/datasets")
    }

    static func downloadSource(_ kind: DatasetKind, options: DataOptions) -> DownloadSource? {
        if let source = options.source { return source }
        guard var source = DownloadSource.official(kind) else { return nil }
        if let base = options.environment["CNNB_DATA_URL"], !base.isEmpty { source.baseURL = base }
        return source
    }

    /// The user's folder itself when it holds the files, else its sub-folder named for the dataset.
    static func explicitFolder(_ kind: DatasetKind, _ directory: String) throws -> String {
        let path = (directory as NSString).expandingTildeInPath
        if FileIO.isFile(joined(path, kind.markerFile)) { return path }
        let nested = joined(path, kind.folderName)
        if FileIO.isDirectory(nested) { return nested }
        if FileIO.isDirectory(path) { return path }  // reading it names the missing file
        throw DataError("\(kind.displayName) folder \(path) does not exist (searched \(path) and \(nested))",
                        hint: "give the folder holding \(kind.requiredFiles.joined(separator: ", ")), or a folder containing \(kind.folderName)/")
    }

    static func joined(_ base: String, _ name: String) -> String {
        base.hasSuffix("/") ? base + name : base + "/" + name
    }

    // MARK: Download

    /// A failed download, with nothing left in the cache.
    struct DownloadError: Error { var message: String }

    /// Downloads into a temporary folder beside the final one, checks every file, unpacks, and
    /// renames the finished folder into `cache/<folder>`; returns that folder.
    static func download(_ kind: DatasetKind, from source: DownloadSource, into cache: String,
                         progress: DownloadProgress?, shouldStop: () -> Bool = { false }) throws -> String {
        do {
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        } catch {
            throw DownloadError(message: "the cache folder \(cache) could not be created: \(error.localizedDescription)")
        }
        let final = joined(cache, kind.folderName)
        let temporary = joined(cache, ".\(kind.folderName).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        do {
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
        } catch {
            throw DownloadError(message: "the cache folder \(cache) is not writable: \(error.localizedDescription)")
        }
        let fetched = joined(temporary, "fetched")
        let unpacked = joined(temporary, "unpacked")
        for folder in [fetched, unpacked] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        }

        for file in source.files {
            let address = joined(source.baseURL, file.name)
            guard let url = URL(string: address) else {
                throw DownloadError(message: "the download address \(address) is not a valid URL")
            }
            let path = joined(fetched, file.name)
            do {
                try HTTPDownload.fetch(url, to: path, progress: progress, shouldStop: shouldStop)
            } catch let error as DataError {
                throw DownloadError(message: error.message)
            }
            let digest = try Checksum.md5(file: path)
            guard digest == file.md5.lowercased() else {
                throw DataError("checksum error: \(address) has MD5 \(digest), but the published MD5 is \(file.md5); the download is corrupt and was deleted",
                                hint: "download again, or fetch the file by hand and put it in \(final)")
            }
        }

        let ready: String
        if source.isArchive {
            for file in source.files {
                try TarArchive.extractGzip(joined(fetched, file.name), into: unpacked)
            }
            ready = joined(unpacked, kind.folderName)
            // The archive's published MD5 vouches for the files it held: recorded, they let a
            // later load tell this copy from a re-encoded one.
            var record = "# unpacked from " + source.files.map { "\($0.name) (published MD5 \($0.md5))" }.joined(separator: ", ") + "\n"
            for file in kind.requiredFiles where FileIO.isFile(joined(ready, file)) {
                record += (try Checksum.md5(file: joined(ready, file))) + "  " + file + "\n"
            }
            try AtomicFile.write(record, to: joined(ready, Provenance.recordName))
        } else {
            ready = fetched
        }
        for file in kind.requiredFiles where !FileIO.isFile(joined(ready, file)) {
            throw DataError("the download of \(kind.displayName) from \(source.baseURL) has no \(kind.folderName)/\(file)",
                            hint: "the archive is not the expected one; check CNNB_DATA_URL")
        }
        if rename(ready, final) != 0 {
            // Another process finished the same download first: keep its copy.
            if FileIO.isDirectory(final) { return final }
            throw DataError("cannot move the downloaded \(kind.displayName) into \(final): \(String(cString: strerror(errno)))")
        }
        return final
    }
}
