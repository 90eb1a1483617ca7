/// The bytes of a `.cnnb` file as text. A file that is not UTF-8, or holds a NUL byte, is an
/// error placed at the first such byte, shown like any other diagnostic.
public enum SourceText {
    /// The file's text, or the diagnostic for its first bad byte together with a text to render
    /// it against (bad bytes shown as U+FFFD, NUL as U+2400; the bytes before the first one are
    /// unchanged, so the diagnostic's offset points into it).
    public static func decode(_ bytes: [UInt8], file: String) -> Result<String, Failure> {
        guard let bad = firstBadByte(bytes) else { return .success(String(decoding: bytes, as: UTF8.self)) }
        var line = 1
        var column = 1
        for byte in bytes[..<bad] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        let span = SourceSpan(file: file, line: line, column: column, offset: bad, length: 1)
        let diagnostic: Diagnostic
        if bytes[bad] == 0 {
            diagnostic = .error("a NUL byte in the text", at: span,
                                hint: "a .cnnb file is UTF-8 text; a NUL byte usually means it was saved as UTF-16 or is not text")
        } else {
            diagnostic = .error("the text is not UTF-8: byte 0x" + String(bytes[bad], radix: 16, uppercase: true)
                                + " does not start a UTF-8 character here", at: span,
                                hint: "save the file as UTF-8 (a Latin-1 file converts with iconv -f latin1 -t utf-8)")
        }
        let shown = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\u{0}", with: "\u{2400}")
        return .failure(Failure(diagnostic: diagnostic, shownText: shown))
    }

    public struct Failure: Error {
        public var diagnostic: Diagnostic
        /// The text the diagnostic is rendered against.
        public var shownText: String

        public func rendered(color: Bool = false) -> String { diagnostic.rendered(source: shownText, color: color) }
    }

    /// The offset of the first byte that does not belong to a well-formed UTF-8 character (no
    /// overlong forms, surrogates or values past U+10FFFF), or of the first NUL byte.
    static func firstBadByte(_ bytes: [UInt8]) -> Int? {
        var i = 0
        while i < bytes.count {
            let lead = bytes[i]
            if lead == 0 { return i }
            if lead < 0x80 {
                i += 1
                continue
            }
            let count: Int
            var second: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: count = 1
            case 0xE0: count = 2; second = 0xA0...0xBF
            case 0xED: count = 2; second = 0x80...0x9F
            case 0xE1...0xEF: count = 2
            case 0xF0: count = 3; second = 0x90...0xBF
            case 0xF4: count = 3; second = 0x80...0x8F
            case 0xF1...0xF3: count = 3
            default: return i
            }
            guard i + count < bytes.count, second.contains(bytes[i + 1]) else { return i }
            for k in 2..<(count + 1) where bytes[i + k] & 0xC0 != 0x80 { return i }
            i += count + 1
        }
        return nil
    }
}
