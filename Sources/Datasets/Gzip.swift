import CZlib

/// A gzip file read through zlib (`gzread` inflates as it goes; a plain file reads as is).
final class GzipReader {
    let path: String
    private let file: gzFile

    init(path: String) throws {
        guard FileIO.isFile(path) else { throw DataError("\(path) does not exist") }
        guard let file = gzopen(path, "rb") else {
            throw DataError("cannot open \(path)")
        }
        self.path = path
        self.file = file
        gzbuffer(file, 1 << 20)
    }

    deinit { gzclose(file) }

    /// Reads up to `count` bytes; fewer only at the end of the data.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        var done = 0
        while done < count {
            let step = UInt32(min(count - done, 1 << 30))
            let n = gzread(file, buffer + done, step)
            if n < 0 { throw DataError("\(path) is not valid gzip data: \(lastError)",
                                       hint: "the file is corrupt; copy or download it again") }
            if n == 0 { break }
            done += Int(n)
        }
        // zlib reports a stream cut short only through its error state.
        var code: Int32 = 0
        _ = gzerror(file, &code)
        if code != Z_OK && code != Z_STREAM_END {
            throw DataError("\(path) is truncated or corrupt gzip data: \(lastError)",
                            hint: "the file is incomplete; copy or download it again")
        }
        return done
    }

    /// Reads exactly `count` bytes of `what`, or says how much was missing.
    func readExactly(into buffer: UnsafeMutableRawPointer, count: Int, what: String) throws {
        let n = try read(into: buffer, count: count)
        if n < count {
            throw DataError("\(path) is truncated: it ends after \(n) of the \(count) bytes of \(what)",
                            hint: "the file is incomplete; copy or download it again")
        }
    }

    /// True when no data is left.
    func atEnd() throws -> Bool {
        var byte: UInt8 = 0
        return try read(into: &byte, count: 1) == 0
    }

    private var lastError: String {
        var code: Int32 = 0
        guard let message = gzerror(file, &code) else { return "zlib error \(code)" }
        return String(cString: message)
    }
}
