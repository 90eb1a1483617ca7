import Basics
import CBLAS
import EngineKernels
import Foundation

/// Keras's `Conv1D`, `Conv2D` and `Conv3D` (one class; `rank` picks which), channels-last.
///
/// Kernel in Keras's layout (k..., in, out), which read row-major is the (prod(k)·in) x out
/// matrix the GEMM needs; Glorot uniform with fan_in = prod(k)·in, fan_out = prod(k)·out.
///
/// Forward: im2col into a (items·positions) x (prod(k)·in) matrix, a GEMM with the kernel onto
/// the bias, then the activation; the output matrix is already the NHWC (NWC, NDHWC) output.
/// The batch is split across cores, and each core works through its items in blocks whose
/// columns fit its cache (see `blockItems`). A 1x1 kernel with stride 1 and no padding skips
/// im2col: the input is its own column matrix. Backward, block by block with the columns
/// gathered again: kernel gradient = columnsᵀ · dZ (per-core partial sums added at the end),
/// input gradient = col2im(dZ · kernelᵀ).
///
/// Most layers convolve directly instead (EngineKernels: filters in vector lanes, a tile of
/// positions held in registers through the whole window, no column matrix written and read
/// back): those over fewer than eight input channels (a first layer on RGB images, whose
/// im2col rows are too short for GEMM to run well) and those whose filters fill whole vectors
/// over windows of at most 2,048 elements.
/// Their kernel gradient too, and at stride 1 their input gradient, as the flipped kernel's
/// convolution over the padded output gradient. A 3x3 window at stride 1 over at least eight
/// channels takes Winograd instead, forward, and backward as the forward tiles' adjoint, for the
/// kernel gradient and the input gradient at once: F(4x4, 3x3) where its tiles fit the map
/// better than F(2x2, 3x3)'s (4, 7, 8, 13 or 15 outputs a side, among others), else F(2x2, 3x3).
/// `CNNB_CONVOLUTION=gemm` (im2col + GEMM everywhere) or `direct-only` (no Winograd) picks
/// one way for every layer, for comparing them.
public final class Convolution: WindowedLayer, ReceptiveFieldLayer, ScratchMemoryLayer, BlockwiseProducer,
    BlockwiseGradientConsumer {
    public var name: String
    /// 1, 2 or 3.
    public let rank: Int
    public let filters: Int
    public let kernelSize: [Int]
    public let strides: [Int]
    public let padding: Padding
    /// Keras's `dilation_rate` on each axis.
    public let dilation: [Int]
    public var activation: Activation
    public let useBias: Bool
    /// The kernel's weight name: `kernel`, or `pointwise_kernel` inside a separable convolution.
    var kernelName = "kernel"
    /// False for a first layer whose input gradient nobody reads: `backward` then skips the
    /// GEMM and col2im behind it and returns a zero tensor of the input's shape.
    public var computesInputGradient = true

    public private(set) var parameters: [Parameter] = []
    private var geometry: WindowGeometry?
    private var input: Tensor?
    private var lastOutput: Tensor?
    private var columns = ReusableBuffer()
    private var output = ReusableBuffer()
    private var preActivationGradient = ReusableBuffer()
    private var inputGradient = ReusableBuffer()
    /// The values before the activation, kept for activations whose slope needs them (gelu, swish).
    private var preActivation = ReusableBuffer()
    /// Target size of the columns a core works on at a time (see `blockItems`).
    static let blockBytes = 128 * 1024
    /// Per-core partial kernel and bias gradients of one backward pass.
    private var partialGradients = ReusableBuffer()
    /// Per-core scratch of the direct convolution (see `directScratch(_:block:)`).
    private var directScratch = ReusableBuffer()
    /// The kernel flipped for the direct input gradient (`cnnb_direct_flip_kernel`).
    private var flippedKernel = ReusableBuffer()
    /// The kernel as the Winograd loops multiply with it, forward and (transposed) backward.
    private var winogradKernel = TransformedKernel()
    /// Per chunk, the kernel gradient's sums in Winograd's terms (`cnnb_winograd_backward`).
    private var winogradGradientSums = ReusableBuffer()

    /// `kernelSize`, `strides` and `dilation` take one value for every axis or one per axis
    /// (Keras's int or tuple); strides and dilation default to 1. As in Keras, a stride above 1
    /// cannot go with a dilation above 1.
    public init(rank: Int, filters: Int, kernelSize: [Int], strides: [Int] = [1], padding: Padding = .valid,
                dilation: [Int] = [1], activation: Activation = .linear, useBias: Bool = true) throws(ConfigurationError) {
        try checkRank(rank, layer: "Conv")
        guard filters > 0 else {
            throw ConfigurationError("Conv\(rank)D needs at least one filter, got \(filters)")
        }
        self.rank = rank
        self.filters = filters
        self.kernelSize = try expandSizes(kernelSize, rank: rank, what: "Conv\(rank)D kernel size")
        self.strides = try expandSizes(strides, rank: rank, what: "Conv\(rank)D strides")
        self.dilation = try expandSizes(dilation, rank: rank, what: "Conv\(rank)D dilation_rate")
        try checkStridesWithDilation(self.strides, self.dilation, layer: "Conv\(rank)D")
        self.padding = padding
        self.activation = activation
        self.useBias = useBias
        name = "conv\(rank)d"
    }

    public var typeName: String { "Conv\(rank)D" }
    public var namePrefix: String { "conv\(rank)d" }
    public var window: [Int] { kernelSize }
    public var configuration: [(key: String, value: PythonValue)] {
        [("filters", .int(filters)), ("kernel_size", .ints(kernelSize)), ("strides", .ints(strides)),
         ("padding", .string(padding.rawValue))] + dilationArgument(dilation)
            + [("activation", .string(activation.rawValue)), ("use_bias", .bool(useBias))]
    }

    private func makeGeometry(_ inputShape: [Int]) throws(ShapeError) -> WindowGeometry {
        try WindowGeometry.make(layer: typeName, rank: rank, inputShape: inputShape, window: kernelSize,
                                strides: strides, padding: padding, dilation: dilation)
    }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        let g = try makeGeometry(inputShape)
        return Array(g.outputSpatialShape.suffix(rank)) + [filters]
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int {
        guard let g = try? makeGeometry(inputShape) else { return 0 }
        return g.outputPositions * g.windowSize * g.channels * filters
    }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        let g = try makeGeometry(inputShape)
        geometry = g
        let window = g.windowSize
        let kernel = glorotUniform(shape: kernelSize + [g.channels, filters], fanIn: window * g.channels,
                                   fanOut: window * filters, generator: &generator)
        var weights = [Parameter(name: kernelName, value: kernel)]
        if useBias { weights.append(Parameter(name: "bias", value: Tensor(zeros: [filters]))) }
        parameters = weights
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        forward(input, training: training) { _, _ in }
    }

    public func forward(_ input: Tensor, training: Bool, eachBlock: (Tensor, Range<Int>) -> Void) -> Tensor {
        guard let g = geometry else { preconditionFailure("\(name) used before build") }
        precondition(input.rank == rank + 2 && input.count == input.shape[0] * g.inputPositions * g.channels,
                     "\(name) built for \(g.input) x \(g.channels) got \(input.shape)")
        Parallel.configureBLAS
        let batch = input.shape[0]
        let positions = g.outputPositions, depth = g.windowSize * g.channels, filters = filters
        let block = blockItems(positions: positions, depth: depth, filters: filters)
        let plan = plan(g)
        let direct = plan.direct ? directScratch(g, plan, block: block) : nil
        let scratch = g.isPointwise || direct != nil ? nil : columnScratch(blockRows: block * positions, depth: depth)
        let winograd: UnsafeMutablePointer<Float>? = plan.winograd ? transformedForWinograd(g, tile: plan.winogradTile) : nil
        let out = output.tensor(shape: [batch] + Array(g.outputSpatialShape.suffix(rank)) + [filters])
        let kernel = parameters[0].value.pointer
        let bias = useBias ? UnsafePointer(parameters[1].value.pointer) : nil
        let activation = activation, source = input.pointer, target = out.pointer
        let kept = activation.derivativeReadsInput ? preActivation.tensor(shape: out.shape).pointer : nil
        // Each core gathers, multiplies and activates its own items, a block of a few at a
        // time into its own small column buffer: no thread waits on another until the layer
        // is done, and the columns the GEMM reads were just written and are still in cache.
        let itemIn = g.inputPositions * g.channels
        let window = g.kernelWindow
        let chunks = chunkCount(batch, block: block, workPerItem: positions * depth * filters,
                                perCore: Self.forwardChunksPerCore)
        Parallel.forEachChunk(batch, chunks: chunks) { _, chunkItems, slot in
            for blockStart in stride(from: chunkItems.lowerBound, to: chunkItems.upperBound, by: block) {
                let items = blockStart..<min(blockStart + block, chunkItems.upperBound)
                let first = items.lowerBound * positions, rows = items.count * positions
                let outRows = target + first * filters
                if let direct {
                    // Relu goes into the loops' last step unless the values before it are kept.
                    let fusedRelu = activation == .relu && kept == nil
                    if let winograd {
                        cnnb_winograd_convolution(source + items.lowerBound * itemIn, winograd, bias, outRows, window,
                                                  Int32(filters), fusedRelu ? 1 : 0, Int32(items.count),
                                                  direct.pointer + slot * direct.stride, plan.winogradTile)
                    } else {
                        cnnb_direct_convolution(source + items.lowerBound * itemIn, kernel, bias, outRows, window,
                                                Int32(filters), fusedRelu ? 1 : 0, Int32(items.count),
                                                direct.pointer + slot * direct.stride)
                    }
                    if !fusedRelu {
                        kept.map { ($0 + first * filters).update(from: outRows, count: rows * filters) }
                        activation.apply(outRows, rows: rows, columns: filters, bias: nil)
                    }
                    eachBlock(out, items)
                    continue
                }
                let matrix: UnsafePointer<Float>
                if let scratch {
                    let columns = scratch + slot * block * positions * depth
                    imageToColumns(source + items.lowerBound * itemIn, columns, items: items.count, g)
                    matrix = UnsafePointer(columns)
                } else {
                    matrix = UnsafePointer(source + first * depth)
                }
                // The bias goes in first and the GEMM adds onto it, which spares BLAS clearing
                // the output and the activation a pass.
                if let bias {
                    for r in 0..<rows { copy(bias, outRows + r * filters, filters) }
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(filters), Int32(depth),
                            1, matrix, Int32(depth), kernel, Int32(filters), bias == nil ? 0 : 1,
                            outRows, Int32(filters))
                kept.map { ($0 + first * filters).update(from: outRows, count: rows * filters) }
                activation.apply(outRows, rows: rows, columns: filters, bias: nil)
                eachBlock(out, items)
            }
        }
        self.input = input
        lastOutput = out
        return out
    }

    /// How a geometry convolves, decided once per pass from the geometry, the filters and the
    /// vector width in use (tests change the width between passes).
    private struct Plan {
        /// The direct loops rather than im2col + GEMM: im2col's runs (window width x channels)
        /// are short and its rows shallow under eight channels; with more, the direct loops still
        /// win while the filters fill whole vectors and the window is not deep. Past 2,048 window
        /// elements (3x3 over 228 channels) a tile's weights outgrow the core's cache and GEMM,
        /// which blocks for it, wins.
        var direct = false
        /// Winograd forward: a 3x3 window at stride 1 over at least eight channels, F(2x2, 3x3)
        /// or F(4x4, 3x3) (`winogradTile`), 2.25 or 4 times fewer multiplications than the direct
        /// loops. Each tile takes all its products, however much of it hangs past the map: an odd
        /// map wastes some, and unless the products come to at most 0.6 of the direct loops' 9 a
        /// position (3x3 and 5x5 maps do not) the transforms cost what they save.
        var winograd = false
        /// The backward pass by Winograd too (with `winogradTile`): the adjoint of the forward
        /// loops, for the kernel gradient and the input gradient together. Its tiles are the
        /// forward's, over the output: on conv2d_2's 4x4 output one tile an item, a quarter of the
        /// column GEMM's products (the flipped kernel's convolution over the padded 8x8 gradient
        /// would take as many as GEMM).
        var winogradBackward: Bool { winograd }
        /// The output tile (2 or 4) of the Winograd loops.
        var winogradTile: Int32 = 2
        /// Without Winograd, the input gradient on the direct loops too (stride 1), rather than a
        /// GEMM and col2im. They convolve over the whole padded gradient, inputPositions /
        /// outputPositions times the GEMM's work: past 1.5 (a valid window over a small map) GEMM wins.
        var directInputGradient = false
    }

    /// A 3x3 kernel of `rows` x `columns` matrices as the Winograd loops of `tile` multiply with
    /// it (`cnnb_winograd_kernel`), its rows shared out across cores.
    private func transformForWinograd(_ kernel: UnsafePointer<Float>, into transformed: UnsafeMutablePointer<Float>,
                                      tile: Int32, rows: Int, columns: Int) {
        let elements = Int((tile + 2) * (tile + 2))
        Parallel.forEachChunk(rows, workPerItem: elements * columns) { part in
            cnnb_winograd_kernel(kernel, transformed, tile, Int32(rows), Int32(columns), Int32(part.lowerBound),
                                 Int32(part.count))
        }
    }

    /// The kernel as the Winograd loops forward multiply with it, transformed again only when the
    /// kernel or the tile has changed since: prediction over many batches transforms it once. The
    /// kernel it came from is kept and compared, which costs far less than the transform (and,
    /// after an optimizer step, stops at the first weight). Backward, the same transposed, made
    /// once per transform.
    struct TransformedKernel {
        private var transformedBuffer = ReusableBuffer()
        private var transposedBuffer = ReusableBuffer()
        private var transposedIsCurrent = false
        private var source = ReusableBuffer()
        /// What the transform was made for: tile, channels and filters.
        private var made: (tile: Int32, channels: Int, filters: Int)?

        mutating func transformed(_ kernel: Tensor, tile: Int32, channels: Int, filters: Int,
                                  transform: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int32) -> Void)
            -> UnsafeMutablePointer<Float> {
            let target = transformedBuffer.tensor(shape: [cnnb_winograd_kernel_floats(tile, Int32(channels), Int32(filters))])
            let kept = source.tensor(shape: [kernel.count])
            let bytes = kernel.count * MemoryLayout<Float>.stride
            let key = (tile: tile, channels: channels, filters: filters)
            if let made, made == key, memcmp(kept.pointer, kernel.pointer, bytes) == 0 { return target.pointer }
            transform(kernel.pointer, target.pointer, tile)
            kept.pointer.update(from: kernel.pointer, count: kernel.count)
            made = key
            transposedIsCurrent = false
            return target.pointer
        }

        /// The transformed kernel (`transformed` must have made it) with each element's matrix
        /// transposed by `transpose`.
        mutating func transposed(_ transpose: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void)
            -> UnsafeMutablePointer<Float> {
            guard let made, let transformed = transformedBuffer.last else { preconditionFailure("transposed before transformed") }
            let target = transposedBuffer.tensor(shape: [cnnb_winograd_kernel_floats(made.tile, Int32(made.filters),
                                                                                     Int32(made.channels))])
            if !transposedIsCurrent {
                transpose(transformed.pointer, target.pointer)
                transposedIsCurrent = true
            }
            return target.pointer
        }
    }

    /// The kernel as the Winograd loops of `tile` multiply with it (see `TransformedKernel`).
    private func transformedForWinograd(_ g: WindowGeometry, tile: Int32) -> UnsafeMutablePointer<Float> {
        let channels = g.channels, filters = filters
        return winogradKernel.transformed(parameters[0].value, tile: tile, channels: channels, filters: filters) {
            kernel, transformed, tile in
            transformForWinograd(kernel, into: transformed, tile: tile, rows: channels, columns: filters)
        }
    }

    /// The forward's transformed kernel with each element's matrix transposed, its elements
    /// shared out across cores. The forward pass came first, so the transform is normally current
    /// and `transformed` only compares the weights; weights changed since are transformed again.
    private func transposedForWinograd(_ g: WindowGeometry, tile: Int32) -> UnsafeMutablePointer<Float> {
        let channels = g.channels, filters = filters
        _ = transformedForWinograd(g, tile: tile)
        return winogradKernel.transposed { transformed, transposed in
            Parallel.forEachChunk(Int((tile + 2) * (tile + 2)), workPerItem: channels * filters) { elements in
                cnnb_winograd_transpose(transformed, transposed, Int32(channels), Int32(filters), Int32(elements.lowerBound),
                                        Int32(elements.count))
            }
        }
    }

    /// `CNNB_CONVOLUTION=gemm` or `direct-only`, read once.
    static let algorithmOverride = ProcessInfo.processInfo.environment["CNNB_CONVOLUTION"]

    private func plan(_ g: WindowGeometry) -> Plan {
        var plan = Plan()
        let window = g.kernelWindow, width = VectorLoops.width
        guard !g.isPointwise, cnnb_direct_applies(window) != 0 else { return plan }
        switch Convolution.algorithmOverride {
        case "gemm": return plan
        case "direct-only": plan.direct = true
        default: plan.direct = g.channels < 8 || (filters % width == 0 && g.windowSize * g.channels <= 2048)
        }
        guard plan.direct else { return plan }
        let winogradAllowed = Convolution.algorithmOverride != "direct-only"
        if winogradAllowed && g.channels >= 8 && cnnb_winograd_applies(window) != 0 {
            plan.winogradTile = cnnb_winograd_tile(window)
            plan.winograd = 5 * cnnb_winograd_products(window, plan.winogradTile) <= 27 * g.outputPositions
        }
        plan.directInputGradient = !plan.winograd && cnnb_direct_input_gradient_applies(window) != 0
            && 2 * g.inputPositions <= 3 * g.outputPositions
        return plan
    }

    /// Per core, scratch for the direct loops over a block of `block` items (padded copies and
    /// masked gradients; in the backward pass also the padded output gradient), kept between batches.
    private func directScratch(_ g: WindowGeometry, _ plan: Plan, block: Int) -> (pointer: UnsafeMutablePointer<Float>, stride: Int) {
        let floats = directScratchFloats(g, plan, block: block)
        return (directScratch.tensor(shape: [Parallel.cores, floats]).pointer, floats)
    }

    private func directScratchFloats(_ g: WindowGeometry, _ plan: Plan, block: Int) -> Int {
        let window = g.kernelWindow, filters = Int32(filters), items = Int32(block)
        var floats = cnnb_direct_scratch_floats(window, filters, items)
        if plan.winograd {
            floats = max(floats, cnnb_winograd_backward_scratch_floats(window, filters, items, plan.winogradTile))
        }
        if plan.directInputGradient { floats = max(floats, cnnb_direct_input_gradient_scratch_floats(window, filters, items)) }
        return floats
    }

    /// One column buffer of `blockRows` x `depth` per core, kept between batches.
    private func columnScratch(blockRows: Int, depth: Int) -> UnsafeMutablePointer<Float> {
        columns.tensor(shape: [Parallel.cores, blockRows * depth]).pointer
    }

    /// The scratch the loops keep, whatever the batch: the direct loops' (see `directScratch`),
    /// or the columns `columnScratch` holds, a block of items' windows for every core (none for
    /// a 1x1 kernel, whose input is its own column matrix).
    public func scratchCount(for inputShape: [Int]) -> Double {
        guard let g = try? makeGeometry(inputShape), !g.isPointwise else { return 0 }
        let positions = g.outputPositions, depth = g.windowSize * g.channels
        let block = blockItems(positions: positions, depth: depth, filters: filters)
        let plan = plan(g)
        if plan.direct {
            // Per core its scratch; once, the flipped kernel.
            var floats = Double(Parallel.cores) * Double(directScratchFloats(g, plan, block: block))
            if plan.directInputGradient { floats += Double(depth * filters) }
            // Once, the kernel it came from and the transformed kernel, as is and transposed; per
            // backward chunk the kernel gradient's Winograd sums.
            if plan.winograd {
                let transformed = Double(cnnb_winograd_kernel_floats(plan.winogradTile, Int32(g.channels), Int32(filters)))
                floats += transformed * Double(2 + Convolution.backwardChunksPerCore * Parallel.cores) + Double(depth * filters)
            }
            return floats
        }
        return Double(Parallel.cores) * Double(block) * Double(positions) * Double(depth)
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard let out = lastOutput else { preconditionFailure("\(name).backward before forward") }
        precondition(outputGradient.shape == out.shape, "\(name) gradient \(outputGradient.shape) for output \(out.shape)")
        return backward(gradient: outputGradient, throughActivation: activation != .linear) { _ in }
    }

    public func backward(_ gradient: Tensor, preActivation: Bool, beforeBlock: (Range<Int>) -> Void) -> Tensor {
        guard let out = lastOutput else { preconditionFailure("\(name).backward before forward") }
        precondition(gradient.shape == out.shape, "\(name) gradient \(gradient.shape) for output \(out.shape)")
        return backward(gradient: gradient, throughActivation: !preActivation && activation != .linear, beforeBlock: beforeBlock)
    }

    /// `backward` given dLoss/d(convolution + bias) directly, skipping the activation's
    /// derivative.
    public func backward(preActivationGradient dz: Tensor) -> Tensor {
        backward(gradient: dz, throughActivation: false) { _ in }
    }

    /// Weight gradients and dLoss/dInput from `gradient`, which is dLoss/dOutput when
    /// `throughActivation` is set, else dLoss/d(pre-activation). Each core takes its own items:
    /// the activation's derivative, its share of the kernel gradient (summed afterwards), the
    /// column gradient and col2im, a block at a time, each block's gradient read only after
    /// `beforeBlock` has been called with its items.
    private func backward(gradient: Tensor, throughActivation: Bool, beforeBlock: (Range<Int>) -> Void) -> Tensor {
        guard let g = geometry, let input, let out = lastOutput else { preconditionFailure("\(name).backward before forward") }
        let batch = input.shape[0]
        let positions = g.outputPositions, depth = g.windowSize * g.channels, filters = filters
        precondition(gradient.count == batch * positions * filters, "\(name) gradient \(gradient.shape) does not match its output")
        let block = blockItems(positions: positions, depth: depth, filters: filters)
        let plan = plan(g)
        let direct = plan.direct ? directScratch(g, plan, block: block) : nil
        let window = g.kernelWindow
        // The input gradient as a convolution of dZ with the flipped kernel (stride 1), or else
        // a GEMM onto columns and col2im.
        let flipped: UnsafeMutablePointer<Float>? = computesInputGradient && plan.directInputGradient
            ? flippedKernel.tensor(shape: [depth * filters]).pointer : nil
        if let flipped { cnnb_direct_flip_kernel(parameters[0].value.pointer, flipped, window, Int32(filters)) }
        // The direct loops need columns only as the target of the input gradient.
        let scratch = g.isPointwise || (direct != nil && (!computesInputGradient || flipped != nil || plan.winogradBackward))
            ? nil : columnScratch(blockRows: block * positions, depth: depth)
        let dz = throughActivation ? preActivationGradient.tensor(shape: out.shape).pointer : gradient.pointer
        let chunks = chunkCount(batch, block: block, workPerItem: positions * depth * filters,
                                perCore: Self.backwardChunksPerCore)
        let kernel = parameters[0], kernelSize = depth * filters
        // With one chunk the gradients accumulate in place; otherwise each chunk writes its own
        // partial sums, added in below.
        let partials = chunks > 1 ? partialGradients.tensor(shape: [chunks, kernelSize + filters]).pointer : nil
        let sumsCount = plan.winogradBackward
            ? cnnb_winograd_kernel_floats(plan.winogradTile, Int32(g.channels), Int32(filters)) : 0
        // A first layer's relu derivative goes into the direct loops (below), which then need nothing else.
        let fusedFirstLayer = direct != nil && !computesInputGradient && (!throughActivation || activation == .relu)
        let winogradSums = plan.winogradBackward && !fusedFirstLayer
            ? winogradGradientSums.tensor(shape: [chunks, sumsCount]).pointer : nil
        // The input gradient by Winograd multiplies with the forward's transformed kernel, each
        // element's matrix transposed.
        let transposed: UnsafeMutablePointer<Float>? = winogradSums != nil && computesInputGradient
            ? transposedForWinograd(g, tile: plan.winogradTile) : nil
        let dInput = inputGradient.tensor(shape: input.shape)
        let activation = activation, outputValues = out.pointer, upstream = gradient.pointer
        let kept = activation.derivativeReadsInput ? UnsafePointer(preActivation.tensor(shape: out.shape).pointer) : nil
        let computesInputGradient = computesInputGradient, useBias = useBias
        let biasGradient = useBias ? parameters[1].gradient.pointer : nil
        let inputGradientPointer = dInput.pointer, source = input.pointer
        let itemIn = g.inputPositions * g.channels
        Parallel.forEachChunk(batch, chunks: chunks) { chunk, chunkItems, slot in
            guard !chunkItems.isEmpty else { return }
            let kernelTarget = partials.map { $0 + chunk * (kernelSize + filters) } ?? kernel.gradient.pointer
            let biasTarget = useBias ? partials.map { $0 + chunk * (kernelSize + filters) + kernelSize } ?? biasGradient! : nil
            if partials != nil { kernelTarget.update(repeating: 0, count: kernelSize + filters) }
            let sums = winogradSums.map { $0 + chunk * sumsCount }
            for blockStart in stride(from: chunkItems.lowerBound, to: chunkItems.upperBound, by: block) {
                let items = blockStart..<min(blockStart + block, chunkItems.upperBound)
                let first = items.lowerBound * positions, rows = items.count * positions
                let dzRows = dz + first * filters
                beforeBlock(items)
                if let direct, fusedFirstLayer {
                    // Nothing reads dZ after the kernel and bias gradients: the direct loops take
                    // the relu derivative on the way instead of writing it out.
                    let mask = throughActivation ? UnsafePointer(outputValues + first * filters) : nil
                    cnnb_direct_kernel_gradient(source + items.lowerBound * itemIn, upstream + first * filters, mask,
                                                kernelTarget, biasTarget, window, Int32(filters), Int32(items.count),
                                                direct.pointer + slot * direct.stride)
                    continue
                }
                if throughActivation && activation == .relu {
                    // The relu derivative and the bias gradient in one pass.
                    reluDerivative(output: outputValues + first * filters, gradient: upstream + first * filters,
                                   into: dzRows, rows: rows, columns: filters, columnSums: biasTarget)
                } else {
                    if throughActivation {
                        activation.derivative(output: outputValues + first * filters, gradient: upstream + first * filters,
                                              into: dzRows, rows: rows, columns: filters, input: kept.map { $0 + first * filters })
                    }
                    if let biasTarget { cnnb_add_column_sums(dzRows, rows, Int32(filters), biasTarget) }
                }
                let columns = scratch.map { $0 + slot * block * positions * depth }
                if let direct, let sums {
                    // The chunk's first block writes the sums rather than adding to them; the input
                    // gradient comes with them.
                    cnnb_winograd_backward(source + items.lowerBound * itemIn, dzRows, sums, transposed,
                                           transposed.map { _ in inputGradientPointer + items.lowerBound * itemIn }, window,
                                           Int32(filters), Int32(items.count), direct.pointer + slot * direct.stride,
                                           plan.winogradTile, blockStart == chunkItems.lowerBound ? 0 : 1)
                    continue
                } else if let direct {
                    cnnb_direct_kernel_gradient(source + items.lowerBound * itemIn, dzRows, nil, kernelTarget, nil, window,
                                                Int32(filters), Int32(items.count), direct.pointer + slot * direct.stride)
                } else {
                    // The block's columns are gathered again (cheaper than keeping the whole batch's
                    // columns from the forward pass, which would not stay in cache).
                    if let columns { imageToColumns(source + items.lowerBound * itemIn, columns, items: items.count, g) }
                    let columnRows = UnsafePointer(columns ?? source + first * depth)
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(depth), Int32(filters), Int32(rows),
                                1, columnRows, Int32(depth), dzRows, Int32(filters), 1, kernelTarget, Int32(filters))
                }
                guard computesInputGradient else { continue }
                if let flipped, let direct {
                    cnnb_direct_input_gradient(dzRows, flipped, inputGradientPointer + items.lowerBound * itemIn, window,
                                               Int32(filters), Int32(items.count), direct.pointer + slot * direct.stride)
                    continue
                }
                // The column gradient goes straight into dInput for a pointwise kernel,
                // otherwise over the block's columns (no longer needed) and then col2im.
                let target = columns ?? inputGradientPointer + first * depth
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(depth), Int32(filters),
                            1, dzRows, Int32(filters), kernel.value.pointer, Int32(filters), 0, target, Int32(depth))
                if let columns {
                    columnsToImage(columns, inputGradientPointer + items.lowerBound * itemIn, items: items.count, g)
                }
            }
            if let sums {
                cnnb_winograd_kernel_gradient_finish(sums, kernelTarget, plan.winogradTile, Int32(g.channels), Int32(filters), 0,
                                                     Int32(g.channels))
            }
        }
        if let partials {
            // Chunk by chunk in order for each weight, whichever core adds it up.
            let kernelGradient = kernel.gradient.pointer, stride = kernelSize + filters
            Parallel.forEachChunk(stride, workPerItem: chunks) { weights in
                let kernelPart = weights.clamped(to: 0..<kernelSize), biasPart = weights.clamped(to: kernelSize..<stride)
                for chunk in 0..<chunks {
                    let part = UnsafePointer(partials + chunk * stride)
                    add(part + kernelPart.lowerBound, into: kernelGradient + kernelPart.lowerBound, kernelPart.count)
                    if let biasGradient {
                        add(part + biasPart.lowerBound, into: biasGradient + (biasPart.lowerBound - kernelSize), biasPart.count)
                    }
                }
            }
        }
        return dInput
    }
}

