import Foundation

/// `--color auto|always|never`, and what `auto` reads: colour only on a terminal, never under
/// `NO_COLOR` (no-color.org: set and not empty) or `TERM=dumb`. A flag given on the command line
/// wins over `NO_COLOR`, as no-color.org asks. Every front end (REPL, `cnnb run`, `cnnb check`,
/// the Jupyter kernel) makes its decision here and passes the answer down.
public enum ColourChoice: String, CaseIterable, Sendable {
    case auto
    case always
    case never

    /// Whether output to a stream that is (or is not) a terminal gets ANSI colour.
    public func isOn(isTerminal: Bool, environment: [String: String]) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto: return isTerminal && TerminalStyle.allowsColour(environment: environment)
        }
    }
}

/// What a terminal can show, read from the environment alone (no I/O: the front end knows
/// whether it writes to a terminal).
public enum TerminalStyle {
    /// False under `NO_COLOR` (set and not empty) and `TERM=dumb`.
    public static func allowsColour(environment: [String: String]) -> Bool {
        if let noColour = environment["NO_COLOR"], !noColour.isEmpty { return false }
        return environment["TERM"] != "dumb"
    }

    /// How figures are drawn inline: `CNNB_IMAGES` (kitty, iterm, sixel, blocks or none) when
    /// set, else the terminal's own protocol as its variables name it (kitty; iTerm2 and WezTerm;
    /// mlterm, foot and xterm's VT340 mode for sixel), else half blocks in a 24-bit colour
    /// terminal, else none. Pictures are colour: with colour off there are none.
    public static func inlineImages(environment: [String: String], colour: Bool) -> InlineImages.Kind? {
        guard colour else { return nil }
        if let asked = environment["CNNB_IMAGES"]?.lowercased(), !asked.isEmpty {
            return asked == "none" ? nil : InlineImages.Kind(rawValue: asked)
        }
        let term = (environment["TERM"] ?? "").lowercased()
        let program = (environment["TERM_PROGRAM"] ?? "").lowercased()
        if term == "xterm-kitty" || environment["KITTY_WINDOW_ID"] != nil || program == "ghostty" { return .kitty }
        if program == "iterm.app" || program == "wezterm" || environment["LC_TERMINAL"] == "iTerm2" { return .iterm }
        if term.hasPrefix("mlterm") || term.hasPrefix("foot") || term == "xterm-sixel" || program == "mlterm" { return .sixel }
        let colourTerm = (environment["COLORTERM"] ?? "").lowercased()
        return colourTerm == "truecolor" || colourTerm == "24bit" ? .blocks : nil
    }
}

/// The escape sequences that put a picture in a terminal.
public enum InlineImages {
    public enum Kind: String, Sendable {
        /// kitty's graphics protocol: PNG, base64, in chunks of 4096.
        case kitty
        /// iTerm2's inline images (OSC 1337): PNG, base64.
        case iterm
        /// DEC sixel: six rows of pixels per band, a palette of up to 256 colours.
        case sixel
        /// Upper half blocks in 24-bit colour: two pixels per character cell.
        case blocks
    }

    /// `png` for kitty: `ESC _G f=100,a=T,m=1;…ESC \` chunks, the last with m=0.
    public static func kitty(png: Data) -> String {
        let base64 = Array(png.base64EncodedString().utf8)
        var out = ""
        var start = 0
        repeat {
            let end = min(start + 4096, base64.count)
            let more = end < base64.count ? 1 : 0
            let control = start == 0 ? "f=100,a=T,m=\(more)" : "m=\(more)"
            out += "\u{1B}_G" + control + ";" + String(decoding: base64[start..<end], as: UTF8.self) + "\u{1B}\\"
            start = end
        } while start < base64.count
        return out + "\n"
    }

    /// `png` for iTerm2: `ESC ] 1337 ; File=inline=1;size=N:BASE64 BEL`.
    public static func iterm(png: Data, name: String) -> String {
        let encodedName = Data(name.utf8).base64EncodedString()
        return "\u{1B}]1337;File=name=\(encodedName);size=\(png.count);inline=1;preserveAspectRatio=1:"
            + png.base64EncodedString() + "\u{07}\n"
    }

    /// `image` as sixel: `ESC P q`, raster attributes, a palette of the image's colours (reduced
    /// to 6x7x6 levels when there are more than 256), then one band per six rows, `ESC \`.
    public static func sixel(_ image: RasterImage) -> String {
        var palette: [UInt32: Int] = [:]
        var exact = true
        for i in stride(from: 0, to: image.rgb.count, by: 3) {
            let key = UInt32(image.rgb[i]) << 16 | UInt32(image.rgb[i + 1]) << 8 | UInt32(image.rgb[i + 2])
            if palette[key] == nil {
                if palette.count == 256 { exact = false; break }
                palette[key] = palette.count
            }
        }
        // Above 256 colours: 6 levels of red, 7 of green, 6 of blue (252 colours).
        func reduced(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt32 {
            let ri = (Int(r) * 5 + 127) / 255, gi = (Int(g) * 6 + 127) / 255, bi = (Int(b) * 5 + 127) / 255
            return UInt32(ri * 51) << 16 | UInt32(gi * 255 / 6) << 8 | UInt32(bi * 51)
        }
        var indices = [Int](repeating: 0, count: image.width * image.height)
        if !exact { palette = [:] }
        for p in 0..<indices.count {
            let r = image.rgb[3 * p], g = image.rgb[3 * p + 1], b = image.rgb[3 * p + 2]
            let key = exact ? UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b) : reduced(r, g, b)
            if let index = palette[key] {
                indices[p] = index
            } else {
                indices[p] = palette.count
                palette[key] = palette.count
            }
        }
        var out = "\u{1B}Pq\"1;1;\(image.width);\(image.height)"
        // Sixel colours are percentages.
        for (key, index) in palette.sorted(by: { $0.value < $1.value }) {
            let r = Int(key >> 16 & 0xFF) * 100 / 255, g = Int(key >> 8 & 0xFF) * 100 / 255, b = Int(key & 0xFF) * 100 / 255
            out += "#\(index);2;\(r);\(g);\(b)"
        }
        var band = 0
        while band * 6 < image.height {
            let rows = band * 6..<min(band * 6 + 6, image.height)
            var used: [Int] = []
            var seen = Set<Int>()
            for y in rows {
                for x in 0..<image.width where seen.insert(indices[y * image.width + x]).inserted {
                    used.append(indices[y * image.width + x])
                }
            }
            for (n, colour) in used.enumerated() {
                out += "#\(colour)"
                var run: Character = "?", length = 0
                func flush() {
                    guard length > 0 else { return }
                    out += length > 3 ? "!\(length)\(run)" : String(repeating: run, count: length)
                }
                for x in 0..<image.width {
                    var bits = 0
                    for (bit, y) in rows.enumerated() where indices[y * image.width + x] == colour { bits |= 1 << bit }
                    let character = Character(Unicode.Scalar(UInt8(63 + bits)))
                    if character == run {
                        length += 1
                    } else {
                        flush()
                        run = character
                        length = 1
                    }
                }
                flush()
                // `$` returns to the band's start for the next colour, `-` moves to the next band.
                out += n < used.count - 1 ? "$" : "-"
            }
            band += 1
        }
        return out + "\u{1B}\\\n"
    }
}
