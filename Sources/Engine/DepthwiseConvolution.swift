import Basics
/// Keras's `DepthwiseConv1D` and `DepthwiseConv2D` (one class; `rank` picks which): each input
/// channel convolved on its own with `depthMultiplier` kernels, channels-last.
///
/// Kernel in Keras's layout (k…, in, multiplier), Glorot uniform with Keras's fans of that
/// shape (fan_in = prod(k)·in, fan_out = prod(k)·multiplier); output channel c·multiplier + m
/// is input channel c under kernel m, as Keras orders them. There is no GEMM to hand the work
/// to (each channel sees only itself), so the loops walk the window directly, items split
/// across cores.
public final class DepthwiseConvolution: WindowedLayer, ReceptiveFieldLayer {
    public var name: String
    public let rank: Int
    public let kernelSize: [Int]
    public let strides: [Int]
    public let padding: Padding
    public let depthMultiplier: Int
    public let dilation: [Int]
    public var activation: Activation
    public let useBias: Bool
    /// The kernel's weight name: `kernel`, or `depthwise_kernel` inside a separable convolution.
    var kernelName = "kernel"

    public private(set) var parameters: [Parameter] = []
    private var geometry: WindowGeometry?
    private var input: Tensor?
    private var lastOutput: Tensor?
    private var output = ReusableBuffer()
    private var preActivationGradient = ReusableBuffer()
    private var inputGradient = ReusableBuffer()

    public init(rank: Int, kernelSize: [Int], strides: [Int] = [1], padding: Padding = .valid, depthMultiplier: Int = 1,
                dilation: [Int] = [1], activation: Activation = .linear, useBias: Bool = true) throws(ConfigurationError) {
        guard rank == 1 || rank == 2 else {
            throw ConfigurationError("DepthwiseConv exists in 1D and 2D, not \(rank)D")
        }
        guard depthMultiplier > 0 else {
            throw ConfigurationError("DepthwiseConv\(rank)D depth_multiplier must be at least 1, got \(depthMultiplier)",
                                     hint: "1 keeps one output channel per input channel")
        }
        self.rank = rank
        self.kernelSize = try expandSizes(kernelSize, rank: rank, what: "DepthwiseConv\(rank)D kernel size")
        self.strides = try expandSizes(strides, rank: rank, what: "DepthwiseConv\(rank)D strides")
        self.dilation = try expandSizes(dilation, rank: rank, what: "DepthwiseConv\(rank)D dilation_rate")
        try checkStridesWithDilation(self.strides, self.dilation, layer: "DepthwiseConv\(rank)D")
        self.padding = padding
        self.depthMultiplier = depthMultiplier
        self.activation = activation
        self.useBias = useBias
        name = "depthwise_conv\(rank)d"
    }

    public var typeName: String { "DepthwiseConv\(rank)D" }
    public var namePrefix: String { "depthwise_conv\(rank)d" }
    public var window: [Int] { kernelSize }
    public var configuration: [(key: String, value: PythonValue)] {
        [("kernel_size", .ints(kernelSize)), ("strides", .ints(strides)), ("padding", .string(padding.rawValue)),
         ("depth_multiplier", .int(depthMultiplier))] + dilationArgument(dilation)
            + [("activation", .string(activation.rawValue)), ("use_bias", .bool(useBias))]
    }

