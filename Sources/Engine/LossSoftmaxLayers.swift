/// Layers that can end in softmax take the fused cross-entropy gradient straight into their
/// pre-activation values.
extension Dense: SoftmaxOutputLayer {
    public var endsInSoftmax: Bool { activation == .softmax }
    public func backward(logitsGradient: Tensor) -> Tensor { backward(preActivationGradient: logitsGradient) }
}

extension ActivationLayer: SoftmaxOutputLayer {
    public var endsInSoftmax: Bool { activation == .softmax }
    /// The layer's input is the logits, so their gradient passes through unchanged.
    public func backward(logitsGradient: Tensor) -> Tensor { logitsGradient }
}

extension Dense: InputGradientOptional {}

extension Convolution: SoftmaxOutputLayer {
    public var endsInSoftmax: Bool { activation == .softmax }
    public func backward(logitsGradient: Tensor) -> Tensor { backward(preActivationGradient: logitsGradient) }
}

extension Convolution: InputGradientOptional {}
