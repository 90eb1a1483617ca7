/// One picture for a grid: `height` rows of `width` pixels of `channels` values (1 = greyscale,
/// 3 = RGB), row-major with channels last (HWC), as tensors store images.
public struct GridImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let channels: Int
    public let pixels: [Float]
    /// Text drawn under the tile (a class name, a filter number), or nil.
    public var caption: String?

    /// `pixels` are values in 0...1, or any range when the grid normalises them.
    public init(width: Int, height: Int, channels: Int, pixels: [Float], caption: String? = nil) throws {
        guard width > 0, height > 0 else {
            throw RenderError.invalidInput("an image needs a positive size, got \(width)x\(height)")
        }
        guard channels == 1 || channels == 3 else {
            throw RenderError.invalidInput("an image needs 1 (greyscale) or 3 (RGB) channels, got \(channels); pick one channel or three")
        }
        guard pixels.count == width * height * channels else {
            throw RenderError.invalidInput("an image of \(width)x\(height)x\(channels) needs \(width * height * channels) values, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
        self.caption = caption
    }

    /// 8-bit pixels (0...255), as image files and datasets store them.
    public init(width: Int, height: Int, channels: Int, bytes: [UInt8], caption: String? = nil) throws {
        try self.init(width: width, height: height, channels: channels,
                      pixels: bytes.map { Float($0) / 255 }, caption: caption)
    }

    /// The smallest and largest finite value, or nil when there is none.
    var finiteRange: (Float, Float)? {
        var low = Float.infinity, high = -Float.infinity
        for v in pixels where v.isFinite {
            low = min(low, v)
            high = max(high, v)
        }
        return low <= high ? (low, high) : nil
    }

    /// The picture's colours once `range` is mapped onto 0...1 (nil: values are already in 0...1).
    func raster(range: (Float, Float)?, colourMap: ColourMap) -> RasterImage {
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        let low = range?.0 ?? 0
        let span = range.map { $0.1 - $0.0 } ?? 1
        let inverse: Float = span > 0 ? 1 / span : 0
        pixels.withUnsafeBufferPointer { values in
            bytes.withUnsafeMutableBufferPointer { out in
                if channels == 3 {
                    for i in 0..<values.count {
                        out[i] = Colour.byte(fromUnit: (values[i] - low) * inverse)
                    }
                } else {
                    for i in 0..<values.count {
                        let colour = colourMap.colour((values[i] - low) * inverse)
                        out[3 * i] = colour.red
                        out[3 * i + 1] = colour.green
                        out[3 * i + 2] = colour.blue
                    }
                }
            }
        }
        // The sizes were checked on creation, so this cannot fail.
        return (try? RasterImage(width: width, height: height, rgb: bytes)) ?? RasterImage(width: width, height: height, fill: .black)
    }
}

/// How pixel values become brightness.
public enum Normalisation: String, Equatable, Sendable {
    /// Values are already in 0...1; outside values are clamped.
    case none
    /// Each tile's own minimum..maximum becomes 0...1 (filters, feature maps).
    case perTile
    /// The minimum..maximum over all tiles becomes 0...1, so tiles compare with each other.
    case shared
}

/// Images in rows and columns, each scaled up by a whole number with nearest-neighbour so pixels
/// stay crisp, with optional captions, colour map and colour bar.
public struct ImageGrid: Sendable {
    public let images: [GridImage]
    public let rows: Int
    public let columns: Int
    public var colourMap: ColourMap
    public var normalisation: Normalisation
    public var showsColourBar: Bool
    /// Screen pixels per image pixel.
    public let scale: Int

    /// Fails when the images do not fit `rows` x `columns` or the scale is not positive.
    /// `scale` nil picks one that makes tiles about 128 pixels (96 above 25 tiles, 64 above 64):
    /// an 8x8 grid of filters or feature maps comes out about 800 pixels wide, as the seed's
    /// matplotlib figures (figsize 8 by 12 at 100 dpi) are.
    public init(images: [GridImage], rows: Int, columns: Int, colourMap: ColourMap = .gray,
                normalisation: Normalisation = .none, colourBar: Bool = false, scale: Int? = nil) throws {
        guard !images.isEmpty else { throw RenderError.invalidInput("a grid needs at least one image") }
        guard rows > 0, columns > 0 else {
            throw RenderError.invalidInput("a grid needs at least one row and one column, got \(rows)x\(columns)")
        }
        guard images.count <= rows * columns else {
            throw RenderError.invalidInput("\(images.count) images do not fit a \(rows)x\(columns) grid; use more rows or columns, or fewer images")
        }
        if let scale, scale < 1 || scale > 64 {
            throw RenderError.invalidInput("image scale must be 1...64, got \(scale)")
        }
        self.images = images
        self.rows = rows
        self.columns = columns
        self.colourMap = colourMap
        self.normalisation = normalisation
        self.showsColourBar = colourBar
        let side = images.map { max($0.width, $0.height) }.max() ?? 1
        let target = images.count <= 25 ? 128 : (images.count <= 64 ? 96 : 64)
        self.scale = scale ?? max(1, target / side)
    }

    /// A grid with every image, as many columns as fit a square.
    public init(images: [GridImage], colourMap: ColourMap = .gray, normalisation: Normalisation = .none,
                colourBar: Bool = false) throws {
        let count = max(1, images.count)
        var columns = 1
        while columns * columns < count { columns += 1 }
        let rows = (count + columns - 1) / columns
        try self.init(images: images, rows: rows, columns: columns, colourMap: colourMap,
                      normalisation: normalisation, colourBar: colourBar)
    }

    /// The value range shared by all tiles, when the grid normalises jointly.
    var sharedRange: (Float, Float)? {
        var low = Float.infinity, high = -Float.infinity
        for image in images {
            if let (a, b) = image.finiteRange {
                low = min(low, a)
                high = max(high, b)
            }
        }
        return low <= high ? (low, high) : nil
    }

    func tileRaster(_ index: Int) -> RasterImage {
        let image = images[index]
        switch normalisation {
        case .none: return image.raster(range: nil, colourMap: colourMap)
        case .perTile: return image.raster(range: image.finiteRange ?? (0, 1), colourMap: colourMap)
        case .shared: return image.raster(range: sharedRange ?? (0, 1), colourMap: colourMap)
        }
    }

    // Layout constants, in pixels.
    static let margin = 16.0
    static let gap = 8.0
    static let captionSize = 13.0
    static let captionBand = 20.0
    static let barWidth = 16.0
    static let barLabelSize = 11.0

    /// Where tile `index`'s image starts in the grid's scene (integer pixels, so pixels stay crisp).
    public func tileOrigin(_ index: Int) -> (x: Int, y: Int) {
        let layout = self.layout
        let row = index / columns, column = index % columns
        let image = images[index]
        let x = Int(ImageGrid.margin) + column * layout.cellWidth + (layout.cellWidth - image.width * scale) / 2
        let y = Int(ImageGrid.margin) + row * layout.cellHeight + (layout.tileHeight - image.height * scale) / 2
        return (x, y)
    }

    private var layout: (cellWidth: Int, cellHeight: Int, tileWidth: Int, tileHeight: Int, hasCaptions: Bool) {
        let tileWidth = (images.map(\.width).max() ?? 1) * scale
        let tileHeight = (images.map(\.height).max() ?? 1) * scale
        let hasCaptions = images.contains { ($0.caption ?? "").isEmpty == false }
        let widest = images.compactMap(\.caption).map { TextMetrics.width($0, size: ImageGrid.captionSize) }.max() ?? 0
        let cellWidth = max(tileWidth, Int(widest.rounded(.up)) + 4) + Int(ImageGrid.gap)
        let cellHeight = tileHeight + Int(ImageGrid.gap) + (hasCaptions ? Int(ImageGrid.captionBand) : 0)
        return (cellWidth, cellHeight, tileWidth, tileHeight, hasCaptions)
    }

    /// Labels at the colour bar's ends: real values when tiles share a range.
    private var barLabels: (low: String, high: String) {
        switch normalisation {
        case .none: return ("0", "1")
        case .perTile: return ("min", "max")
        case .shared:
            let (low, high) = sharedRange ?? (0, 1)
            return (ChartTicks.label(Double(low)), ChartTicks.label(Double(high)))
        }
    }

    public func scene() -> Scene {
        let layout = self.layout
        let margin = ImageGrid.margin
        let gridWidth = Double(columns * layout.cellWidth) - ImageGrid.gap
        let gridHeight = Double(rows * layout.cellHeight) - ImageGrid.gap
        var width = gridWidth + 2 * margin
        let labels = barLabels
        let labelWidth = max(TextMetrics.width(labels.low, size: ImageGrid.barLabelSize),
                             TextMetrics.width(labels.high, size: ImageGrid.barLabelSize))
        if showsColourBar {
            width += 2 * ImageGrid.gap + ImageGrid.barWidth + 6 + labelWidth
        }
        var scene = Scene(width: Int(width.rounded(.up)), height: Int((gridHeight + 2 * margin).rounded(.up)))
        for index in images.indices {
            let origin = tileOrigin(index)
            let image = images[index]
            let x = Double(origin.x), y = Double(origin.y)
            let w = Double(image.width * scale), h = Double(image.height * scale)
            scene.add(.image(tileRaster(index), x: x, y: y, scale: scale))
            // A hairline frame just outside the tile, so white images keep their edges.
            scene.add(.rectangle(x: x - 0.5, y: y - 0.5, width: w + 1, height: h + 1,
                                 fill: nil, stroke: .lightGrey, lineWidth: 1, cornerRadius: 0))
            if let caption = image.caption, !caption.isEmpty {
                let row = index / columns
                let baseline = margin + Double(row * layout.cellHeight + layout.tileHeight) + ImageGrid.gap / 2 + ImageGrid.captionSize
                scene.text(caption, x: x + w / 2, baseline: baseline, size: ImageGrid.captionSize, anchor: .middle)
            }
        }
        if showsColourBar {
            let barX = (margin + gridWidth + 2 * ImageGrid.gap).rounded()
            let barHeight = min(gridHeight, 320).rounded()
            let barY = (margin + (gridHeight - barHeight) / 2).rounded()
            let steps = max(2, Int(barHeight))
            let barPixels = Int(ImageGrid.barWidth)
            var bytes = [UInt8](repeating: 0, count: steps * barPixels * 3)
            for i in 0..<steps {
                let colour = colourMap.colour(Float(steps - 1 - i) / Float(steps - 1))
                for j in 0..<barPixels {
                    let k = 3 * (i * barPixels + j)
                    bytes[k] = colour.red
                    bytes[k + 1] = colour.green
                    bytes[k + 2] = colour.blue
                }
            }
            if let bar = try? RasterImage(width: barPixels, height: steps, rgb: bytes) {
                scene.add(.image(bar, x: barX, y: barY, scale: 1))
            }
            scene.add(.rectangle(x: barX - 0.5, y: barY - 0.5, width: ImageGrid.barWidth + 1, height: Double(steps) + 1,
                                 fill: nil, stroke: .midGrey, lineWidth: 1, cornerRadius: 0))
            let labelX = barX + ImageGrid.barWidth + 6
            scene.text(labels.high, x: labelX, baseline: barY + ImageGrid.barLabelSize * 0.8, size: ImageGrid.barLabelSize)
            scene.text(labels.low, x: labelX, baseline: barY + Double(steps), size: ImageGrid.barLabelSize)
        }
        return scene
    }
}
