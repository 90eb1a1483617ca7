import Basics
import Foundation
import ImageCodecs

/// A folder of images with one subfolder per class, read as Keras's
/// `image_dataset_from_directory` reads it: class names are the subfolders' names sorted, files
/// are listed folder by folder in sorted order, shuffled with NumPy's `RandomState(seed)`, and
/// with a validation split the last `int(split · count)` files are the test split. Pixels are
/// decoded (PNG by libpng, JPEG by libjpeg-turbo), alpha dropped, grey converted as Pillow
/// converts, resized bilinearly (half-pixel centres, as `tf.image.resize`) and kept as bytes.
public struct ImageFolderOptions: Sendable {
    public var height: Int
    public var width: Int
    public var grayscale = false
    /// The fraction of files kept for the test split; nil keeps them all for training.
    public var validationSplit: Double?
    public var seed: UInt32
    /// Skip files that do not decode (with their names in `skipped`) instead of failing.
    public var skipInvalid = false

    public init(height: Int, width: Int, seed: UInt32) {
        self.height = height
        self.width = width
        self.seed = seed
    }
}

public struct ImageFolderResult {
    public var dataset: Dataset
    /// Files that did not decode, when skipping was asked for, each with the reason.
    public var skipped: [String]
}

public enum ImageFolder {
    /// Keras's allowlist of image extensions; cnnb decodes the PNG and JPEG among them.
    public static let extensions = [".bmp", ".gif", ".jpeg", ".jpg", ".png"]

    /// `shouldStop` is asked before each file is decoded; true stops with `DataError.stopped`.
    public static func read(_ directory: String, options: ImageFolderOptions,
                            shouldStop: () -> Bool = { false }) throws -> ImageFolderResult {
        let fileManager = FileManager.default
        var isFolder: ObjCBool = false
        guard fileManager.fileExists(atPath: directory, isDirectory: &isFolder), isFolder.boolValue else {
            throw DataError("image folder \(directory) does not exist", hint: "give a folder with one subfolder of images per class")
        }
        let classNames = try fileManager.contentsOfDirectory(atPath: directory).sorted().filter { name in
            var sub: ObjCBool = false
            return !name.hasPrefix(".")
                && fileManager.fileExists(atPath: (directory as NSString).appendingPathComponent(name), isDirectory: &sub)
                && sub.boolValue
        }
        guard !classNames.isEmpty else {
            throw DataError("image folder \(directory) has no subfolders", hint: "put each class's images in a subfolder named after it: \(directory)/cats, \(directory)/dogs")
        }
        var files: [String] = []
        var labels: [Int32] = []
        for (label, name) in classNames.enumerated() {
            let found = imageFiles(in: (directory as NSString).appendingPathComponent(name))
            files += found
            labels += [Int32](repeating: Int32(label), count: found.count)
        }
        guard !files.isEmpty else {
            throw DataError("image folder \(directory) has no images in its subfolders " + classNames.joined(separator: ", "),
                            hint: "cnnb reads " + extensions.joined(separator: " ") + " files")
        }
        // Keras shuffles the paths and the labels with two generators of the same seed.
        var paths = files
        var generator = NumpyRandomState(seed: options.seed)
        generator.shuffle(&paths)
        generator = NumpyRandomState(seed: options.seed)
        generator.shuffle(&labels)

        let size = options.height * options.width * (options.grayscale ? 1 : 3)
        var pixels = [UInt8]()
        pixels.reserveCapacity(paths.count * size)
        var kept: [Int32] = []
        var skipped: [String] = []
        for (path, label) in zip(paths, labels) {
            if shouldStop() { throw DataError.stopped }
            do {
                pixels += try decode(path, options: options)
                kept.append(label)
            } catch let error as DataError where options.skipInvalid {
                skipped.append(error.message)
            }
        }
        let count = kept.count
        let testCount = options.validationSplit.map { Int($0 * Double(count)) } ?? 0
        let images = SharedBuffer(pixels)
        let labelBuffer = SharedBuffer(kept)
        let channels = options.grayscale ? 1 : 3
        let train = DatasetSplit(name: "train", images: images, labels: labelBuffer, start: 0, count: count - testCount,
                                 height: options.height, width: options.width, channels: channels, classNames: classNames)
        let test = DatasetSplit(name: "test", images: images, labels: labelBuffer, start: count - testCount, count: testCount,
                                height: options.height, width: options.width, channels: channels, classNames: classNames)
        let name = (directory as NSString).lastPathComponent
        return ImageFolderResult(dataset: Dataset(name: name, train: train, test: test, source: directory), skipped: skipped)
    }

