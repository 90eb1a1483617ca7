import CCairo
import Foundation

/// The font every figure uses, in PNG and SVG alike.
public let figureFontFamily = "DejaVu Sans"

/// Text widths as cairo lays them out; layouts use them to size boxes, legends and margins.
public enum TextMetrics {
    private static let lock = NSLock()
    private static let context: OpaquePointer? = {
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1) else { return nil }
        return cairo_create(surface)
    }()

    /// The advance width of `text` in pixels at font size `size`.
    public static func width(_ text: String, size: Double, bold: Bool = false) -> Double {
        lock.lock()
        defer { lock.unlock() }
        guard let cr = context else { return Double(text.count) * size * 0.6 }
        selectFont(cr, size: size, bold: bold)
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &extents)
        return extents.x_advance
    }

    static func selectFont(_ cr: OpaquePointer, size: Double, bold: Bool) {
        cairo_select_font_face(cr, figureFontFamily, CAIRO_FONT_SLANT_NORMAL,
                               bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
    }
}

/// Draws scenes with cairo: antialiased shapes and text, images scaled with nearest-neighbour.
public enum CairoBackend {
    /// The scene's pixels.
    public static func rasterize(_ scene: Scene) throws -> RasterImage {
        try withSurface(scene) { surface in
            cairo_surface_flush(surface)
            guard let data = cairo_image_surface_get_data(surface) else {
                throw RenderError.drawing("cairo gave no pixel data")
            }
            let stride = Int(cairo_image_surface_get_stride(surface))
            var bytes = [UInt8](repeating: 0, count: scene.width * scene.height * 3)
            for y in 0..<scene.height {
                let row = UnsafeRawPointer(data + y * stride)
                for x in 0..<scene.width {
                    let word = row.loadUnaligned(fromByteOffset: 4 * x, as: UInt32.self)
                    let i = 3 * (y * scene.width + x)
                    bytes[i] = UInt8((word >> 16) & 0xFF)
                    bytes[i + 1] = UInt8((word >> 8) & 0xFF)
                    bytes[i + 2] = UInt8(word & 0xFF)
                }
            }
            return try RasterImage(width: scene.width, height: scene.height, rgb: bytes)
        }
    }

    /// The scene encoded as a PNG file's bytes.
    public static func pngData(_ scene: Scene) throws -> Data {
        try withSurface(scene) { surface in try encodePNG(surface) }
    }

    /// A raster image encoded as PNG bytes (used to embed pictures in SVG and HTML).
    public static func pngData(_ image: RasterImage) throws -> Data {
        guard let surface = makeSurface(image) else { throw RenderError.drawing("cannot create an image surface") }
        defer { cairo_surface_destroy(surface) }
        return try encodePNG(surface)
    }

