import Basics
/// Keras's `SeparableConv1D` and `SeparableConv2D`: a depthwise convolution (each input channel
/// on its own, `depthMultiplier` kernels each, no bias) then a 1x1 convolution to `filters`
/// channels with the bias and the activation. Weights in Keras's order and names:
/// `depthwise_kernel` (k…, in, multiplier), `pointwise_kernel` (1…, in·multiplier, filters), `bias`.
public final class SeparableConvolution: WindowedLayer, ReceptiveFieldLayer {
    public var name: String
    public let rank: Int
    public let filters: Int
    private let depthwise: DepthwiseConvolution
    private let pointwise: Convolution

    public init(rank: Int, filters: Int, kernelSize: [Int], strides: [Int] = [1], padding: Padding = .valid,
                depthMultiplier: Int = 1, dilation: [Int] = [1], activation: Activation = .linear,
                useBias: Bool = true) throws(ConfigurationError) {
        guard rank == 1 || rank == 2 else {
            throw ConfigurationError("SeparableConv exists in 1D and 2D, not \(rank)D")
        }
        guard filters > 0 else {
            throw ConfigurationError("SeparableConv\(rank)D needs at least one filter, got \(filters)")
        }
        do {
            depthwise = try DepthwiseConvolution(rank: rank, kernelSize: kernelSize, strides: strides, padding: padding,
                                                 depthMultiplier: depthMultiplier, dilation: dilation, useBias: false)
        } catch {
            throw ConfigurationError(error.message.replacingOccurrences(of: "DepthwiseConv", with: "SeparableConv"), hint: error.hint)
        }
        depthwise.kernelName = "depthwise_kernel"
        pointwise = try Convolution(rank: rank, filters: filters, kernelSize: [1], activation: activation, useBias: useBias)
        pointwise.kernelName = "pointwise_kernel"
        self.rank = rank
        self.filters = filters
        name = "separable_conv\(rank)d"
    }

    public var typeName: String { "SeparableConv\(rank)D" }
    public var namePrefix: String { "separable_conv\(rank)d" }
    public var kernelSize: [Int] { depthwise.kernelSize }
    public var window: [Int] { depthwise.kernelSize }
    public var strides: [Int] { depthwise.strides }
    public var padding: Padding { depthwise.padding }
    public var dilation: [Int] { depthwise.dilation }
    public var depthMultiplier: Int { depthwise.depthMultiplier }
    public var activation: Activation { pointwise.activation }
    public var useBias: Bool { pointwise.useBias }
    public var parameters: [Parameter] { depthwise.parameters + pointwise.parameters }
    public var configuration: [(key: String, value: PythonValue)] {
        [("filters", .int(filters)), ("kernel_size", .ints(kernelSize)), ("strides", .ints(strides)),
         ("padding", .string(padding.rawValue)), ("depth_multiplier", .int(depthMultiplier))] + dilationArgument(dilation)
            + [("activation", .string(activation.rawValue)), ("use_bias", .bool(useBias))]
    }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        let middle: [Int]
        do {
            middle = try depthwise.outputShape(for: inputShape)
        } catch {
            throw ShapeError(error.message.replacingOccurrences(of: depthwise.typeName, with: typeName), hint: error.hint)
        }
        return Array(middle.prefix(rank)) + [filters]
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int {
        guard let middle = try? depthwise.outputShape(for: inputShape) else { return 0 }
        return depthwise.multiplyAdds(for: inputShape) + pointwise.multiplyAdds(for: middle)
    }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
        try depthwise.build(inputShape: inputShape, generator: &generator)
        try pointwise.build(inputShape: depthwise.outputShape(for: inputShape), generator: &generator)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        pointwise.forward(depthwise.forward(input, training: training), training: training)
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        depthwise.backward(pointwise.backward(outputGradient))
    }
}
