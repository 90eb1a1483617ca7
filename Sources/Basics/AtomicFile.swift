import Foundation

/// Files are written whole or not at all: the bytes go to a temporary name in the same folder,
/// are flushed to disk, and the temporary file is then renamed over the destination. A process
/// killed half-way leaves the previous file as it was (and at worst a stray temporary file).
public enum AtomicFile {
    /// Why a file could not be written.
    public struct WriteError: ExplainedError, Equatable {
        public var path: String
        public var reason: String
        public var message: String { "cannot write \(path): \(reason)" }
        public var hint: String? { "check that the folder exists and is writable" }
    }

    public static func write<Bytes: Collection>(_ bytes: Bytes, to path: String) throws(WriteError) where Bytes.Element == UInt8 {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp").path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
        var failure: Int32 = 0
        let contiguous = Array(bytes)
        contiguous.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += n
            }
        }
        if failure == 0 && fsync(descriptor) != 0 { failure = errno }
        if close(descriptor) != 0 && failure == 0 { failure = errno }
        if failure == 0 && rename(temporary, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw WriteError(path: path, reason: String(cString: strerror(failure)))
        }
    }

    public static func write(_ data: Data, to path: String) throws(WriteError) {
        try write([UInt8](data), to: path)
    }

    public static func write(_ text: String, to path: String) throws(WriteError) {
        try write(Array(text.utf8), to: path)
    }

    /// Creates `path` and any missing parents.
    public static func makeFolder(_ path: String) throws(WriteError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw WriteError(path: path, reason: (error as NSError).localizedDescription)
        }
    }
}
