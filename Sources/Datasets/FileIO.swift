import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small POSIX helpers: datasets are read whole into preallocated buffers, without Foundation's
/// intermediate copies.
enum FileIO {
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func isFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Size in bytes of a regular file, or nil when there is none.
    static func size(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    /// Reads `count` bytes at `offset` of an open file into `buffer`.
    static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int,
                     path: String) throws {
        var done = 0
        while done < count {
            let n = pread(descriptor, buffer + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { throw DataError("\(path) ended early (it shrank while being read)") }
            done += n
        }
    }

    static func open(_ path: String) throws -> Int32 {
        let descriptor = openFile(path, O_RDONLY)
        if descriptor < 0 { throw DataError("cannot open \(path): \(String(cString: strerror(errno)))") }
        return descriptor
    }

    static func readText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError("cannot read \(path)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Home folder of the user, from $HOME or the password database.
    static var homeDirectory: String {
        if let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty { return home }
        return NSHomeDirectory()
    }
}

#if canImport(Glibc)
private let openFile: (UnsafePointer<CChar>, Int32) -> Int32 = { Glibc.open($0, $1) }
#else
private let openFile: (UnsafePointer<CChar>, Int32) -> Int32 = { Darwin.open($0, $1) }
#endif
