import Basics
import Foundation

/// Why weights could not be saved or loaded, with what would fix it.
public typealias WeightFileError = Problem

/// The cnnb weight file (`.cnnbw`), all integers little-endian:
///
///     magic    8 bytes   "CNNBWTS\0"
///     version  UInt32    1
///     count    UInt32    number of weights that follow
///     count times:
///       layer name   UInt32 byte length, then UTF-8 bytes   ("conv2d")
///       weight name  UInt32 byte length, then UTF-8 bytes   ("kernel", "bias")
///       rank         UInt32
///       shape        rank × UInt32                          (3, 3, 3, 32): Keras's layout
///       data         product(shape) × Float32 (IEEE 754, little-endian), row-major
///
/// Weights appear in the model's layer order, each layer's in Keras's order (kernel, bias).
/// Nothing follows the last weight.
public enum WeightFile {
    public static let magic: [UInt8] = Array("CNNBWTS".utf8) + [0]
    public static let version: UInt32 = 1

    /// One stored weight.
    public struct Entry: Equatable {
        public var layerName: String
        public var weightName: String
        public var shape: [Int]
        public var values: [Float]
    }

    /// Encodes `entries` in the format above.
    public static func encode(_ entries: [Entry]) -> [UInt8] {
        var bytes = magic
        func put(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        func put(_ text: String) {
            let utf8 = Array(text.utf8)
            put(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
        put(version)
        put(UInt32(entries.count))
        for entry in entries {
            put(entry.layerName)
            put(entry.weightName)
            put(UInt32(entry.shape.count))
            for d in entry.shape { put(UInt32(d)) }
            bytes.reserveCapacity(bytes.count + entry.values.count * 4)
            for v in entry.values { put(v.bitPattern) }
        }
        return bytes
    }

    /// Decodes a whole file, or says where it stops making sense.
    public static func decode(_ bytes: [UInt8], path: String = "weight file") throws(WeightFileError) -> [Entry] {
        var at = 0
        func truncated(_ what: String) -> WeightFileError {
            WeightFileError("\(path) is truncated: it ends inside \(what) at byte \(bytes.count)",
                            hint: "the file is incomplete; save the weights again")
        }
        func uint32(_ what: String) throws(WeightFileError) -> UInt32 {
            guard at + 4 <= bytes.count else { throw truncated(what) }
            let value = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
            at += 4
            return value
        }
        func text(_ what: String) throws(WeightFileError) -> String {
            let length = Int(try uint32(what))
            guard at + length <= bytes.count else { throw truncated(what) }
            guard let s = String(validating: bytes[at..<(at + length)], as: UTF8.self) else {
                throw WeightFileError("\(path) has a \(what) that is not UTF-8 at byte \(at)",
                                      hint: "the file is damaged; save the weights again")
            }
            at += length
            return s
        }
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw WeightFileError("\(path) is not a cnnb weight file (it does not start with CNNBWTS)",
                                  hint: "load a file written by saving a model's weights")
        }
        at = magic.count
        let fileVersion = try uint32("the version")
        guard fileVersion == version else {
            throw WeightFileError("\(path) has weight file version \(fileVersion); this cnnb reads version \(version)",
                                  hint: "save the weights again with this version")
        }
        let count = Int(try uint32("the weight count"))
        var entries: [Entry] = []
        for index in 0..<count {
            let what = "weight \(index + 1) of \(count)"
            let layerName = try text(what)
            let weightName = try text(what)
            let rank = Int(try uint32(what))
            guard rank <= 8 else {
                throw WeightFileError("\(path): \(layerName)/\(weightName) claims rank \(rank)", hint: "the file is damaged")
            }
            var shape: [Int] = []
            for _ in 0..<rank { shape.append(Int(try uint32(what))) }
            let elements = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            guard elements <= (bytes.count - at) / 4 else { throw truncated("\(layerName)/\(weightName)") }
            var values = [Float](repeating: 0, count: elements)
            for i in 0..<elements {
                let b = at + 4 * i
                values[i] = Float(bitPattern: UInt32(bytes[b]) | UInt32(bytes[b + 1]) << 8 | UInt32(bytes[b + 2]) << 16 | UInt32(bytes[b + 3]) << 24)
            }
            at += 4 * elements
            entries.append(Entry(layerName: layerName, weightName: weightName, shape: shape, values: values))
        }
        guard at == bytes.count else {
            throw WeightFileError("\(path) has \(bytes.count - at) bytes after its last weight",
                                  hint: "the file is damaged; save the weights again")
        }
        return entries
    }
}

extension Model {
    /// Every weight of the model, in layer order.
    public var weightEntries: [WeightFile.Entry] {
        weightPaths.map { path, parameter in
            WeightFile.Entry(layerName: String(path.dropLast(parameter.name.count + 1)), weightName: parameter.name,
                             shape: parameter.value.shape, values: parameter.value.scalars)
        }
    }

    /// Writes all weights to `path` in the `WeightFile` format, whole or not at all.
    public func saveWeights(to path: String) throws(WeightFileError) {
        do {
            try AtomicFile.write(WeightFile.encode(weightEntries), to: path)
        } catch {
            throw WeightFileError(error.message, hint: error.hint)
        }
    }

    /// Reads weights saved by `saveWeights` into this model. The file must hold exactly this
    /// model's weights (same layer names, weight names and shapes); everything is checked
    /// before any weight changes, so on any error the model is as it was.
    public func loadWeights(from path: String) throws(WeightFileError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WeightFileError("cannot read \(path): no such file or it is not readable",
                                  hint: "check the path")
        }
        try assignWeights(WeightFile.decode([UInt8](data), path: path), source: path)
    }

    /// Assigns `entries` (all of this model's weights) after checking every name and shape.
    public func assignWeights(_ entries: [WeightFile.Entry], source: String = "the weights") throws(WeightFileError) {
        var targets: [(Parameter, WeightFile.Entry)] = []
        var expected: [String: Parameter] = [:]
        var order: [String] = []
        for (key, parameter) in weightPaths {
            expected[key] = parameter
            order.append(key)
        }
        var seen: Set<String> = []
        for entry in entries {
            let key = "\(entry.layerName)/\(entry.weightName)"
            guard let parameter = expected[key] else {
                throw WeightFileError("\(source) has weight \(key), which model \(name) does not have",
                                      hint: "model \(name) has " + (order.isEmpty ? "no weights" : order.joined(separator: ", ")))
            }
            guard seen.insert(key).inserted else {
                throw WeightFileError("\(source) has weight \(key) twice", hint: "the file is damaged; save the weights again")
            }
            guard parameter.value.shape == entry.shape, entry.values.count == parameter.value.count else {
                throw WeightFileError("\(source) has \(key) of shape \(kerasTupleText(entry.shape)), model \(name) needs \(kerasTupleText(parameter.value.shape))",
                                      hint: "load weights saved from a model with the same layers")
            }
            targets.append((parameter, entry))
        }
        let missing = order.filter { !seen.contains($0) }
        guard missing.isEmpty else {
            throw WeightFileError("\(source) lacks weights " + missing.joined(separator: ", ") + " of model \(name)",
                                  hint: "load weights saved from a model with the same layers")
        }
        for (parameter, entry) in targets {
            entry.values.withUnsafeBufferPointer { if let base = $0.baseAddress { parameter.value.pointer.update(from: base, count: $0.count) } }
        }
    }
}
