import Basics
import EngineKernels
/// Which statistic a pooling layer takes of each window.
public enum PoolingKind: String, CaseIterable, Sendable {
    case max, average
}

/// Keras's `MaxPooling1D/2D/3D` and `AveragePooling1D/2D/3D` (one class; `kind` and `rank`
/// pick which). Windows are clipped to the input under `same` padding: max ignores the
/// padding, average divides by the count of real elements, as Keras does.
public final class Pooling: WindowedLayer, ReceptiveFieldLayer, ItemwiseForward, InputReluMasking, ItemwiseBackward {
    public var name: String
    public let kind: PoolingKind
    public let rank: Int
    public let poolSize: [Int]
    public let strides: [Int]
    public let padding: Padding

    public var parameters: [Parameter] { [] }
    private var geometry: WindowGeometry?
    private var inputShape: [Int] = []
    private var output = ReusableBuffer()
    private var inputGradient = ReusableBuffer()
    /// For max pooling: per output element, the index within its item of the input element
    /// that won, so backward routes the gradient there.
    private var argmax: UnsafeMutablePointer<Int32>?
    private var argmaxCapacity = 0
    /// Whether `argmax` belongs to the last forward pass (one in inference mode skips it).
    private var winnersValid = false
    private var lastInput: Tensor?
    /// The output gradient `prepareBackward` took, and whether only positive outputs pass it on.
    private var pendingGradient: Tensor?
    private var positiveOutputsOnly = false

    /// `poolSize` and `strides` take one value for every axis or one per axis; strides default
    /// to the pool size.
    public init(kind: PoolingKind, rank: Int, poolSize: [Int] = [2], strides: [Int]? = nil,
                padding: Padding = .valid) throws(ConfigurationError) {
        let layer = kind == .max ? "MaxPooling" : "AveragePooling"
        try checkRank(rank, layer: layer)
        self.kind = kind
        self.rank = rank
        self.poolSize = try expandSizes(poolSize, rank: rank, what: "\(layer)\(rank)D pool size")
        self.strides = try expandSizes(strides ?? self.poolSize, rank: rank, what: "\(layer)\(rank)D strides")
        self.padding = padding
        name = (kind == .max ? "max_pooling" : "average_pooling") + "\(rank)d"
    }

    deinit { argmax?.deallocate() }

    /// The winners buffer, grown to `count` entries.
    private func winners(count: Int) -> UnsafeMutablePointer<Int32> {
        if argmaxCapacity < count {
            argmax?.deallocate()
            argmax = .allocate(capacity: count)
            argmaxCapacity = count
        }
        return argmax!
    }

    public var typeName: String { (kind == .max ? "MaxPooling" : "AveragePooling") + "\(rank)D" }
    public var namePrefix: String { (kind == .max ? "max_pooling" : "average_pooling") + "\(rank)d" }
    public var window: [Int] { poolSize }
    public var configuration: [(key: String, value: PythonValue)] {
        [("pool_size", .ints(poolSize)), ("strides", .ints(strides)), ("padding", .string(padding.rawValue))]
    }

