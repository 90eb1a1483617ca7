import Foundation

/// A minimal reader of (gzip-compressed) tar archives: ustar and GNU headers, regular files and
/// folders, long names (GNU `L` and pax `path`); links and devices are skipped. Names that would
/// escape the destination (absolute or with `..`) are refused.
public enum TarArchive {
    static let block = 512

    /// An entry read from an archive: its path inside it, type flag and size.
    public struct Entry: Equatable {
        public var path: String
        public var type: UInt8
        public var size: Int
    }

    /// Unpacks `archive` (.tar.gz) into the existing folder `destination`; returns the paths written.
    @discardableResult
    static func extractGzip(_ archive: String, into destination: String) throws -> [String] {
        var written: [String] = []
        try read(GzipReader(path: archive), into: destination) { entry in
            if entry.type == 0 || entry.type == UInt8(ascii: "0") || entry.type == UInt8(ascii: "7") {
                written.append(destination + "/" + entry.path)
            }
        }
        return written
    }

    /// The entries of a tar archive (gzip-compressed or not) given as bytes, read as
    /// `extractGzip` reads them but without writing anything; `name` names it in errors.
    public static func entries(fromBytes bytes: [UInt8], name: String) throws -> [Entry] {
        var entries: [Entry] = []
        try read(GzipBytes(bytes, name: name), into: nil) { entries.append($0) }
        return entries
    }

    /// Reads every entry of `reader`, unpacking files and folders into `destination` when given.
    private static func read(_ reader: some ByteStream, into destination: String?, visit: (Entry) -> Void) throws {
        let archive = reader.path
        var header = [UInt8](repeating: 0, count: block)
        var longName: String?
        // 1 MB at most, and no more than the stream can hold: a small archive gets a small buffer.
        let bufferSize = min(1 << 20, max(reader.maximumLength, block))
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }

