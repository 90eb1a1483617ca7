import Basics
import Engine

/// One NumPy array of float32 values in C (row-major) order: what a `.npy` file holds.
public struct NumpyArray: Equatable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "\(values.count) values do not fill shape \(shape)")
        self.shape = shape
        self.values = values
    }

    public init(_ tensor: Tensor) {
        self.init(shape: tensor.shape, values: tensor.scalars)
    }

    public var tensor: Tensor { Tensor(shape: shape, values: values) }
}

/// NumPy's `.npy` format, version 1.0 as NumPy writes it:
///
///     magic        6 bytes  "\x93NUMPY"
///     version      2 bytes  1, 0
///     header size  UInt16 little-endian
///     header       ASCII Python dict literal, padded with spaces and ended by "\n" so that
///                  the data starts at a multiple of 64 bytes:
///                  {'descr': '<f4', 'fortran_order': False, 'shape': (3, 3, 3, 32), }
///     data         product(shape) little-endian float32 values, C order
///
/// Reading also takes versions 2.0 and 3.0 (a UInt32 header size), `'<f8'` data (converted
/// to float32) and the big-endian `'>f4'`; it refuses Fortran order and other types with a
/// hint that says how to convert in NumPy.
public enum Npy {
    public static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// The header dict for float32 data of `shape`: `(5,)` for one axis, `()` for a scalar.
    static func header(shape: [Int]) -> String {
        let tuple = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        return "{'descr': '<f4', 'fortran_order': False, 'shape': \(tuple), }"
    }

    public static func encode(_ array: NumpyArray) -> [UInt8] {
        var text = header(shape: array.shape)
        let unpadded = magic.count + 2 + 2 + text.utf8.count + 1
        text += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes = magic + [1, 0]
        bytes.appendLE16(UInt16(text.utf8.count))
        bytes.append(contentsOf: text.utf8)
        appendFloats(array.values, to: &bytes)
        return bytes
    }

    /// Appends `values` as little-endian float32.
    static func appendFloats(_ values: [Float], to bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: values.count * 4))
        bytes.withUnsafeMutableBytes { raw in
            let out = raw.baseAddress! + start
            values.withUnsafeBytes { source in
                guard let base = source.baseAddress else { return }
                out.copyMemory(from: base, byteCount: source.count)
            }
            if UInt32(1).littleEndian != 1 {
                for i in 0..<values.count { out.storeBytes(of: values[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
            }
        }
    }

    /// Decodes a whole `.npy` file; `name` says which file (or npz member) in errors.
    public static func decode(_ bytes: ArraySlice<UInt8>, name: String) throws(InteropError) -> NumpyArray {
        let damaged = "the file is damaged; write it again with numpy.save"
        let start = bytes.startIndex
        guard bytes.count >= 10, Array(bytes[start..<(start + 6)]) == magic else {
            throw InteropError("\(name) is not a NumPy .npy array (it does not start with \\x93NUMPY)",
                               hint: "write arrays with numpy.save or numpy.savez")
        }
        let major = bytes[start + 6]
        let headerSize: Int, headerStart: Int
        switch major {
        case 1:
            headerSize = Int(bytes.littleEndian(at: start + 8, width: 2))
            headerStart = start + 10
        case 2, 3:
            guard bytes.count >= 12 else { throw truncated(name, what: "its header", size: bytes.count) }
            headerSize = Int(bytes.littleEndian(at: start + 8, width: 4))
            headerStart = start + 12
        default:
            throw InteropError("\(name) is a .npy file of format version \(major).\(bytes[start + 7]), which cnnb does not read",
                               hint: "write it with numpy.save, which uses versions 1.0 to 3.0")
        }
        guard headerStart + headerSize <= bytes.endIndex else { throw truncated(name, what: "its header", size: bytes.count) }
        guard let text = String(validating: bytes[headerStart..<(headerStart + headerSize)], as: UTF8.self) else {
            throw InteropError("\(name) has a header that is not text", hint: damaged)
        }
        let header: [String: PythonLiteral]
        do {
            header = try PythonLiteral.parseDict(text)
        } catch {
            throw InteropError("\(name) has a header NumPy would not write: \(error.message)", hint: damaged)
        }
        guard case .string(let descr)? = header["descr"] else {
            throw InteropError("\(name)'s header lacks the data type ('descr')", hint: damaged)
        }
        guard case .bool(let fortran)? = header["fortran_order"] else {
            throw InteropError("\(name)'s header lacks 'fortran_order'", hint: damaged)
        }
        guard case .tuple(let dims)? = header["shape"], dims.allSatisfy({ $0 >= 0 }) else {
            throw InteropError("\(name)'s header lacks a valid 'shape'", hint: damaged)
        }
        if fortran {
            throw InteropError("\(name) is stored in Fortran order", hint: "save numpy.ascontiguousarray(a) instead")
        }
        let width: Int, bigEndian: Bool
        switch descr {
        case "<f4", "=f4": width = 4; bigEndian = false
        case ">f4": width = 4; bigEndian = true
        case "<f8", "=f8": width = 8; bigEndian = false
        case ">f8": width = 8; bigEndian = true
        default:
            throw InteropError("\(name) holds data of type '\(descr)'; cnnb reads float32 ('<f4') and float64 ('<f8')",
                               hint: "save a.astype(numpy.float32)")
        }
        var count = 1
        for d in dims {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw InteropError("\(name) claims an impossible shape \(dims)", hint: damaged) }
            count = product
        }
        let dataStart = headerStart + headerSize
        let available = bytes.endIndex - dataStart
        guard count <= available / width else {
            // The claimed size may not fit an Int: say so rather than multiply it out.
            let (needed, overflow) = count.multipliedReportingOverflow(by: width)
            let bytesNeeded = overflow ? "more than \(Int.max)" : "\(needed)"
            throw InteropError("\(name) is truncated: shape \(kerasTupleText(dims)) needs \(bytesNeeded) bytes of data, the file has \(available)",
                               hint: "the file is incomplete; write it again")
        }
        guard available == count * width else {
            throw InteropError("\(name) has \(available - count * width) bytes after its data", hint: damaged)
        }
        var values = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            let data = raw.baseAddress! + (dataStart - start)
            values.withUnsafeMutableBufferPointer { out in
                if width == 4 {
                    for i in 0..<count {
                        let bits = data.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
                        out[i] = Float(bitPattern: bigEndian ? UInt32(bigEndian: bits) : UInt32(littleEndian: bits))
                    }
                } else {
                    for i in 0..<count {
                        let bits = data.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)
                        out[i] = Float(Double(bitPattern: bigEndian ? UInt64(bigEndian: bits) : UInt64(littleEndian: bits)))
                    }
                }
            }
        }
        return NumpyArray(shape: dims, values: values)
    }

    private static func truncated(_ name: String, what: String, size: Int) -> InteropError {
        InteropError("\(name) is truncated: it ends inside \(what) at byte \(size)",
                     hint: "the file is incomplete; write it again")
    }

    /// Writes `array` to `path` as a `.npy` file.
    public static func write(_ array: NumpyArray, to path: String) throws(InteropError) {
        try FileWriting.write(encode(array), to: path)
    }

    /// Reads a `.npy` file.
    public static func read(_ path: String) throws(InteropError) -> NumpyArray {
        try decode(FileWriting.read(path, what: "the array file")[...], name: path)
    }
}

