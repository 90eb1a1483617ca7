/// One layer in a model graph: what `plot_model(show_shapes=True)` writes in its box.
public struct GraphNode: Equatable, Sendable {
    public var name: String
    public var type: String
    public var inputShape: String
    public var outputShape: String
    /// Indices of the nodes feeding this one; each must come earlier in the list.
    public var parents: [Int]

    public init(name: String, type: String, inputShape: String, outputShape: String, parents: [Int]) {
        self.name = name
        self.type = type
        self.inputShape = inputShape
        self.outputShape = outputShape
        self.parents = parents
    }
}

/// A model drawn top to bottom: a box per layer, arrows from each layer to the layers it feeds.
/// Layers at the same depth (branches of a model with several outputs) sit side by side.
public struct ModelGraph: Sendable {
    public let nodes: [GraphNode]
    /// Row of each node: one more than its deepest parent.
    public let depths: [Int]

    /// Fails when a node names a parent that is not an earlier node.
    public init(nodes: [GraphNode]) throws {
        guard !nodes.isEmpty else { throw RenderError.invalidInput("a model graph needs at least one layer") }
        var depths: [Int] = []
        for (index, node) in nodes.enumerated() {
            var depth = 0
            for parent in node.parents {
                guard parent >= 0, parent < index else {
                    throw RenderError.invalidInput("layer \(index) (\(node.name)) names parent \(parent), which is not an earlier layer; list layers so that inputs come first")
                }
                depth = max(depth, depths[parent] + 1)
            }
            depths.append(depth)
        }
        self.nodes = nodes
        self.depths = depths
    }

    static let titleSize = 13.0
    static let shapeSize = 11.5
    static let headerHeight = 28.0
    static let shapeHeight = 40.0
    static let levelGap = 44.0
    static let columnGap = 28.0
    static let margin = 20.0

    private func title(_ node: GraphNode) -> String { "\(node.name) (\(node.type))" }

    /// Width shared by every box, so the column reads as one.
    private var boxWidth: Double {
        var widest = 0.0
        for node in nodes {
            widest = max(widest, TextMetrics.width(title(node), size: ModelGraph.titleSize, bold: true) + 24)
            let shapes = max(TextMetrics.width(node.inputShape, size: ModelGraph.shapeSize),
                             TextMetrics.width(node.outputShape, size: ModelGraph.shapeSize),
                             TextMetrics.width("Output shape", size: ModelGraph.shapeSize, bold: true))
            widest = max(widest, 2 * (shapes + 20))
        }
        return widest.rounded(.up)
    }

    /// The top-left corner of each node's box.
    public func boxOrigins() -> [Point] {
        let width = boxWidth
        let levels = (depths.max() ?? 0) + 1
        var members = [[Int]](repeating: [], count: levels)
        for (index, depth) in depths.enumerated() { members[depth].append(index) }
        let widest = members.map { Double($0.count) * width + Double(max(0, $0.count - 1)) * ModelGraph.columnGap }.max() ?? width
        var origins = [Point](repeating: Point(0, 0), count: nodes.count)
        for (level, row) in members.enumerated() {
            let rowWidth = Double(row.count) * width + Double(max(0, row.count - 1)) * ModelGraph.columnGap
            var x = ModelGraph.margin + (widest - rowWidth) / 2
            let y = ModelGraph.margin + Double(level) * (ModelGraph.headerHeight + ModelGraph.shapeHeight + ModelGraph.levelGap)
            for index in row {
                origins[index] = Point(x.rounded(), y)
                x += width + ModelGraph.columnGap
            }
        }
        return origins
    }

    public func scene() -> Scene {
        let width = boxWidth
        let height = ModelGraph.headerHeight + ModelGraph.shapeHeight
        let origins = boxOrigins()
        let right = origins.map { $0.x + width }.max() ?? width
        let bottom = origins.map { $0.y + height }.max() ?? height
        var scene = Scene(width: Int((right + ModelGraph.margin).rounded(.up)),
                          height: Int((bottom + ModelGraph.margin).rounded(.up)))
        let border = Colour(hex: 0x4D4D4D)
        let header = Colour(hex: 0xDCE8F5)
        let arrow = Colour(hex: 0x555555)

        for (index, node) in nodes.enumerated() {
            let o = origins[index]
            for parent in node.parents {
                let p = origins[parent]
                let from = Point(p.x + width / 2, p.y + height + 1)
                let to = Point(o.x + width / 2, o.y - 1)
                drawArrow(into: &scene, from: from, to: to, colour: arrow)
            }
        }
        for (index, node) in nodes.enumerated() {
            let o = origins[index]
            let x = o.x + 0.5, y = o.y + 0.5
            scene.add(.rectangle(x: x, y: y, width: width, height: height, fill: .white, stroke: nil, lineWidth: 0, cornerRadius: 0))
            scene.add(.rectangle(x: x, y: y, width: width, height: ModelGraph.headerHeight, fill: header, stroke: nil, lineWidth: 0, cornerRadius: 0))
            scene.add(.rectangle(x: x, y: y, width: width, height: height, fill: nil, stroke: border, lineWidth: 1, cornerRadius: 0))
            scene.line(Point(x, y + ModelGraph.headerHeight), Point(x + width, y + ModelGraph.headerHeight), colour: border)
            scene.line(Point((x + width / 2).rounded() + 0.5, y + ModelGraph.headerHeight), Point((x + width / 2).rounded() + 0.5, y + height), colour: Colour(hex: 0xBBBBBB))
            scene.text(title(node), x: x + width / 2, baseline: y + ModelGraph.headerHeight / 2 + ModelGraph.titleSize * 0.36,
                       size: ModelGraph.titleSize, anchor: .middle, bold: true)
            let firstLine = y + ModelGraph.headerHeight + 16
            let secondLine = firstLine + 17
            scene.text("Input shape", x: x + width / 4, baseline: firstLine, size: ModelGraph.shapeSize, colour: Colour(hex: 0x555555), anchor: .middle, bold: true)
            scene.text("Output shape", x: x + 3 * width / 4, baseline: firstLine, size: ModelGraph.shapeSize, colour: Colour(hex: 0x555555), anchor: .middle, bold: true)
            scene.text(node.inputShape, x: x + width / 4, baseline: secondLine, size: ModelGraph.shapeSize, anchor: .middle)
            scene.text(node.outputShape, x: x + 3 * width / 4, baseline: secondLine, size: ModelGraph.shapeSize, anchor: .middle)
        }
        return scene
    }

    private func drawArrow(into scene: inout Scene, from: Point, to: Point, colour: Colour) {
        let dx = to.x - from.x, dy = to.y - from.y
        let length = (dx * dx + dy * dy).squareRoot()
        guard length > 1 else { return }
        let ux = dx / length, uy = dy / length
        let head = 9.0, half = 4.5
        let base = Point(to.x - ux * head, to.y - uy * head)
        scene.add(.polyline(points: [from, base], colour: colour, lineWidth: 1.5))
        scene.add(.polygon(points: [to, Point(base.x - uy * half, base.y + ux * half), Point(base.x + uy * half, base.y - ux * half)], fill: colour))
    }
}
