import Basics
/// Keras's `UpSampling1D/2D/3D` with nearest-neighbour interpolation: each position repeated
/// `size` times along its axis, (…, C) → (… · size, C). Backward sums each block of copies.
public final class UpSampling: Layer {
    public var name: String
    public let rank: Int
    public let size: [Int]
    public var parameters: [Parameter] { [] }
    private var inputShape: [Int] = []
    private var output = ReusableBuffer()
    private var inputGradient = ReusableBuffer()

    public init(rank: Int, size: [Int] = [2]) throws(ConfigurationError) {
        try checkRank(rank, layer: "UpSampling")
        self.rank = rank
        self.size = try expandSizes(size, rank: rank, what: "UpSampling\(rank)D size")
        name = "up_sampling\(rank)d"
    }

    public var typeName: String { "UpSampling\(rank)D" }
    public var namePrefix: String { "up_sampling\(rank)d" }
    public var configuration: [(key: String, value: PythonValue)] {
        // Keras's UpSampling1D keeps `size` an int; 2D adds the interpolation.
        switch rank {
        case 1: return [("size", .int(size[0]))]
        case 2: return [("size", .ints(size)), ("interpolation", .string("nearest"))]
        default: return [("size", .ints(size))]
        }
    }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        try checkSpatialInput(typeName, rank: rank, inputShape)
        return zip(inputShape.prefix(rank), size).map(*) + [inputShape[rank]]
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
    }

    /// Calls `body(inputOffset, outputOffset)` for every output position of every item (the
    /// offsets of its first channel).
    private func forEachPosition(batch: Int, itemShape: [Int], _ body: (Int, Int) -> Void) {
        let s = spatial3(Array(itemShape.prefix(rank))), k = spatial3(size), c = itemShape[rank]
        let out = (s.0 * k.0, s.1 * k.1, s.2 * k.2)
        let itemIn = s.0 * s.1 * s.2 * c, itemOut = out.0 * out.1 * out.2 * c
        for n in 0..<batch {
            for d in 0..<out.0 {
                for h in 0..<out.1 {
                    for w in 0..<out.2 {
                        body(n * itemIn + (((d / k.0) * s.1 + h / k.1) * s.2 + w / k.2) * c,
                             n * itemOut + ((d * out.1 + h) * out.2 + w) * c)
                    }
                }
            }
        }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        inputShape = input.shape
        let itemShape = Array(input.shape.dropFirst()), c = itemShape[rank]
        let out = output.tensor(shape: [input.shape[0]] + zip(itemShape.prefix(rank), size).map(*) + [c])
        let x = input.pointer, y = out.pointer
        forEachPosition(batch: input.shape[0], itemShape: itemShape) { source, target in
            copy(x + source, y + target, c)
        }
        return out
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        precondition(!inputShape.isEmpty, "\(name).backward before forward")
        let d = inputGradient.tensor(shape: inputShape)
        d.fill(0)
        let itemShape = Array(inputShape.dropFirst()), c = itemShape[rank]
        let g = outputGradient.pointer, dx = d.pointer
        forEachPosition(batch: inputShape[0], itemShape: itemShape) { source, target in
            for ch in 0..<c { dx[source + ch] += g[target + ch] }
        }
        return d
    }
}