    private func makeGeometry(_ inputShape: [Int]) throws(ShapeError) -> WindowGeometry {
        try WindowGeometry.make(layer: typeName, rank: rank, inputShape: inputShape, window: poolSize,
                                strides: strides, padding: padding)
    }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        let g = try makeGeometry(inputShape)
        return Array(g.outputSpatialShape.suffix(rank)) + [g.channels]
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        geometry = try makeGeometry(inputShape)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let out = prepareForward(inputShape: input.shape, training: training)
        forwardEveryItem(of: input)
        finishForward(input)
        return out
    }

    /// `forward(items:of:)` over the whole batch, split across cores.
    private func forwardEveryItem(of input: Tensor) {
        guard let g = geometry else { preconditionFailure("\(name) used before build") }
        Parallel.forEachChunk(input.shape[0], workPerItem: g.outputPositions * g.channels * g.windowSize) { items in
            guard !items.isEmpty else { return }
            forward(items: items, of: input)
        }
    }

    public func prepareForward(inputShape shape: [Int], training: Bool) -> Tensor {
        guard let g = geometry else { preconditionFailure("\(name) used before build") }
        precondition(shape.count == rank + 2 && shape.dropFirst().reduce(1, *) == g.inputPositions * g.channels,
                     "\(name) built for \(g.input) x \(g.channels) got \(shape)")
        inputShape = shape
        let out = output.tensor(shape: [shape[0]] + Array(g.outputSpatialShape.suffix(rank)) + [g.channels])
        // Inference needs no winners; a backward pass after it finds them again.
        winnersValid = kind == .max && training
        if winnersValid { _ = winners(count: out.count) }
        return out
    }

    public func forward(items: Range<Int>, of input: Tensor) {
        guard let g = geometry, let out = output.last else { preconditionFailure("\(name) used before prepareForward") }
        let itemIn = g.inputPositions * g.channels, itemOut = g.outputPositions * g.channels
        let source = input.pointer + items.lowerBound * itemIn, target = out.pointer + items.lowerBound * itemOut
        switch kind {
        case .max:
            let winners = winnersValid ? argmax.map { $0 + items.lowerBound * itemOut } : nil
            cnnb_max_pool_forward(source, target, winners, g.kernelWindow, Int32(items.count))
        case .average:
            averagePoolForward(source, target, items: items.count, g)
        }
    }

    public func finishForward(_ input: Tensor) {
        lastInput = kind == .max ? input : nil
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        backward(outputGradient, throughInputRelu: false)
    }

    /// Max pooling's outputs are inputs: where one is not positive, neither was its winner.
    public var masksInputRelu: Bool { kind == .max }

    public func backward(_ outputGradient: Tensor, throughInputRelu: Bool) -> Tensor {
        let dInput = prepareBackward(outputGradient, throughInputRelu: throughInputRelu)
        guard let g = geometry else { preconditionFailure("\(name).backward before forward") }
        let work = kind == .max ? g.inputPositions + g.outputPositions : g.outputPositions * g.windowSize
        Parallel.forEachChunk(inputShape[0], workPerItem: work * g.channels) { items in
            guard !items.isEmpty else { return }
            backward(items: items)
        }
        return dInput
    }

    public func prepareBackward(_ outputGradient: Tensor, throughInputRelu: Bool) -> Tensor {
        guard let g = geometry, !inputShape.isEmpty else { preconditionFailure("\(name).backward before forward") }
        precondition(!throughInputRelu || masksInputRelu, "\(name) cannot take a relu's derivative")
        let batch = inputShape[0]
        precondition(outputGradient.count == batch * g.outputPositions * g.channels,
                     "\(name) gradient \(outputGradient.shape) does not match its output")
        if kind == .max && !winnersValid, let lastInput {
            // The forward pass again, recording winners this time.
            _ = winners(count: output.tensor(shape: outputGradient.shape).count)
            winnersValid = true
            forwardEveryItem(of: lastInput)
        }
        pendingGradient = outputGradient
        positiveOutputsOnly = throughInputRelu
        return inputGradient.tensor(shape: inputShape)
    }

    public func backward(items: Range<Int>) {
        guard let g = geometry, let gradient = pendingGradient, let dInput = inputGradient.last else {
            preconditionFailure("\(name).backward(items:) before prepareBackward")
        }
        let itemIn = g.inputPositions * g.channels, itemOut = g.outputPositions * g.channels
        let source = gradient.pointer + items.lowerBound * itemOut, target = dInput.pointer + items.lowerBound * itemIn
        switch kind {
        case .max:
            let positive = positiveOutputsOnly ? output.last.map { UnsafePointer($0.pointer) + items.lowerBound * itemOut } : nil
            cnnb_max_pool_backward(source, argmax! + items.lowerBound * itemOut, positive, target, g.kernelWindow,
                                   Int32(items.count))
        case .average:
            averagePoolBackward(source, target, items: items.count, g)
        }
    }
}

/// The input range a window covers along one axis, clipped to the input.
@inline(__always)
private func clippedRange(_ o: Int, stride: Int, pad: Int, window: Int, size: Int) -> Range<Int> {
    let start = o * stride - pad
    return max(start, 0)..<min(start + window, size)
}

/// Walks one item's windows in output order: `body(position, count, inputs)`, where `inputs(visit)`
/// calls `visit` with the input position of each of the window's `count` elements, clipped to
/// the input (padding takes no part).
@inline(__always)
private func forEachClippedWindow(_ g: WindowGeometry, _ body: (Int, Int, ((Int) -> Void) -> Void) -> Void) {
    let (inD, inH, inW) = g.input, (kD, kH, kW) = g.window, (sD, sH, sW) = g.stride
    let (pD, pH, pW) = g.padBefore, (outD, outH, outW) = g.output
    var position = 0
    for od in 0..<outD {
        let ds = clippedRange(od, stride: sD, pad: pD, window: kD, size: inD)
        for oh in 0..<outH {
            let hs = clippedRange(oh, stride: sH, pad: pH, window: kH, size: inH)
            for ow in 0..<outW {
                let ws = clippedRange(ow, stride: sW, pad: pW, window: kW, size: inW)
                body(position, ds.count * hs.count * ws.count) { visit in
                    for id in ds {
                        for ih in hs {
                            for iw in ws { visit((id * inH + ih) * inW + iw) }
                        }
                    }
                }
                position += 1
            }
        }
    }
}

/// The average of every window of `items` items, on the calling thread.
private func averagePoolForward(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
                                items: Int, _ g: WindowGeometry) {
    let c = g.channels, itemIn = g.inputPositions * c, itemOut = g.outputPositions * c
    for n in 0..<items {
        let src = input + n * itemIn, dst = output + n * itemOut
        forEachClippedWindow(g) { position, count, inputs in
            let out = dst + position * c
            out.update(repeating: 0, count: c)
            inputs { i in
                let p = src + i * c
                for ch in 0..<c { out[ch] += p[ch] }
            }
            let scale = 1 / Float(count)
            for ch in 0..<c { out[ch] *= scale }
        }
    }
}

/// The input gradient of average pooling for `items` items, on the calling thread.
private func averagePoolBackward(_ gradient: UnsafePointer<Float>, _ dInput: UnsafeMutablePointer<Float>, items: Int,
                                 _ g: WindowGeometry) {
    let c = g.channels, itemIn = g.inputPositions * c, itemOut = g.outputPositions * c
    for n in 0..<items {
        let dst = dInput + n * itemIn, src = gradient + n * itemOut
        dst.update(repeating: 0, count: itemIn)
        forEachClippedWindow(g) { position, count, inputs in
            let share = src + position * c, scale = 1 / Float(count)
            inputs { i in
                let p = dst + i * c
                for ch in 0..<c { p[ch] += share[ch] * scale }
            }
        }
    }
}
