/// Abilities only some layers have. Code outside a layer asks for an ability
/// (`layer as? WindowedLayer`), never for a concrete layer type.

/// A layer that slides a window over its spatial axes (convolutions, pooling): `explain`,
/// receptive fields and the ONNX export's padding read it.
public protocol WindowedLayer: Layer {
    /// Spatial axes: 1, 2 or 3.
    var rank: Int { get }
    /// The kernel or pool size on each spatial axis.
    var window: [Int] { get }
    var strides: [Int] { get }
    var padding: Padding { get }
    /// Keras's `dilation_rate` on each axis; 1 for layers without one.
    var dilation: [Int] { get }
}

extension WindowedLayer {
    public var dilation: [Int] { Array(repeating: 1, count: rank) }
}

/// How a layer changes the input region one output value depends on.
public enum ReceptiveFieldEffect: Equatable, Sendable {
    /// Position by position: the field is unchanged (activations, batch normalisation, dropout).
    case unchanged
    /// A window per axis (dilation included), moving by `strides`.
    case window(size: [Int], strides: [Int])
    /// Every output sees every input position (flatten, global pooling).
    case whole
}

/// Layers whose output depends on more than one input position (or on all of them) say how.
public protocol ReceptiveFieldLayer: Layer {
    var receptiveField: ReceptiveFieldEffect { get }
}

extension WindowedLayer {
    /// A dilated window of k spans d·(k − 1) + 1 inputs.
    public var receptiveField: ReceptiveFieldEffect {
        .window(size: zip(window, dilation).map { $0.1 * ($0.0 - 1) + 1 }, strides: strides)
    }
}

/// Layers whose weights grow with their input say how many they would hold before any is
/// allocated, so a slip such as `dense 6400000` is refused instead of exhausting memory.
public protocol WeightCountPredicting: Layer {
    /// Weights this layer would create on `inputShape` (a Double: the product may overflow Int).
    func weightCount(for inputShape: [Int]) -> Double
}

/// Layers that keep working memory of their own besides their output and gradients (a
/// convolution's im2col columns) say how much, so the memory check counts it before training.
public protocol ScratchMemoryLayer: Layer {
    /// Float32 values of scratch the layer allocates on `inputShape` (one item's shape), kept
    /// from the first batch on; a Double, as `weightCount`.
    func scratchCount(for inputShape: [Int]) -> Double
}

/// A layer whose forward pass in training is not repeatable: it draws random numbers
/// (Dropout's mask, an augmentation's transform, noise) or updates state (batch
/// normalisation's moving statistics). A layer applied at several nodes keeps only its last
/// call's state, so going backward the graph hands each call's own state back instead of
/// running that call again, which would draw afresh and update the statistics once more.
public protocol ForwardStateKeeping: Layer {
    /// A copy of what `backward` reads from the last `forward`.
    func savedForwardState() -> Any
    /// Makes the next `backward` read `state`, which `savedForwardState()` returned.
    func restoreForwardState(_ state: Any)
}

/// A layer whose forward pass can take a batch a block of items at a time, each block as soon
/// as the layer before it (a `BlockwiseProducer`) has written it and while it is still in the
/// core's cache, rather than the whole batch afterwards (max pooling after a convolution:
/// otherwise a second pass over a feature map memory, not arithmetic, limits).
public protocol ItemwiseForward: Layer {
    /// Gets the forward pass over a batch of `inputShape` (batch first) ready; returns the output
    /// tensor that `forward(items:of:)` then fills.
    func prepareForward(inputShape: [Int], training: Bool) -> Tensor
    /// The output of `items` of `input`, whose other items may not be written yet. Called from
    /// several threads at once, for disjoint items.
    func forward(items: Range<Int>, of input: Tensor)
    /// Ends the pass once every item is in: keeps what `backward` needs.
    func finishForward(_ input: Tensor)
}

