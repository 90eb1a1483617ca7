import Basics
import CBLAS

/// Keras's `Conv1DTranspose`, `Conv2DTranspose` and `Conv3DTranspose` (one class; `rank` picks
/// which), channels-last: the adjoint of a convolution, each input position spreading its
/// values over a window of the output.
///
/// Output size per axis, Keras's rule (no output padding): valid: in · s + max(k − s, 0);
/// same: in · s. The kernel is in Keras's layout (k…, filters, in), which read row-major is
/// the (prod(k)·filters) x in matrix W of the convolution this layer is the transpose of: that
/// convolution runs over the output (filters channels) with the same window, strides and
/// padding and gives back the input's size. So forward is columns = X · Wᵀ then col2im into
/// the output, and backward is im2col of the output gradient, then dX = columns · W and
/// dW += columnsᵀ · X. Glorot uniform with Keras's fans of that shape: fan_in = prod(k)·filters,
/// fan_out = prod(k)·in.
public final class ConvolutionTranspose: ScratchMemoryLayer {
    public var name: String
    public let rank: Int
    public let filters: Int
    public let kernelSize: [Int]
    public let strides: [Int]
    public let padding: Padding
    public var activation: Activation
    public let useBias: Bool

    public private(set) var parameters: [Parameter] = []
    /// The geometry of the convolution this layer transposes (its input is this layer's output).
    private var geometry: WindowGeometry?
    private var inputChannels = 0
    private var input: Tensor?
    private var lastOutput: Tensor?
    private var columns = ReusableBuffer()
    private var output = ReusableBuffer()
    private var preActivationGradient = ReusableBuffer()
    private var inputGradient = ReusableBuffer()
    /// The values before the activation, for gelu and swish.
    private var preActivation = ReusableBuffer()

    public init(rank: Int, filters: Int, kernelSize: [Int], strides: [Int] = [1], padding: Padding = .valid,
                activation: Activation = .linear, useBias: Bool = true) throws(ConfigurationError) {
        try checkRank(rank, layer: "ConvTranspose")
        guard filters > 0 else {
            throw ConfigurationError("Conv\(rank)DTranspose needs at least one filter, got \(filters)")
        }
        self.rank = rank
        self.filters = filters
        self.kernelSize = try expandSizes(kernelSize, rank: rank, what: "Conv\(rank)DTranspose kernel size")
        self.strides = try expandSizes(strides, rank: rank, what: "Conv\(rank)DTranspose strides")
        self.padding = padding
        self.activation = activation
        self.useBias = useBias
        name = "conv\(rank)d_transpose"
    }

    public var typeName: String { "Conv\(rank)DTranspose" }
    public var namePrefix: String { "conv\(rank)d_transpose" }
    public var configuration: [(key: String, value: PythonValue)] {
        [("filters", .int(filters)), ("kernel_size", .ints(kernelSize)), ("strides", .ints(strides)),
         ("padding", .string(padding.rawValue)), ("activation", .string(activation.rawValue)), ("use_bias", .bool(useBias))]
    }

    /// Keras's `deconv_output_length` without output padding.
    private func outputSpatial(_ inputSpatial: [Int]) -> [Int] {
        zip(inputSpatial, zip(kernelSize, strides)).map { size, ks in
            padding == .same ? size * ks.1 : size * ks.1 + max(ks.0 - ks.1, 0)
        }
    }

    private func makeGeometry(_ inputShape: [Int]) throws(ShapeError) -> WindowGeometry {
        try checkSpatialInput(typeName, rank: rank, inputShape)
        let out = outputSpatial(Array(inputShape.prefix(rank)))
        let g = try WindowGeometry.make(layer: typeName, rank: rank, inputShape: out + [filters], window: kernelSize,
                                        strides: strides, padding: padding)
        // The transposed convolution must map the output back onto exactly the input's size.
        precondition(Array(g.outputSpatialShape.suffix(rank)) == Array(inputShape.prefix(rank)),
                     "\(typeName) geometry \(g.outputSpatialShape) for input \(inputShape)")
        return g
    }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        _ = try makeGeometry(inputShape)
        return outputSpatial(Array(inputShape.prefix(rank))) + [filters]
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int {
        guard let g = try? makeGeometry(inputShape) else { return 0 }
        return g.outputPositions * g.windowSize * filters * inputShape[rank]
    }