        while true {
            let n = try header.withUnsafeMutableBytes { try reader.read(into: $0.baseAddress!, count: block) }
            if n == 0 { break }  // end without the customary zero blocks
            guard n == block else { throw truncated(archive) }
            if header.allSatisfy({ $0 == 0 }) { break }
            guard checksumMatches(header) else {
                throw DataError("\(archive) is not a valid tar archive (a header checksum is wrong)",
                                hint: "the archive is corrupt; delete it and download it again")
            }
            let size = try number(header, 124, 12, archive)
            let type = header[156]
            let padded = (size + block - 1) / block * block

            // Entries whose content is metadata: read it whole.
            if type == UInt8(ascii: "L") || type == UInt8(ascii: "x") || type == UInt8(ascii: "g") {
                guard size <= 1 << 20 else { throw DataError("\(archive) has an oversized tar header entry") }
                var content = [UInt8](repeating: 0, count: max(padded, 1))
                let n = try content.withUnsafeMutableBytes { try reader.read(into: $0.baseAddress!, count: padded) }
                guard n == padded else { throw truncated(archive) }
                let bytes = content.prefix(size)
                if type == UInt8(ascii: "L") {
                    let name = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                    longName = name.isEmpty ? nil : name
                } else if type == UInt8(ascii: "x"), let path = paxPath(Array(bytes)) {
                    longName = path
                }
                continue
            }

            let name = longName ?? headerName(header)
            longName = nil
            let relative = try safeRelativePath(name, archive: archive)
            visit(Entry(path: relative, type: type, size: size))
            let isFile = type == 0 || type == UInt8(ascii: "0") || type == UInt8(ascii: "7")
            let isFolder = type == UInt8(ascii: "5")
            if let destination, isFolder, !relative.isEmpty {
                try FileManager.default.createDirectory(atPath: destination + "/" + relative,
                                                        withIntermediateDirectories: true)
            }
            if let destination, isFile, !relative.isEmpty {
                let path = destination + "/" + relative
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
                guard let output = fopen(path, "wb") else {
                    throw DataError("cannot create \(path): \(String(cString: strerror(errno)))")
                }
                defer { fclose(output) }
                var left = padded
                var contentLeft = size
                while left > 0 {
                    let step = min(left, bufferSize)
                    guard try reader.read(into: buffer, count: step) == step else { throw truncated(archive) }
                    let keep = min(step, contentLeft)
                    if keep > 0, fwrite(buffer, 1, keep, output) != keep {
                        throw DataError("cannot write \(path): \(String(cString: strerror(errno)))",
                                        hint: "check the free space in \(destination)")
                    }
                    contentLeft -= keep
                    left -= step
                }
            } else {
                // Skip the content of anything else (links have none, devices none).
                var left = padded
                while left > 0 {
                    let step = min(left, bufferSize)
                    guard try reader.read(into: buffer, count: step) == step else { throw truncated(archive) }
                    left -= step
                }
            }
        }
    }

    private static func truncated(_ archive: String) -> DataError {
        DataError("\(archive) ends in the middle of a tar entry", hint: "the archive is incomplete; download it again")
    }

    /// POSIX ustar: `prefix/name`; older formats: `name` alone. Only the exact POSIX magic
    /// `ustar\0` has a prefix field: old GNU headers (`ustar  \0`) keep access and change
    /// times there.
    private static func headerName(_ header: [UInt8]) -> String {
        func field(_ start: Int, _ length: Int) -> String {
            String(decoding: header[start..<start + length].prefix { $0 != 0 }, as: UTF8.self)
        }
        let name = field(0, 100)
        let isUstar = header[257..<263].elementsEqual("ustar\0".utf8)
        let prefix = isUstar ? field(345, 155) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    /// The `path` record of a pax extended header ("LEN path=VALUE\n" records).
    private static func paxPath(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        for record in text.split(separator: "\n") {
            guard let space = record.firstIndex(of: " ") else { continue }
            let pair = record[record.index(after: space)...]
            if pair.hasPrefix("path=") { return String(pair.dropFirst(5)) }
        }
        return nil
    }

    /// Octal (or GNU base-256 for large values) number field: a size, which is never negative
    /// and leaves room to round up to whole blocks.
    static func number(_ header: [UInt8], _ start: Int, _ length: Int, _ archive: String) throws -> Int {
        let field = header[start..<start + length]
        let bad = DataError("\(archive) is not a valid tar archive (bad number in a header)",
                            hint: "the archive is corrupt; download it again")
        if let first = field.first, first & 0x80 != 0 {
            // Base-256, big-endian two's complement: 0x80 starts a positive value, 0xFF a negative one.
            guard first == 0x80 else { throw bad }
            var value = 0
            for byte in field.dropFirst() {
                guard value <= (Int.max - block) >> 8 else {
                    throw DataError("\(archive) is not a valid tar archive (a size in a header is larger than any file)",
                                    hint: "the archive is corrupt; download it again")
                }
                value = value << 8 | Int(byte)
            }
            return value
        }
        var value = 0
        for byte in field {
            if byte == 0 || byte == UInt8(ascii: " ") { if value > 0 { break } else { continue } }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "7") else { throw bad }
            value = value * 8 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func checksumMatches(_ header: [UInt8]) -> Bool {
        var sum = 0
        for (i, byte) in header.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(byte) }
        var stored = 0
        for byte in header[148..<156] where byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "7") {
            stored = stored * 8 + Int(byte - UInt8(ascii: "0"))
        }
        return sum == stored
    }

    /// The entry's path with `.` parts and leading slashes removed; `..` is refused.
    private static func safeRelativePath(_ name: String, archive: String) throws -> String {
        var parts: [Substring] = []
        for part in name.split(separator: "/") where part != "." {
            if part == ".." {
                throw DataError("\(archive) has an entry outside its folder (\(name)); refusing to unpack it")
            }
            parts.append(part)
        }
        return parts.joined(separator: "/")
    }
}
