/// Layers that can end in relu take a gradient that max pooling after them has already carried
/// through relu's derivative (`InputReluMasking`) straight into their pre-activation values.
extension Convolution: ReluEnding {
    public var endsInRelu: Bool { activation == .relu }
}

extension Dense: ReluEnding {
    public var endsInRelu: Bool { activation == .relu }
}

extension ActivationLayer: ReluEnding {
    public var endsInRelu: Bool { activation == .relu }
    /// The layer's input is what relu took, so its gradient passes through unchanged.
    public func backward(preActivationGradient: Tensor) -> Tensor { preActivationGradient }
}