    private func makeGeometry(_ inputShape: [Int]) throws(ShapeError) -> WindowGeometry {
        try WindowGeometry.make(layer: typeName, rank: rank, inputShape: inputShape, window: kernelSize,
                                strides: strides, padding: padding, dilation: dilation)
    }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        let g = try makeGeometry(inputShape)
        return Array(g.outputSpatialShape.suffix(rank)) + [g.channels * depthMultiplier]
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int {
        guard let g = try? makeGeometry(inputShape) else { return 0 }
        return g.outputPositions * g.windowSize * g.channels * depthMultiplier
    }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        let g = try makeGeometry(inputShape)
        geometry = g
        let kernel = glorotUniform(shape: kernelSize + [g.channels, depthMultiplier], fanIn: g.windowSize * g.channels,
                                   fanOut: g.windowSize * depthMultiplier, generator: &generator)
        var weights = [Parameter(name: kernelName, value: kernel)]
        if useBias { weights.append(Parameter(name: "bias", value: Tensor(zeros: [g.channels * depthMultiplier]))) }
        parameters = weights
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        guard let g = geometry else { preconditionFailure("\(name) used before build") }
        precondition(input.rank == rank + 2 && input.count == input.shape[0] * g.inputPositions * g.channels,
                     "\(name) built for \(g.input) x \(g.channels) got \(input.shape)")
        let batch = input.shape[0], c = g.channels, m = depthMultiplier, outC = c * m
        let out = output.tensor(shape: [batch] + Array(g.outputSpatialShape.suffix(rank)) + [outC])
        let kernel = UnsafePointer(parameters[0].value.pointer)
        let bias = useBias ? UnsafePointer(parameters[1].value.pointer) : nil
        let x = input.pointer, y = out.pointer, activation = activation
        let itemIn = g.inputPositions * c, itemOut = g.outputPositions * outC
        Parallel.forEachChunk(batch, workPerItem: g.outputPositions * g.windowSize * outC) { items in
            for n in items {
                let src = x + n * itemIn, dst = y + n * itemOut
                if let bias {
                    for o in 0..<g.outputPositions { copy(bias, dst + o * outC, outC) }
                } else {
                    dst.update(repeating: 0, count: itemOut)
                }
                forEachWindowTap(g) { o, k, i in
                    let values = src + i * c, taps = kernel + k * outC, target = dst + o * outC
                    // Kernel row k is (in, multiplier) flattened: entry c·m + j, as the output.
                    for ch in 0..<c {
                        let v = values[ch]
                        for j in 0..<m { target[ch * m + j] += v * taps[ch * m + j] }
                    }
                }
            }
            activation.apply(y + items.lowerBound * itemOut, rows: items.count * g.outputPositions, columns: outC, bias: nil)
        }
        self.input = input
        lastOutput = out
        return out
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard let g = geometry, let input, let out = lastOutput else { preconditionFailure("\(name).backward before forward") }
        precondition(outputGradient.shape == out.shape, "\(name) gradient \(outputGradient.shape) for output \(out.shape)")
        let batch = input.shape[0], c = g.channels, m = depthMultiplier, outC = c * m
        var dz = outputGradient
        if activation != .linear {
            dz = preActivationGradient.tensor(shape: out.shape)
            activation.backward(output: out.pointer, gradient: outputGradient.pointer, into: dz.pointer,
                                rows: out.count / outC, columns: outC)
        }
        if useBias { addColumnSums(dz.pointer, rows: dz.count / outC, columns: outC, into: parameters[1].gradient.pointer) }
        let dInput = inputGradient.tensor(shape: input.shape)
        dInput.fill(0)
        let kernel = UnsafePointer(parameters[0].value.pointer), dKernel = parameters[0].gradient.pointer
        let x = input.pointer, dx = dInput.pointer, gradient = UnsafePointer(dz.pointer)
        let itemIn = g.inputPositions * c, itemOut = g.outputPositions * outC
        // One pass per item: the kernel gradient is shared, so the items run in order.
        for n in 0..<batch {
            let src = x + n * itemIn, dSrc = dx + n * itemIn, dOut = gradient + n * itemOut
            forEachWindowTap(g) { o, k, i in
                let values = src + i * c, dValues = dSrc + i * c
                let taps = kernel + k * outC, dTaps = dKernel + k * outC, upstream = dOut + o * outC
                for ch in 0..<c {
                    var sum: Float = 0
                    for j in 0..<m {
                        let d = upstream[ch * m + j]
                        sum += d * taps[ch * m + j]
                        dTaps[ch * m + j] += d * values[ch]
                    }
                    dValues[ch] += sum
                }
            }
        }
        return dInput
    }
}

/// Calls `body(outputPosition, windowElement, inputPosition)` for every window element of
/// every output position of one item that falls inside the input.
@inline(__always)
func forEachWindowTap(_ g: WindowGeometry, _ body: (Int, Int, Int) -> Void) {
    let (inD, inH, inW) = g.input, (kD, kH, kW) = g.window, (sD, sH, sW) = g.stride
    let (pD, pH, pW) = g.padBefore, (outD, outH, outW) = g.output, (dD, dH, dW) = g.dilation
    var o = 0
    for od in 0..<outD {
        for oh in 0..<outH {
            for ow in 0..<outW {
                var k = 0
                for kd in 0..<kD {
                    let id = od * sD - pD + kd * dD
                    for kh in 0..<kH {
                        let ih = oh * sH - pH + kh * dH
                        for kw in 0..<kW {
                            let iw = ow * sW - pW + kw * dW
                            if id >= 0 && id < inD && ih >= 0 && ih < inH && iw >= 0 && iw < inW {
                                body(o, k, (id * inH + ih) * inW + iw)
                            }
                            k += 1
                        }
                    }
                }
                o += 1
            }
        }
    }
}