    /// Decodes a PNG file into RGB pixels (alpha is composited over white).
    public static func decodePNG(atPath path: String) throws -> RasterImage {
        guard let surface = cairo_image_surface_create_from_png(path) else {
            throw RenderError.invalidInput("cannot read PNG \(path)")
        }
        defer { cairo_surface_destroy(surface) }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
            throw RenderError.invalidInput("cannot read PNG \(path): \(String(cString: cairo_status_to_string(cairo_surface_status(surface))))")
        }
        let width = Int(cairo_image_surface_get_width(surface))
        let height = Int(cairo_image_surface_get_height(surface))
        let format = cairo_image_surface_get_format(surface)
        guard let data = cairo_image_surface_get_data(surface) else {
            throw RenderError.invalidInput("PNG \(path) has no pixels")
        }
        let stride = Int(cairo_image_surface_get_stride(surface))
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            let row = UnsafeRawPointer(data + y * stride)
            for x in 0..<width {
                let word = row.loadUnaligned(fromByteOffset: 4 * x, as: UInt32.self)
                // ARGB32 is premultiplied: compositing over white adds (1 - alpha) to each channel.
                let missing = format == CAIRO_FORMAT_ARGB32 ? 255 - Int((word >> 24) & 0xFF) : 0
                let i = 3 * (y * width + x)
                bytes[i] = UInt8(min(255, Int((word >> 16) & 0xFF) + missing))
                bytes[i + 1] = UInt8(min(255, Int((word >> 8) & 0xFF) + missing))
                bytes[i + 2] = UInt8(min(255, Int(word & 0xFF) + missing))
            }
        }
        return try RasterImage(width: width, height: height, rgb: bytes)
    }

    // MARK: - Drawing

    private static func withSurface<T>(_ scene: Scene, _ body: (OpaquePointer) throws -> T) throws -> T {
        guard scene.width > 0, scene.height > 0, scene.width <= 32767, scene.height <= 32767 else {
            throw RenderError.invalidInput("a figure of \(scene.width)x\(scene.height) pixels cannot be drawn (1...32767 per side)")
        }
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(scene.width), Int32(scene.height)) else {
            throw RenderError.drawing("cannot create a \(scene.width)x\(scene.height) surface")
        }
        defer { cairo_surface_destroy(surface) }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, let cr = cairo_create(surface) else {
            throw RenderError.drawing("cannot create a \(scene.width)x\(scene.height) surface")
        }
        draw(scene, on: cr)
        let status = cairo_status(cr)
        cairo_destroy(cr)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw RenderError.drawing(String(cString: cairo_status_to_string(status)))
        }
        return try body(surface)
    }

    private static func setColour(_ cr: OpaquePointer, _ colour: Colour) {
        let (r, g, b) = colour.unit
        cairo_set_source_rgba(cr, r, g, b, colour.opacity)
    }

    private static func draw(_ scene: Scene, on cr: OpaquePointer) {
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_GRAY)
        setColour(cr, scene.background)
        cairo_paint(cr)
        for item in scene.items {
            switch item {
            case let .rectangle(x, y, w, h, fill, stroke, lineWidth, radius):
                roundedRectangle(cr, x, y, w, h, radius)
                if let fill {
                    setColour(cr, fill)
                    if stroke != nil { cairo_fill_preserve(cr) } else { cairo_fill(cr) }
                }
                if let stroke {
                    setColour(cr, stroke)
                    cairo_set_line_width(cr, lineWidth)
                    cairo_stroke(cr)
                }
            case let .polyline(points, colour, lineWidth):
                guard let first = points.first else { continue }
                cairo_move_to(cr, first.x, first.y)
                for p in points.dropFirst() { cairo_line_to(cr, p.x, p.y) }
                setColour(cr, colour)
                cairo_set_line_width(cr, lineWidth)
                cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT)
                cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
                cairo_stroke(cr)
            case let .polygon(points, fill):
                guard let first = points.first else { continue }
                cairo_move_to(cr, first.x, first.y)
                for p in points.dropFirst() { cairo_line_to(cr, p.x, p.y) }
                cairo_close_path(cr)
                setColour(cr, fill)
                cairo_fill(cr)
            case let .circle(centre, radius, fill):
                cairo_new_sub_path(cr)
                cairo_arc(cr, centre.x, centre.y, radius, 0, 2 * Double.pi)
                setColour(cr, fill)
                cairo_fill(cr)
            case let .text(string, x, baseline, size, colour, anchor, bold, rotation):
                cairo_save(cr)
                TextMetrics.selectFont(cr, size: size, bold: bold)
                var extents = cairo_text_extents_t()
                cairo_text_extents(cr, string, &extents)
                let shift: Double
                switch anchor {
                case .start: shift = 0
                case .middle: shift = -extents.x_advance / 2
                case .end: shift = -extents.x_advance
                }
                cairo_translate(cr, x, baseline)
                cairo_rotate(cr, rotation * Double.pi / 180)
                cairo_move_to(cr, shift, 0)
                setColour(cr, colour)
                cairo_show_text(cr, string)
                cairo_restore(cr)
            case let .image(image, x, y, scale):
                guard let source = makeSurface(image) else { continue }
                cairo_save(cr)
                cairo_translate(cr, x, y)
                cairo_scale(cr, Double(scale), Double(scale))
                cairo_set_source_surface(cr, source, 0, 0)
                cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST)
                cairo_rectangle(cr, 0, 0, Double(image.width), Double(image.height))
                cairo_fill(cr)
                cairo_restore(cr)
                cairo_surface_destroy(source)
            }
        }
    }

    private static func roundedRectangle(_ cr: OpaquePointer, _ x: Double, _ y: Double,
                                         _ w: Double, _ h: Double, _ radius: Double) {
        guard radius > 0 else {
            cairo_rectangle(cr, x, y, w, h)
            return
        }
        let r = min(radius, w / 2, h / 2)
        cairo_new_sub_path(cr)
        cairo_arc(cr, x + w - r, y + r, r, -Double.pi / 2, 0)
        cairo_arc(cr, x + w - r, y + h - r, r, 0, Double.pi / 2)
        cairo_arc(cr, x + r, y + h - r, r, Double.pi / 2, Double.pi)
        cairo_arc(cr, x + r, y + r, r, Double.pi, 3 * Double.pi / 2)
        cairo_close_path(cr)
    }

    private static func makeSurface(_ image: RasterImage) -> OpaquePointer? {
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(image.width), Int32(image.height)),
              cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS,
              let data = cairo_image_surface_get_data(surface) else { return nil }
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        image.rgb.withUnsafeBufferPointer { rgb in
            for y in 0..<image.height {
                let row = UnsafeMutableRawPointer(data + y * stride)
                for x in 0..<image.width {
                    let i = 3 * (y * image.width + x)
                    let word = 0xFF00_0000 | UInt32(rgb[i]) << 16 | UInt32(rgb[i + 1]) << 8 | UInt32(rgb[i + 2])
                    row.storeBytes(of: word, toByteOffset: 4 * x, as: UInt32.self)
                }
            }
        }
        cairo_surface_mark_dirty(surface)
        return surface
    }

    private final class ByteSink {
        var data = Data()
    }

    private static func encodePNG(_ surface: OpaquePointer) throws -> Data {
        let sink = ByteSink()
        let status = cairo_surface_write_to_png_stream(surface, { closure, bytes, length in
            guard let closure, let bytes else { return CAIRO_STATUS_WRITE_ERROR }
            Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue().data.append(bytes, count: Int(length))
            return CAIRO_STATUS_SUCCESS
        }, Unmanaged.passUnretained(sink).toOpaque())
        guard status == CAIRO_STATUS_SUCCESS else {
            throw RenderError.drawing("PNG encoding failed: \(String(cString: cairo_status_to_string(status)))")
        }
        return sink.data
    }
}
