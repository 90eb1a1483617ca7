import Render

/// The colours a terminal shows, read from its environment: 24-bit when `COLORTERM` says so,
/// the 256-colour palette when `TERM` does, none with `NO_COLOR` or a dumb terminal.
public enum TerminalColours: Equatable, Sendable {
    case trueColour
    case palette256

    public static func detect(_ environment: [String: String]) -> TerminalColours? {
        if let noColour = environment["NO_COLOR"], !noColour.isEmpty { return nil }
        let term = environment["TERM"] ?? ""
        if term.isEmpty || term == "dumb" { return nil }
        if let colourTerm = environment["COLORTERM"]?.lowercased(), colourTerm == "truecolor" || colourTerm == "24bit" {
            return .trueColour
        }
        if term.contains("256color") || term.hasSuffix("-direct") { return .palette256 }
        return nil
    }
}

/// A picture drawn in the terminal with `▀`: each character cell shows two pixels, the upper in
/// the foreground colour and the lower in the background. Each pixel is the average of the
/// block of the picture it stands for.
public enum FigurePreview {
    /// How many columns a preview takes: at most `maxColumns`, at most the terminal's width
    /// less one, and few enough that the preview is at most `maxRows` lines.
    public static func columns(for image: RasterImage, terminalColumns: Int, maxColumns: Int = 64, maxRows: Int = 24) -> Int {
        let byHeight = Int(Double(2 * maxRows) * Double(image.width) / Double(image.height))
        return max(1, min(maxColumns, terminalColumns - 1, byHeight, image.width))
    }

    /// The preview, `columns` wide, one line per two rows of pixels, each ending in a reset.
    public static func render(_ image: RasterImage, columns: Int, colours: TerminalColours) -> String {
        let width = max(1, min(columns, image.width))
        let scale = Double(image.width) / Double(width)
        var height = max(1, Int((Double(image.height) / scale).rounded()))
        height = min(height + height % 2, image.height + image.height % 2)
        let yScale = Double(image.height) / Double(height)
        var text = ""
        for row in stride(from: 0, to: height, by: 2) {
            for column in 0..<width {
                let x0 = Int(Double(column) * scale), x1 = max(x0 + 1, Int(Double(column + 1) * scale))
                let top = average(image, x: x0..<x1, y: band(row, yScale, image.height))
                let bottom = row + 1 < height ? average(image, x: x0..<x1, y: band(row + 1, yScale, image.height)) : top
                text += escape(top, background: false, colours) + escape(bottom, background: true, colours) + "▀"
            }
            text += "\u{1B}[0m\n"
        }
        return text
    }

    private static func band(_ row: Int, _ scale: Double, _ limit: Int) -> Range<Int> {
        let y0 = min(Int(Double(row) * scale), limit - 1)
        return y0..<min(limit, max(y0 + 1, Int(Double(row + 1) * scale)))
    }

    private static func average(_ image: RasterImage, x: Range<Int>, y: Range<Int>) -> Colour {
        var sums = (0, 0, 0)
        image.rgb.withUnsafeBufferPointer { rgb in
            for row in y {
                var i = 3 * (row * image.width + x.lowerBound)
                for _ in x {
                    sums.0 += Int(rgb[i]); sums.1 += Int(rgb[i + 1]); sums.2 += Int(rgb[i + 2])
                    i += 3
                }
            }
        }
        let count = x.count * y.count
        func mean(_ sum: Int) -> UInt8 { UInt8((sum + count / 2) / count) }
        return Colour(red: mean(sums.0), green: mean(sums.1), blue: mean(sums.2))
    }

    /// `ESC[38;2;R;G;Bm` (foreground) or `ESC[48;…m` (background); on a 256-colour terminal the
    /// nearest colour of the 6×6×6 cube, `ESC[38;5;Nm`.
    static func escape(_ colour: Colour, background: Bool, _ colours: TerminalColours) -> String {
        let layer = background ? 48 : 38
        switch colours {
        case .trueColour:
            return "\u{1B}[\(layer);2;\(colour.red);\(colour.green);\(colour.blue)m"
        case .palette256:
            // The cube's levels are 0, 95, 135, 175, 215, 255.
            func level(_ value: UInt8) -> Int { value < 48 ? 0 : value < 115 ? 1 : (Int(value) - 35) / 40 }
            let index = 16 + 36 * level(colour.red) + 6 * level(colour.green) + level(colour.blue)
            return "\u{1B}[\(layer);5;\(index)m"
        }
    }
}
