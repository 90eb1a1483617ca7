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

/// A layer that can skip computing dLoss/dInput when it is the first layer of the model
/// being trained (nobody reads the gradient of the input images).
protocol InputGradientOptional: AnyObject {
    var computesInputGradient: Bool { get set }
}

extension Dense: InputGradientOptional {}

extension Convolution: SoftmaxOutputLayer {
    public var endsInSoftmax: Bool { activation == .softmax }
    public func backward(logitsGradient: Tensor) -> Tensor { backward(preActivationGradient: logitsGradient) }
}

extension Convolution: InputGradientOptional {}
