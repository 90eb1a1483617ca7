/// An sRGB colour with 8-bit channels, the unit every backend shares.
public struct Colour: Equatable, Hashable, Sendable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8
    /// 1 is opaque; below 1 what lies under shows through (matplotlib's alpha).
    public var opacity: Double = 1

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// The same colour at `opacity`.
    public func withOpacity(_ opacity: Double) -> Colour {
        var copy = self
        copy.opacity = max(0, min(1, opacity))
        return copy
    }

    /// `0xRRGGBB`.
    public init(hex: UInt32) {
        self.init(red: UInt8((hex >> 16) & 0xFF), green: UInt8((hex >> 8) & 0xFF), blue: UInt8(hex & 0xFF))
    }

    /// Channels in 0...1 (clamped), rounded to the nearest 8-bit value.
    public init(unitRed r: Float, green g: Float, blue b: Float) {
        self.init(red: Colour.byte(fromUnit: r), green: Colour.byte(fromUnit: g), blue: Colour.byte(fromUnit: b))
    }

    /// A value in 0...1 (clamped; NaN gives 0) as the nearest 8-bit channel.
    public static func byte(fromUnit value: Float) -> UInt8 {
        guard value.isFinite else { return 0 }
        return UInt8(max(0, min(255, (value * 255).rounded())))
    }

    /// `#rrggbb`, as SVG and CSS write it.
    public var hexString: String {
        let digits = Array("0123456789abcdef")
        var text = "#"
        for channel in [red, green, blue] {
            text.append(digits[Int(channel >> 4)])
            text.append(digits[Int(channel & 0xF)])
        }
        return text
    }

    var unit: (Double, Double, Double) {
        (Double(red) / 255, Double(green) / 255, Double(blue) / 255)
    }

    public static let white = Colour(hex: 0xFFFFFF)
    public static let black = Colour(hex: 0x000000)
    /// Text and axes: near-black, as matplotlib draws them.
    public static let ink = Colour(hex: 0x262626)
    public static let lightGrey = Colour(hex: 0xDDDDDD)
    public static let midGrey = Colour(hex: 0x888888)

    /// matplotlib's default cycle ("tab10"), in its order.
    public static let tab10: [Colour] = [
        0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
        0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
    ].map { Colour(hex: $0) }

    /// The colour of series `index` in a chart: tab10, cycling.
    public static func series(_ index: Int) -> Colour {
        tab10[((index % tab10.count) + tab10.count) % tab10.count]
    }
}

/// How a normalised value in 0...1 becomes a colour.
public enum ColourMap: String, Equatable, Sendable, CaseIterable {
    case gray
    case viridis

    /// Nine evenly spaced stops of matplotlib's viridis; values between stops are interpolated.
    private static let viridisStops: [Colour] = [
        0x440154, 0x472d7b, 0x3b528b, 0x2c728e, 0x21918c, 0x28ae80, 0x5ec962, 0xaddc30, 0xfde725,
    ].map { Colour(hex: $0) }

    /// The colour for `value` (clamped to 0...1; NaN maps to 0).
    public func colour(_ value: Float) -> Colour {
        let v = value.isNaN ? 0 : max(0, min(1, value))
        switch self {
        case .gray:
            let byte = Colour.byte(fromUnit: v)
            return Colour(red: byte, green: byte, blue: byte)
        case .viridis:
            let stops = ColourMap.viridisStops
            let position = v * Float(stops.count - 1)
            let lower = min(Int(position), stops.count - 2)
            let t = position - Float(lower)
            let a = stops[lower], b = stops[lower + 1]
            func mix(_ x: UInt8, _ y: UInt8) -> UInt8 {
                UInt8((Float(x) + (Float(y) - Float(x)) * t).rounded())
            }
            return Colour(red: mix(a.red, b.red), green: mix(a.green, b.green), blue: mix(a.blue, b.blue))
        }
    }
}