    /// Image files under `folder` and its subfolders, as Keras walks them: folders in sorted
    /// order of their paths, files sorted within each.
    static func imageFiles(in folder: String) -> [String] {
        var byFolder: [String: [String]] = [:]
        let fileManager = FileManager.default
        var pending = [folder]
        while let current = pending.popLast() {
            guard let names = try? fileManager.contentsOfDirectory(atPath: current) else { continue }
            for name in names {
                let path = (current as NSString).appendingPathComponent(name)
                var isFolder: ObjCBool = false
                guard fileManager.fileExists(atPath: path, isDirectory: &isFolder) else { continue }
                if isFolder.boolValue {
                    // os.walk does not follow symbolic links to folders by default.
                    let attributes = try? fileManager.attributesOfItem(atPath: path)
                    if attributes?[.type] as? FileAttributeType != .typeSymbolicLink { pending.append(path) }
                } else if extensions.contains(where: { name.lowercased().hasSuffix($0) }) {
                    byFolder[current, default: []].append(name)
                }
            }
            if byFolder[current] == nil { byFolder[current] = [] }
        }
        return byFolder.keys.sorted().flatMap { root in byFolder[root]!.sorted().map { (root as NSString).appendingPathComponent($0) } }
    }

    /// Writes `split`'s images as PNG files into one subfolder per class (`DIR/cat/00012.png`,
    /// numbered by position in the split), each file whole: a folder `read` takes back. The
    /// pixels are the stored bytes, before any scaling. Returns the number of files written.
    @discardableResult
    public static func write(_ split: DatasetSplit, to directory: String) throws -> Int {
        guard split.holdsBytes else {
            throw DataError("these are rows of numbers, not images of bytes; PNG files hold pixels",
                            hint: "save images writes images loaded as pixels (load cifar10, load images)")
        }
        let names = (0..<max(split.classNames.count, 1)).map { $0 < split.classNames.count ? split.classNames[$0] : String($0) }
        for index in 0..<split.count {
            let label = split.label(at: index)
            let className = label >= 0 && label < names.count ? names[label] : String(label)
            let safe = String(className.map { $0 == "/" || $0 == "\\" ? "_" : $0 })
            let folder = (directory as NSString).appendingPathComponent(safe)
            try AtomicFile.makeFolder(folder)
            let pixels = Array(split.pixels(at: index))
            var size = 0
            guard let encoded = pixels.withUnsafeBufferPointer({
                cnnb_encode_png($0.baseAddress, Int32(split.width), Int32(split.height), Int32(split.channels), &size)
            }) else {
                throw DataError("cannot encode image \(index) as PNG (\(split.width)x\(split.height)x\(split.channels))",
                                hint: "PNG holds grey or RGB images")
            }
            defer { free(encoded) }
            let name = String(format: "%05d.png", index)
            try AtomicFile.write(UnsafeBufferPointer(start: encoded, count: size), to: (folder as NSString).appendingPathComponent(name))
        }
        return split.count
    }

