import Basics
/// Keras's `ZeroPadding1D/2D/3D`: zeros added before and after each spatial axis,
/// (…, C) → (… + before + after, C). Keras's `padding` of one int, one per axis, or a
/// (before, after) pair per axis all become `amounts`.
public final class ZeroPadding: Layer {
    public var name: String
    public let rank: Int
    /// (before, after) per spatial axis.
    public let amounts: [(before: Int, after: Int)]
    public var parameters: [Parameter] { [] }
    private var inputShape: [Int] = []
    private var output = ReusableBuffer()
    private var inputGradient = ReusableBuffer()

    public init(rank: Int, amounts: [(before: Int, after: Int)]) throws(ConfigurationError) {
        try checkRank(rank, layer: "ZeroPadding")
        let expanded = amounts.count == 1 ? Array(repeating: amounts[0], count: rank) : amounts
        guard expanded.count == rank else {
            throw ConfigurationError("ZeroPadding\(rank)D padding has \(amounts.count) values but the layer is \(rank)D",
                                     hint: "give one value, or \(rank) values (one per spatial axis)")
        }
        guard expanded.allSatisfy({ $0.before >= 0 && $0.after >= 0 }) else {
            throw ConfigurationError("ZeroPadding\(rank)D padding must be at least 0 on every side",
                                     hint: "use cropping to remove positions")
        }
        self.rank = rank
        self.amounts = expanded
        name = "zero_padding\(rank)d"
    }

    /// The same padding on both sides of each axis (`padding` one value, or one per axis).
    public convenience init(rank: Int, padding: [Int]) throws(ConfigurationError) {
        try self.init(rank: rank, amounts: padding.map { (before: $0, after: $0) })
    }

    public var typeName: String { "ZeroPadding\(rank)D" }
    public var namePrefix: String { "zero_padding\(rank)d" }
    public var configuration: [(key: String, value: PythonValue)] {
        let pairs = amounts.map { PythonValue.ints([$0.before, $0.after]) }
        return [("padding", rank == 1 ? pairs[0] : .tuple(pairs))]
    }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        try checkSpatialInput(typeName, rank: rank, inputShape)
        return zip(inputShape.prefix(rank), amounts).map { $0 + $1.before + $1.after } + [inputShape[rank]]
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
    }

    /// Calls `body(inputOffset, outputOffset, run)` for each run of contiguous values (a row of
    /// the innermost spatial axis with its channels) of every item.
    private func forEachRun(batch: Int, inputShape: [Int], _ body: (Int, Int, Int) -> Void) {
        let s = spatial3(Array(inputShape.prefix(rank))), c = inputShape[rank]
        let p = spatial3Pairs(amounts)
        let out = (s.0 + p.0.before + p.0.after, s.1 + p.1.before + p.1.after, s.2 + p.2.before + p.2.after)
        let itemIn = s.0 * s.1 * s.2 * c, itemOut = out.0 * out.1 * out.2 * c
        for n in 0..<batch {
            for d in 0..<s.0 {
                for h in 0..<s.1 {
                    let source = n * itemIn + ((d * s.1 + h) * s.2) * c
                    let target = n * itemOut + (((d + p.0.before) * out.1 + h + p.1.before) * out.2 + p.2.before) * c
                    body(source, target, s.2 * c)
                }
            }
        }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        inputShape = input.shape
        let itemShape = Array(input.shape.dropFirst())
        guard let shape = try? outputShape(for: itemShape) else { preconditionFailure("\(name) got \(input.shape)") }
        let out = output.tensor(shape: [input.shape[0]] + shape)
        out.fill(0)
        let x = input.pointer, y = out.pointer
        forEachRun(batch: input.shape[0], inputShape: itemShape) { source, target, run in
            (y + target).update(from: x + source, count: run)
        }
        return out
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        precondition(!inputShape.isEmpty, "\(name).backward before forward")
        let d = inputGradient.tensor(shape: inputShape)
        let g = outputGradient.pointer, dx = d.pointer
        forEachRun(batch: inputShape[0], inputShape: Array(inputShape.dropFirst())) { source, target, run in
            (dx + source).update(from: g + target, count: run)
        }
        return d
    }
}

/// Checks an input of a spatial layer of `rank`: `rank` spatial axes then channels, none empty.
func checkSpatialInput(_ layer: String, rank: Int, _ inputShape: [Int]) throws(ShapeError) {
    guard inputShape.count == rank + 1 else {
        throw ShapeError("\(layer) expects inputs of rank \(rank + 1) (\(rank) spatial \(rank == 1 ? "axis" : "axes"), channels) but got shape \(kerasTupleText(inputShape))",
                         hint: inputShape.count >= 2 && inputShape.count <= 4 ? "use the \(inputShape.count - 1)D form of this layer" : nil)
    }
    guard inputShape.allSatisfy({ $0 > 0 }) else {
        throw ShapeError("\(layer) got an empty input of shape \(kerasTupleText(inputShape))")
    }
}

/// Spatial sizes of rank 1–3 as (depth, height, width), the missing leading axes of size 1
/// (as `WindowGeometry` lays them out).
func spatial3(_ sizes: [Int], fill: Int = 1) -> (Int, Int, Int) {
    let padded = Array(repeating: fill, count: 3 - sizes.count) + sizes
    return (padded[0], padded[1], padded[2])
}

private func spatial3Pairs(_ pairs: [(before: Int, after: Int)]) -> ((before: Int, after: Int), (before: Int, after: Int), (before: Int, after: Int)) {
    let padded = Array(repeating: (before: 0, after: 0), count: 3 - pairs.count) + pairs
    return (padded[0], padded[1], padded[2])
}
