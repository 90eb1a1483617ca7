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
/// Layers sit in rows by their longest path from the input, so branches sit side by side; an
/// arrow that skips rows (a residual connection) runs through a lane of its own in every row it
/// crosses, so no arrow passes over a box.
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
    static let laneWidth = 14.0
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

    private var boxHeight: Double { ModelGraph.headerHeight + ModelGraph.shapeHeight }

    /// Top of row `level`.
    private func top(_ level: Int) -> Double {
        ModelGraph.margin + Double(level) * (boxHeight + ModelGraph.levelGap)
    }

    /// What occupies a place in a row: a box, or the lane of an arrow passing through.
    private enum Slot: Hashable {
        case box(Int)
        case lane(edge: Int, level: Int)
    }

    /// Each connection as (parent, child), children in order and each child's parents in order.
    private var edges: [(parent: Int, child: Int)] {
        nodes.enumerated().flatMap { index, node in node.parents.map { (parent: $0, child: index) } }
    }

    /// The horizontal centre of every box and lane: rows ordered by the mean position of what
    /// feeds them (fewer crossings), each place as near that mean as the places to its left allow.
    private func layout() -> (centres: [Slot: Double], width: Double) {
        let width = boxWidth
        let edges = self.edges
        let levels = (depths.max() ?? 0) + 1
        var rows = [[Slot]](repeating: [], count: levels)
        var feeders: [Slot: [Slot]] = [:]
        for (index, depth) in depths.enumerated() { rows[depth].append(.box(index)) }
        for (e, edge) in edges.enumerated() {
            var previous = Slot.box(edge.parent)
            for level in stride(from: depths[edge.parent] + 1, to: depths[edge.child], by: 1) {
                let lane = Slot.lane(edge: e, level: level)
                rows[level].append(lane)
                feeders[lane] = [previous]
                previous = lane
            }
            feeders[.box(edge.child), default: []].append(previous)
        }
        func slotWidth(_ slot: Slot) -> Double {
            if case .box = slot { return width }
            return ModelGraph.laneWidth
        }
        var centres: [Slot: Double] = [:]
        var order: [Slot: Int] = [:]
        for level in 0..<levels {
            var row = rows[level]
            if level > 0 {
                let key = Dictionary(uniqueKeysWithValues: row.map { slot in
                    (slot, (feeders[slot] ?? []).map { Double(order[$0] ?? 0) }.reduce(0, +) / Double(max(feeders[slot]?.count ?? 0, 1)))
                })
                row = row.enumerated().sorted { (key[$0.element]!, $0.offset) < (key[$1.element]!, $1.offset) }.map(\.element)
            }
            var right = -Double.infinity
            var previous: Slot?
            for (position, slot) in row.enumerated() {
                order[slot] = position
                let sources = feeders[slot] ?? []
                var centre = sources.isEmpty ? 0 : sources.map { centres[$0]! }.reduce(0, +) / Double(sources.count)
                if let previous {
                    let bothLanes = slotWidth(previous) < width && slotWidth(slot) < width
                    let gap = bothLanes ? 4 : ModelGraph.columnGap
                    centre = max(centre, right + gap + slotWidth(slot) / 2)
                }
                centres[slot] = centre
                right = centre + slotWidth(slot) / 2
                previous = slot
            }
        }
        let left = centres.map { $0.value - slotWidth($0.key) / 2 }.min() ?? 0
        for key in Array(centres.keys) { centres[key]! += ModelGraph.margin - left }
        return (centres, width)
    }

    /// The top-left corner of each node's box.
    public func boxOrigins() -> [Point] {
        let (centres, width) = layout()
        return nodes.indices.map { Point((centres[.box($0)]! - width / 2).rounded(), top(depths[$0])) }
    }

    /// Each connection's path, from the bottom of the parent's box to the top of the child's,
    /// in the order of `edges`: straight between neighbouring rows, down its lane through each
    /// row it skips.
    public func arrowPaths() -> [[Point]] {
        let (centres, width) = layout()
        let origins = nodes.indices.map { Point((centres[.box($0)]! - width / 2).rounded(), top(depths[$0])) }
        let edges = self.edges
        var paths = edges.enumerated().map { e, edge -> [Point] in
            let parent = origins[edge.parent]
            var points = [Point(parent.x + width / 2, parent.y + boxHeight + 1)]
            for level in stride(from: depths[edge.parent] + 1, to: depths[edge.child], by: 1) {
                let x = centres[.lane(edge: e, level: level)]!
                points.append(Point(x, top(level)))
                points.append(Point(x, top(level) + boxHeight))
            }
            return points
        }
        // Several arrows into one box end at points spread along its top, in the order they
        // arrive from left to right, so they do not cross just above it.
        for child in nodes.indices {
            let incoming = edges.indices.filter { edges[$0].child == child }.sorted { paths[$0].last!.x < paths[$1].last!.x }
            for (slot, e) in incoming.enumerated() {
                let x = origins[child].x + width * Double(slot + 1) / Double(incoming.count + 1)
                paths[e].append(Point(x, origins[child].y - 1))
            }
        }
        return paths
    }

    public func scene() -> Scene {
        let width = boxWidth
        let height = boxHeight
        let origins = boxOrigins()
        let right = origins.map { $0.x + width }.max() ?? width
        let bottom = origins.map { $0.y + height }.max() ?? height
        var scene = Scene(width: Int((right + ModelGraph.margin).rounded(.up)),
                          height: Int((bottom + ModelGraph.margin).rounded(.up)))
        let border = Colour(hex: 0x4D4D4D)
        let header = Colour(hex: 0xDCE8F5)
        let arrow = Colour(hex: 0x555555)

        for path in arrowPaths() { drawArrow(into: &scene, path: path, colour: arrow) }
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

    /// A polyline ending in an arrow head.
    private func drawArrow(into scene: inout Scene, path: [Point], colour: Colour) {
        guard path.count >= 2, let to = path.last else { return }
        let from = path[path.count - 2]
        let dx = to.x - from.x, dy = to.y - from.y
        let length = (dx * dx + dy * dy).squareRoot()
        guard length > 1 else { return }
        let ux = dx / length, uy = dy / length
        let head = 9.0, half = 4.5
        let base = Point(to.x - ux * head, to.y - uy * head)
        scene.add(.polyline(points: Array(path.dropLast()) + [base], colour: colour, lineWidth: 1.5))
        scene.add(.polygon(points: [to, Point(base.x - uy * half, base.y + ux * half), Point(base.x + uy * half, base.y - ux * half)], fill: colour))
    }
}
