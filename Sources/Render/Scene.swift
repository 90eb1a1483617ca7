/// A point in figure pixels, origin top left, y downwards.
public struct Point: Equatable, Sendable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }
}

/// Where a text's anchor point sits horizontally.
public enum TextAnchor: String, Sendable {
    case start, middle, end
}

/// One thing to draw. Every figure is laid out once into a list of these; the cairo backend
/// (PNG, pixels) and the SVG writer draw the same list, so both outputs agree.
public enum Primitive: Sendable {
    case rectangle(x: Double, y: Double, width: Double, height: Double,
                   fill: Colour?, stroke: Colour?, lineWidth: Double, cornerRadius: Double)
    case polyline(points: [Point], colour: Colour, lineWidth: Double)
    case polygon(points: [Point], fill: Colour)
    case circle(centre: Point, radius: Double, fill: Colour)
    /// `baseline` is the y of the text's baseline; `rotation` in degrees, clockwise (-90 reads upwards).
    case text(String, x: Double, baseline: Double, size: Double, colour: Colour,
              anchor: TextAnchor, bold: Bool, rotation: Double)
    /// An image drawn at (x, y), each source pixel a `scale` x `scale` block.
    case image(RasterImage, x: Double, y: Double, scale: Int)
}

/// A laid-out picture: its size, background and what to draw, in order.
public struct Scene: Sendable {
    public var width: Int
    public var height: Int
    public var background: Colour
    public var items: [Primitive]

    public init(width: Int, height: Int, background: Colour = .white, items: [Primitive] = []) {
        self.width = width
        self.height = height
        self.background = background
        self.items = items
    }

    public mutating func add(_ item: Primitive) {
        items.append(item)
    }

    /// Text with the figures' usual defaults.
    public mutating func text(_ string: String, x: Double, baseline: Double, size: Double,
                              colour: Colour = .ink, anchor: TextAnchor = .start,
                              bold: Bool = false, rotation: Double = 0) {
        items.append(.text(string, x: x, baseline: baseline, size: size, colour: colour,
                           anchor: anchor, bold: bold, rotation: rotation))
    }

    public mutating func line(_ from: Point, _ to: Point, colour: Colour = .ink, width: Double = 1) {
        items.append(.polyline(points: [from, to], colour: colour, lineWidth: width))
    }

    /// Draws `other` shifted by (dx, dy), as a panel inside this scene.
    public mutating func place(_ other: Scene, dx: Double, dy: Double) {
        items.append(.rectangle(x: dx, y: dy, width: Double(other.width), height: Double(other.height),
                                fill: other.background, stroke: nil, lineWidth: 0, cornerRadius: 0))
        for item in other.items {
            items.append(item.shifted(dx: dx, dy: dy))
        }
    }
}

extension Primitive {
    func shifted(dx: Double, dy: Double) -> Primitive {
        func move(_ p: Point) -> Point { Point(p.x + dx, p.y + dy) }
        switch self {
        case let .rectangle(x, y, w, h, fill, stroke, lineWidth, radius):
            return .rectangle(x: x + dx, y: y + dy, width: w, height: h, fill: fill, stroke: stroke,
                              lineWidth: lineWidth, cornerRadius: radius)
        case let .polyline(points, colour, lineWidth):
            return .polyline(points: points.map(move), colour: colour, lineWidth: lineWidth)
        case let .polygon(points, fill):
            return .polygon(points: points.map(move), fill: fill)
        case let .circle(centre, radius, fill):
            return .circle(centre: move(centre), radius: radius, fill: fill)
        case let .text(string, x, baseline, size, colour, anchor, bold, rotation):
            return .text(string, x: x + dx, baseline: baseline + dy, size: size, colour: colour,
                         anchor: anchor, bold: bold, rotation: rotation)
        case let .image(image, x, y, scale):
            return .image(image, x: x + dx, y: y + dy, scale: scale)
        }
    }
}
