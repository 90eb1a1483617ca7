/// An RGB picture with 8-bit channels, row-major, three bytes per pixel.
public struct RasterImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var rgb: [UInt8]

    /// Fails when `rgb` does not hold `width * height * 3` bytes.
    public init(width: Int, height: Int, rgb: [UInt8]) throws {
        guard width > 0, height > 0 else {
            throw RenderError.invalidInput("an image needs a positive size, got \(width)x\(height)")
        }
        guard rgb.count == width * height * 3 else {
            throw RenderError.invalidInput("an RGB image of \(width)x\(height) needs \(width * height * 3) bytes, got \(rgb.count)")
        }
        self.width = width
        self.height = height
        self.rgb = rgb
    }

    /// A picture filled with one colour.
    public init(width: Int, height: Int, fill: Colour) {
        precondition(width > 0 && height > 0, "image size must be positive")
        self.width = width
        self.height = height
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            bytes[3 * i] = fill.red
            bytes[3 * i + 1] = fill.green
            bytes[3 * i + 2] = fill.blue
        }
        self.rgb = bytes
    }

    public func pixel(x: Int, y: Int) -> Colour {
        let i = 3 * (y * width + x)
        return Colour(red: rgb[i], green: rgb[i + 1], blue: rgb[i + 2])
    }

    public mutating func setPixel(x: Int, y: Int, _ colour: Colour) {
        let i = 3 * (y * width + x)
        rgb[i] = colour.red
        rgb[i + 1] = colour.green
        rgb[i + 2] = colour.blue
    }
}
