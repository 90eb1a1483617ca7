import CZlib

/// A zip archive of named byte strings, as `.npz` files are.
///
/// Writing stores every member uncompressed (method 0) with its CRC-32, a local header before
/// each member, a central directory and the end-of-central-directory record; no zip64 records,
/// so an archive and each member stay under 4 GiB. Reading takes what Python's `zipfile`
/// writes for `numpy.savez` and `numpy.savez_compressed`: stored or deflated members, zip64
/// extra fields and the zip64 end records; every member's CRC-32 is checked.
public enum Zip {
    public struct Member: Equatable {
        public var name: String
        public var bytes: [UInt8]

        public init(name: String, bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }
    }

    /// zlib's CRC-32 of `bytes`.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            var crc = CZlib.crc32(0, nil, 0)
            var at = 0
            while at < buffer.count {
                let n = min(buffer.count - at, Int(UInt32.max >> 1))
                crc = CZlib.crc32(crc, buffer.baseAddress! + at, UInt32(n))
                at += n
            }
            return UInt32(crc)
        }
    }

    /// 1980-01-01 00:00, the earliest time a zip header can hold: archives of the same
    /// members are byte for byte the same.
    static let dosTime: UInt16 = 0
    static let dosDate: UInt16 = (0 << 9) | (1 << 5) | 1

    public static func encode(_ members: [Member]) throws(InteropError) -> [UInt8] {
        var bytes: [UInt8] = []
        var central: [UInt8] = []
        guard members.count < 0xFFFF else {
            throw InteropError("a zip archive of \(members.count) members is too large for cnnb to write")
        }
        for member in members {
            let name = Array(member.name.utf8)
            let offset = bytes.count
            guard member.bytes.count < 0xFFFF_FFFF, offset < 0xFFFF_FFFF, name.count < 0xFFFF else {
                throw InteropError("zip member \(member.name) is too large for a zip archive without zip64",
                                   hint: "save fewer or smaller weights")
            }
            let crc = crc32(member.bytes)
            // Local file header.
            bytes.appendLE32(0x0403_4B50)
            bytes.appendLE16(20)                     // version needed: 2.0
            bytes.appendLE16(0x0800)                 // flags: names are UTF-8
            bytes.appendLE16(0)                      // method: stored
            bytes.appendLE16(dosTime)
            bytes.appendLE16(dosDate)
            bytes.appendLE32(crc)
            bytes.appendLE32(UInt32(member.bytes.count))
            bytes.appendLE32(UInt32(member.bytes.count))
            bytes.appendLE16(UInt16(name.count))
            bytes.appendLE16(0)                      // no extra field
            bytes.append(contentsOf: name)
            bytes.append(contentsOf: member.bytes)
            // Central directory entry.
            central.appendLE32(0x0201_4B50)
            central.appendLE16(0x0314)               // made by: Unix, 2.0
            central.appendLE16(20)
            central.appendLE16(0x0800)
            central.appendLE16(0)
            central.appendLE16(dosTime)
            central.appendLE16(dosDate)
            central.appendLE32(crc)
            central.appendLE32(UInt32(member.bytes.count))
            central.appendLE32(UInt32(member.bytes.count))
            central.appendLE16(UInt16(name.count))
            central.appendLE16(0)                    // extra
            central.appendLE16(0)                    // comment
            central.appendLE16(0)                    // disk
            central.appendLE16(0)                    // internal attributes
            central.appendLE32(0o100644 << 16)       // external: a regular file, rw-r--r--
            central.appendLE32(UInt32(offset))
            central.append(contentsOf: name)
        }
        let centralOffset = bytes.count
        guard centralOffset + central.count < 0xFFFF_FFFF else {
            throw InteropError("the archive is too large for a zip archive without zip64", hint: "save fewer or smaller weights")
        }
        bytes.append(contentsOf: central)
        bytes.appendLE32(0x0605_4B50)
        bytes.appendLE16(0)
        bytes.appendLE16(0)
        bytes.appendLE16(UInt16(members.count))
        bytes.appendLE16(UInt16(members.count))
        bytes.appendLE32(UInt32(central.count))
        bytes.appendLE32(UInt32(centralOffset))
        bytes.appendLE16(0)
        return bytes
    }

    /// Every member of the archive `bytes`, in the central directory's order; `path` names
    /// the archive in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws(InteropError) -> [Member] {
        let damaged = "the archive is damaged or incomplete; write it again"
        let all = bytes[...]
        func u16(_ at: Int) -> Int { Int(all.littleEndian(at: at, width: 2)) }
        func u32(_ at: Int) -> Int { Int(all.littleEndian(at: at, width: 4)) }
        func u64(_ at: Int) -> Int { Int(clamping: all.littleEndian(at: at, width: 8)) }

        // The end record is the last 22 bytes, unless a comment (at most 65535 bytes) follows it.
        var end = -1
        var at = bytes.count - 22
        // Its signature (PK 5 6) is compared byte by byte: in a file that is not a zip archive the
        // search looks at 64 KB of positions.
        while at >= 0 && at >= bytes.count - 22 - 0xFFFF {
            if bytes[at] == 0x50 && bytes[at + 1] == 0x4B && bytes[at + 2] == 0x05 && bytes[at + 3] == 0x06
                && at + 22 + u16(at + 20) == bytes.count { end = at; break }
            at -= 1
        }
        guard end >= 0 else {
            if bytes.count >= 4 && u32(0) == 0x0403_4B50 {
                throw InteropError("\(path) is truncated: the zip archive has no end record", hint: damaged)
            }
            throw InteropError("\(path) is not a zip archive (an .npz file is one)",
                               hint: "write weights with numpy.savez or save MODEL weights \"FILE.npz\"")
        }
        var count = u16(end + 10)
        var directorySize = u32(end + 12)
        var directoryOffset = u32(end + 16)
        if (count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF) && end >= 20
            && u32(end - 20) == 0x0706_4B50 {
            let record = u64(end - 20 + 8)
            guard record >= 0, record <= bytes.count - 56, u32(record) == 0x0606_4B50 else {
                throw InteropError("\(path) has a damaged zip64 end record", hint: damaged)
            }
            count = u64(record + 32)
            directorySize = u64(record + 40)
            directoryOffset = u64(record + 48)
        }
        // Sizes and offsets are claims of the file: compared by subtraction, so none overflows.
        guard directoryOffset >= 0, directorySize >= 0, directoryOffset <= end, directorySize <= end - directoryOffset else {
            throw InteropError("\(path) is truncated or damaged: its zip directory lies outside the file", hint: damaged)
        }
        var members: [Member] = []
        at = directoryOffset
        for index in 0..<count {
            guard at + 46 <= end, u32(at) == 0x0201_4B50 else {
                throw InteropError("\(path) has a damaged zip directory at entry \(index + 1) of \(count)", hint: damaged)
            }
            let flags = u16(at + 8), method = u16(at + 10)
            let crc = UInt32(u32(at + 16))
            var compressed = u32(at + 20), size = u32(at + 24)
            let nameLength = u16(at + 28), extraLength = u16(at + 30), commentLength = u16(at + 32)
            var localOffset = u32(at + 42)
            let nameStart = at + 46
            guard nameStart + nameLength + extraLength + commentLength <= end else {
                throw InteropError("\(path) has a damaged zip directory at entry \(index + 1) of \(count)", hint: damaged)
            }
            guard let name = String(validating: all[nameStart..<(nameStart + nameLength)], as: UTF8.self) else {
                throw InteropError("\(path) has a member whose name is not UTF-8", hint: damaged)
            }
            // zip64 extra field: the 8-byte values of the fields set to 0xFFFFFFFF, in order.
            var extra = nameStart + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = u16(extra), length = u16(extra + 2)
                if id == 1 {
                    var field = extra + 4
                    if size == 0xFFFF_FFFF, field + 8 <= extra + 4 + length { size = u64(field); field += 8 }
                    if compressed == 0xFFFF_FFFF, field + 8 <= extra + 4 + length { compressed = u64(field); field += 8 }
                    if localOffset == 0xFFFF_FFFF, field + 8 <= extra + 4 + length { localOffset = u64(field) }
                }
                extra += 4 + length
            }
            guard flags & 1 == 0 else {
                throw InteropError("\(path): member \(name) is encrypted", hint: "write the archive without a password")
            }
            guard localOffset >= 0, localOffset <= directoryOffset - 30, u32(localOffset) == 0x0403_4B50 else {
                throw InteropError("\(path) is truncated or damaged: member \(name) is not where the directory says", hint: damaged)
            }
            let dataStart = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28)
            guard compressed >= 0, size >= 0, dataStart <= directoryOffset, compressed <= directoryOffset - dataStart else {
                throw InteropError("\(path) is truncated: member \(name) needs \(compressed) bytes, fewer are left", hint: damaged)
            }
            let raw = Array(all[dataStart..<(dataStart + compressed)])
            let content: [UInt8]
            switch method {
            case 0:
                guard compressed == size else {
                    throw InteropError("\(path): stored member \(name) has two different sizes", hint: damaged)
                }
                content = raw
            case 8:
                content = try inflate(raw, size: size, name: name, path: path)
            default:
                throw InteropError("\(path): member \(name) is compressed with zip method \(method)",
                                   hint: "write the archive with numpy.savez or numpy.savez_compressed")
            }
            guard crc32(content) == crc else {
                throw InteropError("\(path): member \(name) fails its CRC-32 check", hint: damaged)
            }
            members.append(Member(name: name, bytes: content))
            at = extraEnd + commentLength
        }
        return members
    }

    /// Raw deflate (zip method 8) of a member whose uncompressed size is `size`. The size is
    /// the archive's claim: deflate makes at most 1,032 bytes of one, so a larger claim is
    /// refused, and the output grows only as inflating produces it.
    private static func inflate(_ input: [UInt8], size: Int, name: String, path: String) throws(InteropError) -> [UInt8] {
        let damaged = InteropError("\(path): member \(name) does not inflate to its \(size) bytes",
                                   hint: "the archive is damaged or incomplete; write it again")
        guard !input.isEmpty, size / 1032 <= input.count else { throw damaged }
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw InteropError("zlib could not start inflating \(name)")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        output.reserveCapacity(min(size, 1 << 24))
        let chunk = 1 << 16
        var scratch = [UInt8](repeating: 0, count: chunk)
        var consumed = 0
        while true {
            let status: Int32 = input.withUnsafeBufferPointer { inBuffer in
                scratch.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress! + consumed)
                    stream.avail_in = UInt32(min(inBuffer.count - consumed, 1 << 30))
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = UInt32(chunk)
                    let before = stream.avail_in
                    let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    consumed += Int(before - stream.avail_in)
                    return status
                }
            }
            let produced = chunk - Int(stream.avail_out)
            guard produced <= size - output.count else { throw damaged }
            output.append(contentsOf: scratch[0..<produced])
            if status == Z_STREAM_END { break }
            // Z_BUF_ERROR: no progress is possible, the input ended first.
            guard status == Z_OK else { throw damaged }
        }
        guard output.count == size else { throw damaged }
        return output
    }
}
