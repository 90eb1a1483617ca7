import CZlib

/// Bytes read in order, from a file or from memory: the data readers (IDX, tar) take one, so
/// they read a file on disk and a buffer (a fuzzer's input) through the same code.
protocol ByteStream: AnyObject {
    /// Names the data in errors.
    var path: String { get }
    /// Reads up to `count` bytes; fewer only at the end of the data.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int
    /// The most bytes the data can still give: a claim past it is not read at all.
    var maximumLength: Int { get }
    /// Asked between chunks of a long read (Ctrl-C); true stops it with `DataError.stopped`.
    var shouldStop: () -> Bool { get }
}

extension ByteStream {
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

    /// Exactly `count` bytes of `what` into a new buffer. The count comes from a header: one
    /// the data cannot hold is refused before anything is allocated.
    func readBuffer(count: Int, what: String) throws -> SharedBuffer<UInt8> {
        guard count <= maximumLength else {
            throw DataError("\(path) is truncated or damaged: its header claims \(what) (\(count) bytes), more than the file can hold",
                            hint: "the file is incomplete or not this format; copy or download it again")
        }
        let buffer = SharedBuffer<UInt8>(count: count)
        var done = 0
        while done < count {
            if shouldStop() { throw DataError.stopped }
            let step = min(1 << 24, count - done)
            let n = try read(into: buffer.pointer + done, count: step)
            if n < step {
                throw DataError("\(path) is truncated: it ends after \(done + n) of the \(count) bytes of \(what)",
                                hint: "the file is incomplete; copy or download it again")
            }
            done += n
        }
        return buffer
    }
}

/// gzip data in memory as the data readers read it.
public enum Gzip {
    /// The bytes `bytes` inflate to (several gzip members in a row; bytes without the gzip
    /// magic as they are), at most `limit` of them; `name` names the data in errors.
    public static func inflate(_ bytes: [UInt8], name: String, limit: Int) throws -> [UInt8] {
        let stream = try GzipBytes(bytes, name: name)
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while output.count < limit {
            let n = try chunk.withUnsafeMutableBytes { try stream.read(into: $0.baseAddress!, count: min($0.count, limit - output.count)) }
            if n == 0 { break }
            output += chunk[0..<n]
        }
        return output
    }
}

/// gzip data in memory, inflated as it is read (several members in a row, as `gzread` reads
/// them); bytes that do not start with the gzip magic are read as they are.
final class GzipBytes: ByteStream {
    let path: String
    let shouldStop: () -> Bool = { false }
    var maximumLength: Int { compressed ? (input.count - position) * deflateRatio : input.count - position }
    private var input: [UInt8]
    private var stream = z_stream()
    private let compressed: Bool
    private var position = 0
    private var finished = false

    init(_ bytes: [UInt8], name: String) throws {
        path = name
        input = bytes
        compressed = bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
        // 15 + 16: a gzip wrapper, the largest window.
        if compressed && inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) != Z_OK {
            throw DataError("zlib could not start inflating \(name)")
        }
    }

    deinit { if compressed { inflateEnd(&stream) } }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        guard compressed else {
            let n = min(count, input.count - position)
            guard n > 0 else { return 0 }
            input.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
            position += n
            return n
        }
        var done = 0
        while done < count && !finished {
            let step = min(count - done, 1 << 30)
            let (status, produced, consumed) = input.withUnsafeMutableBufferPointer { source -> (Int32, Int, Int) in
                stream.next_in = source.baseAddress! + position
                stream.avail_in = UInt32(min(source.count - position, 1 << 30))
                stream.next_out = (buffer + done).assumingMemoryBound(to: UInt8.self)
                stream.avail_out = UInt32(step)
                let before = stream.avail_in
                let status = inflate(&stream, Z_NO_FLUSH)
                return (status, step - Int(stream.avail_out), Int(before - stream.avail_in))
            }
            position += consumed
            done += produced
            switch status {
            case Z_STREAM_END:
                // Another member may follow; anything else after the last one is ignored, as gzread does.
                if position + 2 <= input.count && input[position] == 0x1F && input[position + 1] == 0x8B {
                    inflateReset(&stream)
                } else {
                    finished = true
                }
            case Z_OK:
                if produced == 0 && consumed == 0 {
                    throw DataError("\(path) is truncated gzip data", hint: "the file is incomplete; copy or download it again")
                }
            case Z_BUF_ERROR:
                throw DataError("\(path) is truncated gzip data", hint: "the file is incomplete; copy or download it again")
            default:
                throw DataError("\(path) is not valid gzip data: \(stream.msg.map { String(cString: $0) } ?? "zlib error \(status)")",
                                hint: "the file is corrupt; copy or download it again")
            }
        }
        return done
    }
}

/// Deflate turns one byte into at most 1,032.
let deflateRatio = 1032

/// A gzip file read through zlib (`gzread` inflates as it goes; a plain file reads as is).
final class GzipReader: ByteStream {
    let path: String
    let shouldStop: () -> Bool
    let maximumLength: Int
    private let file: gzFile

    init(path: String, shouldStop: @escaping () -> Bool = { false }) throws {
        guard let size = FileIO.size(path) else { throw DataError("\(path) does not exist") }
        self.shouldStop = shouldStop
        // A bound for the whole file: reads only make what is left smaller.
        maximumLength = size * deflateRatio
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

    private var lastError: String {
        var code: Int32 = 0
        guard let message = gzerror(file, &code) else { return "zlib error \(code)" }
        return String(cString: message)
    }
}
