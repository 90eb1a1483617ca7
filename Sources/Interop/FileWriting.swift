import Basics
import Foundation

/// Interop's files, written whole through `AtomicFile` and read with errors that name them.
enum FileWriting {
    static func write(_ bytes: [UInt8], to path: String) throws(InteropError) {
        do {
            try AtomicFile.write(bytes, to: path)
        } catch {
            throw InteropError(error.message, hint: error.hint)
        }
    }

    static func write(_ text: String, to path: String) throws(InteropError) {
        try write(Array(text.utf8), to: path)
    }

    static func read(_ path: String, what: String) throws(InteropError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw InteropError("cannot read \(what) \(path): " + (exists ? "it is not readable" : "no such file"),
                               hint: "check the path")
        }
        return [UInt8](data)
    }
}

/// Little-endian integer reads and writes on byte arrays.
extension Array where Element == UInt8 {
    mutating func appendLE16(_ value: UInt16) { append(UInt8(value & 0xFF)); append(UInt8(value >> 8)) }
    mutating func appendLE32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }
    mutating func appendLE64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { append(UInt8((value >> UInt64(shift)) & 0xFF)) }
    }
}

extension ArraySlice where Element == UInt8 {
    /// The little-endian integer of `width` bytes at `offset` (an index into the base array).
    func littleEndian(at offset: Int, width: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<width { value |= UInt64(self[offset + i]) << (8 * i) }
        return value
    }
}