extension Convolution {
    /// Chunks a core may take of a batch, forward and backward: fewer backward, where each chunk
    /// adds a set of partial kernel gradients (and Winograd sums) to be summed. Enough that a
    /// core running slower than the other (a virtual machine's processors differ by up to half
    /// at times) leaves its last chunks to the faster one: on the seed model, training steps
    /// timed in turn with each setting in one run took 3–9% less than with 4 and 2.
    static let forwardChunksPerCore = 6
    static let backwardChunksPerCore = 4

    /// Chunks of a batch for the cores to share: up to `perCore` a core, none smaller than a
    /// block (a smaller block would feed the loops fewer rows at a time).
    func chunkCount(_ batch: Int, block: Int, workPerItem: Int, perCore: Int) -> Int {
        min(Parallel.chunkCount(batch, workPerItem: workPerItem, perCore: perCore), (batch + block - 1) / block)
    }
}

/// Items per block of a convolution's loops: enough to keep each GEMM large, few enough that a
/// block's columns (written by im2col, then read by the GEMM) stay in a core's cache.
func blockItems(positions: Int, depth: Int, filters: Int) -> Int {
    let bytesPerItem = positions * max(depth, filters) * MemoryLayout<Float>.stride
    let minimumRows = 256
    return max(1, Convolution.blockBytes / max(bytesPerItem, 1), (minimumRows + positions - 1) / max(positions, 1))
}

