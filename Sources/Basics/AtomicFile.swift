import Foundation

/// Files are written whole or not at all: the bytes go to a temporary name in the same folder,
/// are flushed to disk, and the temporary file is then renamed over the destination. A process
/// killed half-way leaves the previous file as it was, and a stray temporary file that the next
/// write of the same file removes.
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
        let folder = url.deletingLastPathComponent().path
        removeStaleTemporaries(of: url.lastPathComponent, in: folder)
        let temporary = (folder as NSString)
            .appendingPathComponent(temporaryName(of: url.lastPathComponent, process: getpid(), number: UInt32.random(in: 0...UInt32.max)))
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

    /// `.NAME.PID.N.tmp`: the temporary file a process writes before renaming it to NAME.
    static func temporaryName(of name: String, process: pid_t, number: UInt32) -> String {
        ".\(name).\(process).\(number).tmp"
    }

    /// Removes the temporary files of `name` in `folder` that processes which no longer exist
    /// left behind (killed in the middle of a write). Only names of exactly `temporaryName`'s
    /// form are touched, never this process's own, nor a process's that is still running
    /// (`kill(pid, 0)` answers ESRCH only for a process that is gone).
    static func removeStaleTemporaries(of name: String, in folder: String) {
        // readdir, not FileManager: this runs before every write, in folders of thousands of images.
        guard let directory = opendir(folder.isEmpty ? "." : folder) else { return }
        defer { closedir(directory) }
        let prefix = Array(".\(name).".utf8)
        let suffix = Array(".tmp".utf8)
        var stale: [String] = []
        while let entry = readdir(directory) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            guard entryName.count > prefix.count + suffix.count, entryName.starts(with: prefix),
                  entryName.suffix(suffix.count).elementsEqual(suffix) else { continue }
            // What lies between is PID.N, both decimal.
            let middle = entryName[prefix.count..<(entryName.count - suffix.count)].split(separator: UInt8(ascii: "."),
                                                                                           omittingEmptySubsequences: false)
            guard middle.count == 2, middle.allSatisfy({ !$0.isEmpty && $0.count <= 10 && $0.allSatisfy { $0 >= 48 && $0 <= 57 } }),
                  let process = pid_t(String(decoding: middle[0], as: UTF8.self)), process > 0,
                  UInt32(String(decoding: middle[1], as: UTF8.self)) != nil,
                  process != getpid(), kill(process, 0) != 0, errno == ESRCH else { continue }
            stale.append(String(decoding: entryName, as: UTF8.self))
        }
        for file in stale { unlink((folder as NSString).appendingPathComponent(file)) }
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
