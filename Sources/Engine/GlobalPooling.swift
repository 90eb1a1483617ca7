import Basics
/// Keras's `GlobalAveragePooling1D/2D/3D` and `GlobalMaxPooling1D/2D/3D`: one value per
/// channel over every spatial position, (…, C) -> (C,).
public final class GlobalPooling: ReceptiveFieldLayer {
    public var receptiveField: ReceptiveFieldEffect { .whole }
    public var name: String
    public let kind: PoolingKind
    public let rank: Int

    public var parameters: [Parameter] { [] }
    private var inputShape: [Int] = []
    private var output = ReusableBuffer()
    private var inputGradient = ReusableBuffer()
    /// For max: per output element, the winning position within its item.
    private var argmax: [Int32] = []

    public init(kind: PoolingKind, rank: Int) throws(ConfigurationError) {
        try checkRank(rank, layer: kind == .max ? "GlobalMaxPooling" : "GlobalAveragePooling")
        self.kind = kind
        self.rank = rank
        name = (kind == .max ? "global_max_pooling" : "global_average_pooling") + "\(rank)d"
    }

    public var typeName: String { (kind == .max ? "GlobalMaxPooling" : "GlobalAveragePooling") + "\(rank)D" }
    public var namePrefix: String { (kind == .max ? "global_max_pooling" : "global_average_pooling") + "\(rank)d" }
    public var configuration: [(key: String, value: PythonValue)] { [] }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        guard inputShape.count == rank + 1 else {
            throw ShapeError("\(typeName) expects inputs of rank \(rank + 1) (spatial axes, channels) but got shape \(kerasTupleText(inputShape))",
                             hint: inputShape.count >= 2 && inputShape.count <= 4
                                ? "use the \(inputShape.count - 1)D form of this layer" : nil)
        }
        guard inputShape.allSatisfy({ $0 > 0 }) else {
            throw ShapeError("\(typeName) got an empty input of shape \(kerasTupleText(inputShape))")
        }
        return [inputShape[rank]]
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.rank == rank + 2, "\(name) expects rank \(rank + 2) batches, got \(input.shape)")
        inputShape = input.shape
        let batch = input.shape[0], c = input.shape[rank + 1]
        let positions = input.count / max(batch * c, 1)
        let out = output.tensor(shape: [batch, c])
        let src = input.pointer, dst = out.pointer
        switch kind {
        case .average:
            let scale = 1 / Float(positions)
            for n in 0..<batch {
                let d = dst + n * c, s = src + n * positions * c
                d.update(repeating: 0, count: c)
                for p in 0..<positions {
                    let row = s + p * c
                    for ch in 0..<c { d[ch] += row[ch] }
                }
                for ch in 0..<c { d[ch] *= scale }
            }
        case .max:
            if argmax.count != batch * c { argmax = Array(repeating: 0, count: batch * c) }
            argmax.withUnsafeMutableBufferPointer { arg in
                for n in 0..<batch {
                    let d = dst + n * c, s = src + n * positions * c, a = arg.baseAddress! + n * c
                    d.update(from: s, count: c)
                    for ch in 0..<c { a[ch] = 0 }
                    for p in 1..<max(positions, 1) {
                        let row = s + p * c
                        for ch in 0..<c where row[ch] > d[ch] {
                            d[ch] = row[ch]
                            a[ch] = Int32(p)
                        }
                    }
                }
            }
        }
        return out
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        precondition(!inputShape.isEmpty, "\(name).backward before forward")
        let batch = inputShape[0], c = inputShape[rank + 1]
        let positions = inputShape.reduce(1, *) / max(batch * c, 1)
        let dInput = inputGradient.tensor(shape: inputShape)
        let g = outputGradient.pointer, d = dInput.pointer
        switch kind {
        case .average:
            let scale = 1 / Float(positions)
            for n in 0..<batch {
                let gn = g + n * c
                for p in 0..<positions {
                    let row = d + (n * positions + p) * c
                    for ch in 0..<c { row[ch] = gn[ch] * scale }
                }
            }
        case .max:
            d.update(repeating: 0, count: dInput.count)
            for n in 0..<batch {
                for ch in 0..<c {
                    d[(n * positions + Int(argmax[n * c + ch])) * c + ch] = g[n * c + ch]
                }
            }
        }
        return dInput
    }
}