/// Gathers every receptive field of the first `items` items of `image` into rows: row (n, od, oh, ow) holds the
/// window's elements in kernel order (kd, kh, kw, channel), zeros where the window hangs over
/// padding. Runs on the calling thread.
func imageToColumns(_ image: UnsafePointer<Float>, _ columns: UnsafeMutablePointer<Float>, items: Int,
                    _ g: WindowGeometry) {
    if g.isDilated { return dilatedImageToColumns(image, columns, items: items, g) }
    let c = g.channels
    let (inD, inH, inW) = g.input, (kD, kH, kW) = g.window, (sD, sH, sW) = g.stride
    let (pD, pH, pW) = g.padBefore, (outD, outH, outW) = g.output
    let depth = kD * kH * kW * c, run = kW * c
    let itemIn = g.inputPositions * c, itemOut = g.outputPositions * depth
    for n in 0..<items {
        let src = image + n * itemIn
        var dst = columns + n * itemOut
        for od in 0..<outD {
            let d0 = od * sD - pD
            for oh in 0..<outH {
                let h0 = oh * sH - pH
                let rowsInside = d0 >= 0 && d0 + kD <= inD && h0 >= 0 && h0 + kH <= inH
                for ow in 0..<outW {
                    let w0 = ow * sW - pW
                    let wholeRun = w0 >= 0 && w0 + kW <= inW
                    if rowsInside && wholeRun {
                        // The window lies inside the input: whole runs, one per (kd, kh).
                        var plane = src + ((d0 * inH + h0) * inW + w0) * c
                        for _ in 0..<kD {
                            var line = plane
                            for _ in 0..<kH {
                                copy(line, dst, run)
                                line += inW * c
                                dst += run
                            }
                            plane += inH * inW * c
                        }
                        continue
                    }
                    for kd in 0..<kD {
                        let id = od * sD - pD + kd
                        for kh in 0..<kH {
                            let ih = oh * sH - pH + kh
                            if id < 0 || id >= inD || ih < 0 || ih >= inH {
                                fill(dst, 0, run)
                            } else {
                                let line = src + ((id * inH + ih) * inW) * c
                                if wholeRun {
                                    copy(line + w0 * c, dst, run)
                                } else {
                                    for kw in 0..<kW {
                                        let iw = w0 + kw
                                        if iw >= 0 && iw < inW {
                                            copy(line + iw * c, dst + kw * c, c)
                                        } else {
                                            fill(dst + kw * c, 0, c)
                                        }
                                    }
                                }
                            }
                            dst += run
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of `imageToColumns` over `items` items: adds each row's window elements back
/// onto the image positions they came from (padding positions are dropped). Overwrites those
/// items of `image`. Runs on the calling thread.
func columnsToImage(_ columns: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>, items: Int,
                    _ g: WindowGeometry) {
    if g.isDilated { return dilatedColumnsToImage(columns, image, items: items, g) }
    let c = g.channels
    let (inD, inH, inW) = g.input, (kD, kH, kW) = g.window, (sD, sH, sW) = g.stride
    let (pD, pH, pW) = g.padBefore, (outD, outH, outW) = g.output
    let depth = kD * kH * kW * c, run = kW * c
    let itemIn = g.inputPositions * c, itemOut = g.outputPositions * depth
    for n in 0..<items {
        let dstItem = image + n * itemIn
        fill(dstItem, 0, itemIn)
        var src = columns + n * itemOut
        for od in 0..<outD {
            for oh in 0..<outH {
                for ow in 0..<outW {
                    let w0 = ow * sW - pW
                    let first = max(0, -w0), last = min(kW, inW - w0)
                    for kd in 0..<kD {
                        let id = od * sD - pD + kd
                        for kh in 0..<kH {
                            let ih = oh * sH - pH + kh
                            if id >= 0 && id < inD && ih >= 0 && ih < inH && first < last {
                                let line = dstItem + ((id * inH + ih) * inW + w0) * c
                                for i in (first * c)..<(last * c) { line[i] += src[i] }
                            }
                            src += run
                        }
                    }
                }
            }
        }
    }
}

/// Calls `body(columnOffset, imageOffset)` for every window element of every output position of
/// one item, in `imageToColumns`' row order; `imageOffset` is nil where the element falls on
/// padding. The plain walk a dilated window takes (its elements are not contiguous runs).
@inline(__always)
private func forEachDilatedElement(_ g: WindowGeometry, _ body: (Int, Int?) -> Void) {
    let c = g.channels
    let (inD, inH, inW) = g.input, (kD, kH, kW) = g.window, (sD, sH, sW) = g.stride
    let (pD, pH, pW) = g.padBefore, (outD, outH, outW) = g.output, (dD, dH, dW) = g.dilation
    var column = 0
    for od in 0..<outD {
        for oh in 0..<outH {
            for ow in 0..<outW {
                for kd in 0..<kD {
                    let id = od * sD - pD + kd * dD
                    for kh in 0..<kH {
                        let ih = oh * sH - pH + kh * dH
                        for kw in 0..<kW {
                            let iw = ow * sW - pW + kw * dW
                            let inside = id >= 0 && id < inD && ih >= 0 && ih < inH && iw >= 0 && iw < inW
                            body(column, inside ? ((id * inH + ih) * inW + iw) * c : nil)
                            column += c
                        }
                    }
                }
            }
        }
    }
}

private func dilatedImageToColumns(_ image: UnsafePointer<Float>, _ columns: UnsafeMutablePointer<Float>, items: Int,
                                   _ g: WindowGeometry) {
    let c = g.channels, itemIn = g.inputPositions * c, itemOut = g.outputPositions * g.windowSize * c
    for n in 0..<items {
        let src = image + n * itemIn, dst = columns + n * itemOut
        forEachDilatedElement(g) { column, offset in
            if let offset { copy(src + offset, dst + column, c) } else { fill(dst + column, 0, c) }
        }
    }
}

private func dilatedColumnsToImage(_ columns: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>, items: Int,
                                   _ g: WindowGeometry) {
    let c = g.channels, itemIn = g.inputPositions * c, itemOut = g.outputPositions * g.windowSize * c
    for n in 0..<items {
        let dst = image + n * itemIn, src = columns + n * itemOut
        fill(dst, 0, itemIn)
        forEachDilatedElement(g) { column, offset in
            guard let offset else { return }
            for i in 0..<c { dst[offset + i] += src[column + i] }
        }
    }
}

/// Copies `count` floats between distinct buffers, eight at a time: most runs (a window row
/// of a few channels) are too short to pay for a call to memmove. A count that is not a
/// multiple of eight ends with an overlapping group of eight.
@inline(__always)
func copy(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
    if count < 8 {
        for i in 0..<count { destination[i] = source[i] }
        return
    }
    var i = 0
    while i + 8 <= count {
        store8(load8(source + i), destination + i)
        i += 8
    }
    if i < count { store8(load8(source + count - 8), destination + count - 8) }
}

/// destination[i] += source[i] for i in 0..<count, eight at a time.
@inline(__always)
func add(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i + 8 <= count {
        store8(load8(destination + i) + load8(source + i), destination + i)
        i += 8
    }
    while i < count {
        destination[i] += source[i]
        i += 1
    }
}

@inline(__always)
func fill(_ destination: UnsafeMutablePointer<Float>, _ value: Float, _ count: Int) {
    if count >= 64 {
        destination.update(repeating: value, count: count)
    } else {
        for i in 0..<count { destination[i] = value }
    }
}

extension Convolution: WeightCountPredicting {
    public func weightCount(for inputShape: [Int]) -> Double {
        kernelSize.reduce(Double(inputShape.last ?? 1)) { $0 * Double($1) } * Double(filters) + (useBias ? Double(filters) : 0)
    }
}