    /// One file's pixels at the requested size and channels.
    static func decode(_ path: String, options: ImageFolderOptions) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError("\(path): cannot be read", hint: "check the file's permissions")
        }
        return try decode(bytes: [UInt8](data), name: path, options: options)
    }

    /// An image file's bytes as `read` takes them: decoded, alpha dropped or grey made, resized;
    /// `name` names the file in errors.
    public static func decode(bytes: [UInt8], name: String, options: ImageFolderOptions,
                              maxPixels: Int = ImageFolder.maxPixels) throws -> [UInt8] {
        let image = try decode(bytes: bytes, name: name, maxPixels: maxPixels)
        var pixels = image.pixels
        var channels = image.channels
        if options.grayscale {
            pixels = grey(pixels, channels: channels)
            channels = 1
        } else if channels == 4 {
            pixels = dropAlpha(pixels)
            channels = 3
        }
        return resizeBilinear(pixels, height: image.height, width: image.width, channels: channels,
                              toHeight: options.height, toWidth: options.width)
    }

    /// The most pixels an image file may declare: its header is read before anything is
    /// allocated, so a few bytes that claim a million by a million pixels are refused. 2^27
    /// pixels (0.5 GB as RGBA) is a 134-megapixel photograph.
    public static let maxPixels = 1 << 27

    /// A file decoded by its content (PNG or JPEG signature): RGB, or RGBA for PNG.
    public static func decodeFile(_ path: String) throws -> (pixels: [UInt8], width: Int, height: Int, channels: Int) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError("\(path): cannot be read", hint: "check the file's permissions")
        }
        return try decode(bytes: [UInt8](data), name: path, maxPixels: maxPixels)
    }

    /// An image file's bytes decoded as `decodeFile` decodes them; `name` names it in errors.
    public static func decode(bytes: [UInt8], name path: String, maxPixels: Int)
        throws -> (pixels: [UInt8], width: Int, height: Int, channels: Int) {
        let isPNG = bytes.starts(with: [0x89, 0x50, 0x4E, 0x47])
        let isJPEG = bytes.starts(with: [0xFF, 0xD8])
        guard isPNG || isJPEG else {
            let kind = ((path as NSString).pathExtension).uppercased()
            throw DataError("\(path): not a PNG or JPEG image" + (kind == "GIF" || kind == "BMP" ? " (cnnb does not read \(kind))" : ""),
                            hint: "convert it to PNG, remove it, or load with skip_invalid to leave such files out")
        }
        var image = bytes.withUnsafeBufferPointer { buffer in
            let limit = UInt64(max(maxPixels, 0))
            return isPNG ? cnnb_decode_png(buffer.baseAddress, buffer.count, limit) : cnnb_decode_jpeg(buffer.baseAddress, buffer.count, limit)
        }
        defer { cnnb_image_free(&image) }
        guard let decoded = image.pixels else {
            let reason = withUnsafeBytes(of: image.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw DataError("\(path): not a valid \(isPNG ? "PNG" : "JPEG") image (\(reason))",
                            hint: "remove or replace the file, or load with skip_invalid to leave such files out")
        }
        let count = Int(image.width) * Int(image.height) * Int(image.channels)
        return (Array(UnsafeBufferPointer(start: decoded, count: count)), Int(image.width), Int(image.height), Int(image.channels))
    }

    /// RGBA to RGB by dropping alpha, as TensorFlow's `decode_png(channels=3)` and Pillow's
    /// `convert("RGB")` do.
    public static func dropAlpha(_ rgba: [UInt8]) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: rgba.count / 4 * 3)
        for i in 0..<(rgba.count / 4) {
            rgb[3 * i] = rgba[4 * i]
            rgb[3 * i + 1] = rgba[4 * i + 1]
            rgb[3 * i + 2] = rgba[4 * i + 2]
        }
        return rgb
    }

    /// RGB(A) to grey as Pillow's `convert("L")`: ITU-R 601 weights in 16-bit fixed point.
    public static func grey(_ pixels: [UInt8], channels: Int) -> [UInt8] {
        (0..<(pixels.count / channels)).map { i in
            let r = UInt32(pixels[channels * i]), g = UInt32(pixels[channels * i + 1]), b = UInt32(pixels[channels * i + 2])
            return UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
        }
    }

    /// Bilinear resampling with half-pixel centres and no antialiasing (`tf.image.resize`'s
    /// default, which Keras's image folders use), rounded to the nearest byte.
    public static func resizeBilinear(_ pixels: [UInt8], height: Int, width: Int, channels: Int,
                                      toHeight: Int, toWidth: Int) -> [UInt8] {
        if height == toHeight && width == toWidth { return pixels }
        func taps(_ outSize: Int, _ inSize: Int) -> [(Int, Int, Float)] {
            let scale = Float(inSize) / Float(outSize)
            return (0..<outSize).map { o in
                let source = max((Float(o) + 0.5) * scale - 0.5, 0)
                let low = min(Int(source), inSize - 1)
                let high = min(low + 1, inSize - 1)
                return (low, high, source - Float(low))
            }
        }
        let rows = taps(toHeight, height), columns = taps(toWidth, width)
        var out = [UInt8](repeating: 0, count: toHeight * toWidth * channels)
        for (y, (y0, y1, fy)) in rows.enumerated() {
            for (x, (x0, x1, fx)) in columns.enumerated() {
                for c in 0..<channels {
                    func at(_ r: Int, _ q: Int) -> Float { Float(pixels[(r * width + q) * channels + c]) }
                    let top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * fx
                    let bottom = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * fx
                    let value = top + (bottom - top) * fy
                    out[(y * toWidth + x) * channels + c] = UInt8(min(max(value.rounded(), 0), 255))
                }
            }
        }
        return out
    }
}
