import Foundation

/// Files are written whole or not at all: the bytes go to a temporary name in the same folder,
/// which is then renamed over the destination.
enum FileWriting {
    static func write(_ bytes: [UInt8], to path: String) throws(InteropError) {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        do {
            try Data(bytes).write(to: temporary)
        } catch {
            throw InteropError("cannot write \(path): \((error as NSError).localizedDescription)",
                               hint: "check that the folder exists and is writable")
        }
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw InteropError("cannot write \(path): \(reason)", hint: "check that the folder is writable")
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
        for i in (0..<width).reversed() { value = value << 8 | UInt64(self[offset + i]) }
        return value
    }
}