/// A layer that can hand each block of items it finishes to the next layer's `ItemwiseForward`.
public protocol BlockwiseProducer: Layer {
    /// `forward(input, training:)`, calling `eachBlock(output, items)` as soon as those items
    /// of the output are written, on the thread that wrote them.
    func forward(_ input: Tensor, training: Bool, eachBlock: (Tensor, Range<Int>) -> Void) -> Tensor
}

/// A layer whose backward pass can take a batch a block of items at a time, each block just
/// before the layer before it (a `BlockwiseGradientConsumer`) reads that block's gradient, so
/// the gradient is read from the core's cache rather than memory (max pooling before a
/// convolution's backward pass).
public protocol ItemwiseBackward: Layer {
    /// Gets the backward pass from `outputGradient` ready, relu's derivative for its input taken
    /// on the way when `throughInputRelu` (see `InputReluMasking`); returns the input gradient
    /// tensor that `backward(items:)` then fills.
    func prepareBackward(_ outputGradient: Tensor, throughInputRelu: Bool) -> Tensor
    /// The input gradient of `items`. Called from several threads at once, for disjoint items.
    func backward(items: Range<Int>)
}

/// A layer whose backward pass reads its output gradient a block of items at a time and can
/// have each block written just before it reads it (by an `ItemwiseBackward` after it).
public protocol BlockwiseGradientConsumer: Layer {
    /// `backward(gradient)`, or `backward(preActivationGradient: gradient)` when `preActivation`,
    /// calling `beforeBlock(items)` before reading those items of `gradient`, on the thread that
    /// reads them.
    func backward(_ gradient: Tensor, preActivation: Bool, beforeBlock: (Range<Int>) -> Void) -> Tensor
}

/// A layer that may end in relu and can go backward from dLoss/d(what it computes before relu)
/// directly, when the layer reading its output has already applied relu's derivative
/// (`InputReluMasking`): one pass over its output gradient fewer.
public protocol ReluEnding: Layer {
    /// Whether the output is relu of what the layer computes, as configured now.
    var endsInRelu: Bool { get }
    /// `backward` given dLoss/d(pre-activation) instead of dLoss/dOutput.
    func backward(preActivationGradient: Tensor) -> Tensor
}

/// A layer whose backward pass can apply the derivative of a relu that produced its input, on
/// the way (max pooling: each output is one of its inputs, so an output that is not positive
/// marks an input whose relu's slope is zero).
public protocol InputReluMasking: Layer {
    /// Whether it can, as configured now.
    var masksInputRelu: Bool { get }
    /// dLoss/d(the relu's input) when `throughInputRelu`, else `backward(outputGradient)`.
    func backward(_ outputGradient: Tensor, throughInputRelu: Bool) -> Tensor
}

/// The first layer of a model may skip computing the gradient of its input, which nobody reads.
public protocol InputGradientOptional: AnyObject {
    var computesInputGradient: Bool { get set }
}

extension Layer {
    /// Keras derives a layer's default name from its class name in snake case:
    /// `Conv2D` → `conv2d`, `MaxPooling2D` → `max_pooling2d`, `BatchNormalization` → `batch_normalization`.
    public var defaultNamePrefix: String { kerasSnakeCase(typeName) }
}

/// Keras's `to_snake_case`: an underscore before each capital that follows a lower-case letter
/// or starts a capitalised word (`ReLU` → `re_lu`, `Conv2DTranspose` → `conv2d_transpose`).
public func kerasSnakeCase(_ name: String) -> String {
    let characters = Array(name)
    var result = ""
    for (i, c) in characters.enumerated() {
        if c.isUppercase && i > 0 {
            let previous = characters[i - 1]
            let next = i + 1 < characters.count ? characters[i + 1] : nil
            if previous.isLowercase || next?.isLowercase == true {
                result.append("_")
            }
        }
        result.append(contentsOf: c.lowercased())
    }
    return result
}

/// A layer that changes its input only in training (the random augmentations): `apply` runs it
/// as training would, so a person sees what it does.
public protocol TrainingOnlyLayer: Layer {}
