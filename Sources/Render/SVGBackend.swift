import Foundation

/// Writes scenes as SVG by hand, so that text stays text (cairo's SVG surface turns glyphs
/// into paths, which neither search nor screen readers can read).
public enum SVGBackend {
    public static func document(_ scene: Scene) throws -> String {
        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" \
        width="\(scene.width)" height="\(scene.height)" viewBox="0 0 \(scene.width) \(scene.height)" \
        font-family="\(figureFontFamily), sans-serif">

        """
        out += "<rect x=\"0\" y=\"0\" width=\"\(scene.width)\" height=\"\(scene.height)\" fill=\"\(scene.background.hexString)\"/>\n"
        for item in scene.items {
            switch item {
            case let .rectangle(x, y, w, h, fill, stroke, lineWidth, radius):
                var attributes = "x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(w))\" height=\"\(number(h))\""
                if radius > 0 { attributes += " rx=\"\(number(radius))\"" }
                attributes += " fill=\"\(fill?.hexString ?? "none")\""
                if let fill, fill.opacity < 1 { attributes += " fill-opacity=\"\(fill.opacity)\"" }
                if let stroke {
                    attributes += " stroke=\"\(stroke.hexString)\" stroke-width=\"\(number(lineWidth))\""
                    if stroke.opacity < 1 { attributes += " stroke-opacity=\"\(stroke.opacity)\"" }
                }
                out += "<rect \(attributes)/>\n"
            case let .polyline(points, colour, lineWidth):
                out += "<polyline points=\"\(pointList(points))\" fill=\"none\" stroke=\"\(colour.hexString)\" stroke-width=\"\(number(lineWidth))\" stroke-linejoin=\"round\"/>\n"
            case let .polygon(points, fill):
                out += "<polygon points=\"\(pointList(points))\" fill=\"\(fill.hexString)\"/>\n"
            case let .circle(centre, radius, fill):
                out += "<circle cx=\"\(number(centre.x))\" cy=\"\(number(centre.y))\" r=\"\(number(radius))\" fill=\"\(fill.hexString)\"/>\n"
            case let .text(string, x, baseline, size, colour, anchor, bold, rotation):
                var attributes = "x=\"\(number(x))\" y=\"\(number(baseline))\" font-size=\"\(number(size))\" fill=\"\(colour.hexString)\""
                if anchor != .start { attributes += " text-anchor=\"\(anchor.rawValue)\"" }
                if bold { attributes += " font-weight=\"bold\"" }
                if rotation != 0 {
                    attributes += " transform=\"rotate(\(number(rotation)) \(number(x)) \(number(baseline)))\""
                }
                out += "<text \(attributes) xml:space=\"preserve\">\(Markup.escape(string))</text>\n"
            case let .image(image, x, y, scale):
                let png = try CairoBackend.pngData(image).base64EncodedString()
                let w = number(Double(image.width * scale)), h = number(Double(image.height * scale))
                out += "<image x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(w)\" height=\"\(h)\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated;image-rendering:crisp-edges\" xlink:href=\"data:image/png;base64,\(png)\"/>\n"
            }
        }
        out += "</svg>\n"
        return out
    }

    private static func pointList(_ points: [Point]) -> String {
        points.map { "\(number($0.x)),\(number($0.y))" }.joined(separator: " ")
    }

    /// Short decimal text: integers without a point, others to two places.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        return String(format: "%.2f", rounded)
    }
}
