import Foundation

/// A picture printed inline in a terminal with 24-bit colour: each character cell is an upper
/// half block `▀` whose foreground is one pixel and whose background is the pixel below, so a
/// cell shows two square pixels. Pictures wider than the limit are shrunk by averaging boxes of
/// pixels; smaller ones are shown pixel for pixel.
public enum TerminalPreview {
    /// Columns a preview uses at most unless told otherwise.
    public static let defaultMaximumWidth = 64

    public static let upperHalfBlock = "\u{2580}"
    /// Resets colours at the end of every line, so nothing leaks into the next output.
    public static let reset = "\u{1B}[0m"

    /// The lines (without newlines) that draw `image` at most `maximumWidth` columns wide.
    public static func lines(for image: RasterImage, maximumWidth: Int = defaultMaximumWidth) -> [String] {
        let shown = fitted(image, maximumWidth: maximumWidth)
        var lines: [String] = []
        lines.reserveCapacity((shown.height + 1) / 2)
        var y = 0
        while y < shown.height {
            var line = ""
            for x in 0..<shown.width {
                let top = shown.pixel(x: x, y: y)
                if y + 1 < shown.height {
                    let bottom = shown.pixel(x: x, y: y + 1)
                    line += "\u{1B}[38;2;\(top.red);\(top.green);\(top.blue);48;2;\(bottom.red);\(bottom.green);\(bottom.blue)m"
                } else {
                    // An odd last row: the lower half keeps the terminal's own background.
                    line += "\u{1B}[38;2;\(top.red);\(top.green);\(top.blue);49m"
                }
                line += upperHalfBlock
            }
            line += reset
            lines.append(line)
            y += 2
        }
        return lines
    }

    /// A grid image as an `ImageGrid` tile shows it: values in 0...1 as they are, or with
    /// `normalised` the image's own minimum..maximum stretched over 0...1 (filters, feature maps);
    /// greyscale images through `colourMap`.
    public static func lines(for image: GridImage, colourMap: ColourMap = .gray, normalised: Bool = false,
                             maximumWidth: Int = defaultMaximumWidth) -> [String] {
        let range = normalised ? (image.finiteRange ?? (0, 1)) : nil
        return lines(for: image.raster(range: range, colourMap: colourMap), maximumWidth: maximumWidth)
    }

    /// A figure, drawn as its PNG would be and then shrunk to fit.
    public static func lines(for figure: Figure, maximumWidth: Int = defaultMaximumWidth) throws -> [String] {
        lines(for: try figure.rasterize(), maximumWidth: maximumWidth)
    }

    /// A PNG file.
    public static func lines(forPNGAt path: String, maximumWidth: Int = defaultMaximumWidth) throws -> [String] {
        lines(for: try CairoBackend.decodePNG(atPath: path), maximumWidth: maximumWidth)
    }

    /// `image` shrunk so that it is at most `maximumWidth` pixels wide, keeping its proportions;
    /// each output pixel is the mean of the source pixels its box covers.
    public static func fitted(_ image: RasterImage, maximumWidth: Int) -> RasterImage {
        let limit = max(1, maximumWidth)
        guard image.width > limit else { return image }
        let width = limit
        let height = max(1, Int((Double(image.height) * Double(width) / Double(image.width)).rounded()))
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        image.rgb.withUnsafeBufferPointer { source in
            for y in 0..<height {
                let y0 = y * image.height / height
                let y1 = max(y0 + 1, (y + 1) * image.height / height)
                for x in 0..<width {
                    let x0 = x * image.width / width
                    let x1 = max(x0 + 1, (x + 1) * image.width / width)
                    var sum = (0, 0, 0)
                    for sy in y0..<y1 {
                        var i = 3 * (sy * image.width + x0)
                        for _ in x0..<x1 {
                            sum.0 += Int(source[i])
                            sum.1 += Int(source[i + 1])
                            sum.2 += Int(source[i + 2])
                            i += 3
                        }
                    }
                    let count = (y1 - y0) * (x1 - x0)
                    let o = 3 * (y * width + x)
                    bytes[o] = UInt8((sum.0 + count / 2) / count)
                    bytes[o + 1] = UInt8((sum.1 + count / 2) / count)
                    bytes[o + 2] = UInt8((sum.2 + count / 2) / count)
                }
            }
        }
        return (try? RasterImage(width: width, height: height, rgb: bytes)) ?? image
    }
}