    /// The columns of one item for every core, which forward and backward share.
    public func scratchCount(for inputShape: [Int]) -> Double {
        guard let g = try? makeGeometry(inputShape) else { return 0 }
        return Double(Parallel.cores) * Double(g.outputPositions) * Double(g.windowSize * filters)
    }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        let g = try makeGeometry(inputShape)
        geometry = g
        inputChannels = inputShape[rank]
        let kernel = glorotUniform(shape: kernelSize + [filters, inputChannels], fanIn: g.windowSize * filters,
                                   fanOut: g.windowSize * inputChannels, generator: &generator)
        var weights = [Parameter(name: "kernel", value: kernel)]
        if useBias { weights.append(Parameter(name: "bias", value: Tensor(zeros: [filters]))) }
        parameters = weights
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        guard let g = geometry else { preconditionFailure("\(name) used before build") }
        let cin = inputChannels, positions = g.outputPositions, depth = g.windowSize * filters
        precondition(input.rank == rank + 2 && input.count == input.shape[0] * positions * cin,
                     "\(name) built for \(g.output) x \(cin) got \(input.shape)")
        Parallel.configureBLAS
        let batch = input.shape[0], filters = filters
        let out = output.tensor(shape: [batch] + Array(g.inputSpatialShape.suffix(rank)) + [filters])
        let scratch = columns.tensor(shape: [Parallel.cores, positions * depth]).pointer
        let kernel = UnsafePointer(parameters[0].value.pointer)
        let bias = useBias ? UnsafePointer(parameters[1].value.pointer) : nil
        let activation = activation, source = input.pointer, target = out.pointer
        let kept = activation.derivativeReadsInput ? preActivation.tensor(shape: out.shape).pointer : nil
        let itemIn = positions * cin, itemOut = g.inputPositions * filters
        Parallel.forEachChunk(batch, chunks: Parallel.chunkCount(batch, workPerItem: positions * depth * cin)) { _, items, slot in
            let cols = scratch + slot * positions * depth
            for n in items {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(positions), Int32(depth), Int32(cin),
                            1, source + n * itemIn, Int32(cin), kernel, Int32(cin), 0, cols, Int32(depth))
                columnsToImage(cols, target + n * itemOut, items: 1, g)
            }
            if !items.isEmpty {
                let first = target + items.lowerBound * itemOut
                if let kept {
                    // gelu and swish read their input in backward: keep it, bias added.
                    Activation.linear.apply(first, rows: items.count * g.inputPositions, columns: filters, bias: bias)
                    (kept + items.lowerBound * itemOut).update(from: first, count: items.count * itemOut)
                    activation.apply(first, rows: items.count * g.inputPositions, columns: filters, bias: nil)
                } else {
                    activation.apply(first, rows: items.count * g.inputPositions, columns: filters, bias: bias)
                }
            }
        }
        self.input = input
        lastOutput = out
        return out
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard let g = geometry, let input, let out = lastOutput else { preconditionFailure("\(name).backward before forward") }
        precondition(outputGradient.shape == out.shape, "\(name) gradient \(outputGradient.shape) for output \(out.shape)")
        let batch = input.shape[0], cin = inputChannels, filters = filters
        let positions = g.outputPositions, depth = g.windowSize * filters
        var dz = outputGradient
        if activation != .linear {
            dz = preActivationGradient.tensor(shape: out.shape)
            activation.backward(output: out.pointer, gradient: outputGradient.pointer, into: dz.pointer,
                                rows: out.count / filters, columns: filters,
                                input: activation.derivativeReadsInput ? UnsafePointer(preActivation.tensor(shape: out.shape).pointer) : nil)
        }
        if useBias { addColumnSums(dz.pointer, rows: dz.count / filters, columns: filters, into: parameters[1].gradient.pointer) }
        let cols = columns.tensor(shape: [Parallel.cores, positions * depth]).pointer
        let dInput = inputGradient.tensor(shape: input.shape)
        let kernel = parameters[0].value.pointer, dKernel = parameters[0].gradient.pointer
        let itemIn = positions * cin, itemOut = g.inputPositions * filters
        // Item by item: the kernel gradient is one sum over the batch.
        for n in 0..<batch {
            imageToColumns(dz.pointer + n * itemOut, cols, items: 1, g)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(positions), Int32(cin), Int32(depth),
                        1, cols, Int32(depth), kernel, Int32(cin), 0, dInput.pointer + n * itemIn, Int32(cin))
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(depth), Int32(cin), Int32(positions),
                        1, cols, Int32(depth), input.pointer + n * itemIn, Int32(cin), 1, dKernel, Int32(cin))
        }
        return dInput
    }
}