/// The few Python literals a `.npy` header uses: strings, booleans, tuples of integers.
enum PythonLiteral: Equatable {
    case string(String)
    case bool(Bool)
    case tuple([Int])

    /// Parses `{'key': value, ...}` with an optional trailing comma and surrounding spaces.
    static func parseDict(_ text: String) throws(InteropError) -> [String: PythonLiteral] {
        var scanner = Scanner(Array(text.unicodeScalars))
        var result: [String: PythonLiteral] = [:]
        try scanner.expect("{")
        while true {
            scanner.skipSpace()
            if scanner.peek == "}" { scanner.index += 1; break }
            let key = try scanner.string()
            try scanner.expect(":")
            result[key] = try scanner.value()
            scanner.skipSpace()
            if scanner.peek == "," { scanner.index += 1; continue }
            try scanner.expect("}")
            break
        }
        scanner.skipSpace()
        guard scanner.index == scanner.characters.count else { throw InteropError("text after the closing brace") }
        return result
    }

    private struct Scanner {
        let characters: [Unicode.Scalar]
        var index = 0
        init(_ characters: [Unicode.Scalar]) { self.characters = characters }

        var peek: Unicode.Scalar? { index < characters.count ? characters[index] : nil }

        mutating func skipSpace() {
            while let c = peek, c == " " || c == "\n" || c == "\t" || c == "\r" { index += 1 }
        }

        mutating func expect(_ c: Unicode.Scalar) throws(InteropError) {
            skipSpace()
            guard peek == c else { throw InteropError("expected '\(c)' at character \(index + 1)") }
            index += 1
        }

        mutating func string() throws(InteropError) -> String {
            skipSpace()
            guard let quote = peek, quote == "'" || quote == "\"" else {
                throw InteropError("expected a quoted name at character \(index + 1)")
            }
            index += 1
            var s = ""
            while let c = peek, c != quote { s.unicodeScalars.append(c); index += 1 }
            guard peek == quote else { throw InteropError("unterminated string") }
            index += 1
            return s
        }

        mutating func integer() throws(InteropError) -> Int {
            skipSpace()
            var digits = ""
            while let c = peek, ("0"..."9").contains(c) { digits.unicodeScalars.append(c); index += 1 }
            if peek == "L" { index += 1 }
            guard let value = Int(digits) else { throw InteropError("expected a whole number at character \(index + 1)") }
            return value
        }

        mutating func value() throws(InteropError) -> PythonLiteral {
            skipSpace()
            switch peek {
            case "'", "\"": return .string(try string())
            case "(":
                index += 1
                var items: [Int] = []
                while true {
                    skipSpace()
                    if peek == ")" { index += 1; break }
                    items.append(try integer())
                    skipSpace()
                    if peek == "," { index += 1; continue }
                    try expect(")")
                    break
                }
                return .tuple(items)
            default:
                var word = ""
                while let c = peek, c.properties.isAlphabetic { word.unicodeScalars.append(c); index += 1 }
                switch word {
                case "True": return .bool(true)
                case "False": return .bool(false)
                default: throw InteropError("unexpected value at character \(index + 1)")
                }
            }
        }
    }
}
