/// A layer whose output passes through one of the activations (Dense, convolutions, the
/// Activation layer): what the loss checks its outputs against.
public protocol ActivatedLayer: Layer {
    var activation: Activation { get }
}

extension Dense: ActivatedLayer {}
extension Convolution: ActivatedLayer {}
extension ActivationLayer: ActivatedLayer {}

extension Model {
    /// Why `loss` and the model's output disagree about what the outputs are, when they do:
    /// a cross-entropy on probabilities after a layer that gives logits (Keras trains such a
    /// model without complaint, to chance accuracy), or `from_logits` after a softmax or
    /// sigmoid (it trains, but on probabilities squashed a second time). Nil when they agree or
    /// the last layer does not say. `output` picks one of several outputs.
    public func lossOutputMismatch(_ loss: Loss, output: Int = 0) -> ModelError? {
        guard loss.isCrossEntropy, outputs.indices.contains(output), let last = outputs[output].layer as? ActivatedLayer else { return nil }
        let units = outputs[output].shape.last ?? 1
        let binary = loss.kind == .binaryCrossentropy
        let probabilities = last.activation == .softmax || (binary && last.activation == .sigmoid)
        let expected = binary ? "sigmoid" : "softmax"
        let head = last is ActivationLayer ? "activation \(expected)" : "dense \(units) \(expected)"
        if loss.fromLogits {
            guard probabilities else { return nil }
            return ModelError("from_logits takes the outputs as logits, but \(last.name) already applies \(last.activation.rawValue)",
                              hint: "drop from_logits, or leave the last layer linear (dense \(units))")
        }
        if probabilities && !(binary && last.activation == .softmax && units == 1) { return nil }
        if binary && last.activation == .softmax {
            return ModelError("\(loss.rawValue) after a softmax over one unit: the output is always 1",
                              hint: "end the model with dense 1 sigmoid")
        }
        return ModelError("\(loss.rawValue) expects probabilities, but \(last.name) gives \(last.activation.rawValue) outputs",
                          hint: "end the model with \(head), or add from_logits to compile")
    }
}
