import Basics
/// A weight of a layer and the gradient the last backward pass accumulated into it.
///
/// Keras has two kinds of non-trainable weight, and so does cnnb: state a layer updates itself
/// (BatchNormalization's moving mean and variance: `isState`, never trained) and weights frozen
/// by the user (`freeze`, Keras's `layer.trainable = False`: `isFrozen`). The optimizer steps only
/// `isTrainable` ones; the summary counts the rest as "Non-trainable params"; weight files carry both.
public final class Parameter {
    /// Keras's weight name: `kernel`, `bias`, `gamma`, `moving_mean`.
    public let name: String
    public var value: Tensor
    public var gradient: Tensor
    /// Updated by the layer itself, not by gradients (moving statistics).
    public let isState: Bool
    /// Held fixed by the user: the optimizer leaves it as it is.
    public var isFrozen = false
    public var isTrainable: Bool { !isState && !isFrozen }

    public init(name: String, value: Tensor, isState: Bool = false) {
        self.name = name
        self.value = value
        self.isState = isState
        // State has no gradient; an empty tensor keeps it from costing memory.
        gradient = isState ? Tensor(zeros: [0]) : Tensor(zeros: value.shape)
    }
}

/// Why a layer cannot take an input of some shape, with what would fix it.
public typealias ShapeError = Problem

/// One layer of a network. Shapes here never include the batch axis: a Conv2D on CIFAR-10
/// images sees `[32, 32, 3]`; tensors passed to `forward`/`backward` carry the batch first.
///
/// A layer owns the buffers of its outputs and input gradients and reuses them while the
/// batch size stays the same, so steady-state training allocates nothing per batch.
public protocol Layer: AnyObject {
    /// Unique name in its model, as Keras gives it: `conv2d`, `conv2d_1`, `max_pooling2d`.
    var name: String { get set }
    /// Keras's class name: `Conv2D`, `MaxPooling2D`, `Dense`.
    var typeName: String { get }
    /// Prefix Keras derives names from: `conv2d`, `max_pooling2d`, `dense`.
    var namePrefix: String { get }
    /// Weights in Keras's order and layouts (kernel (kh, kw, in, out), then bias); empty
    /// until `build` has run, and for layers without weights.
    var parameters: [Parameter] { get }
    /// Keras's constructor arguments, in Keras's order: `[("filters", 64), ("kernel_size", (3, 3)), …]`.
    /// The `layer` statement prints them, and Keras export and `.keras` configs are built from them.
    var configuration: [(key: String, value: PythonValue)] { get }

    /// Output shape for an input of `inputShape`, or why that input does not fit.
    func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int]
    /// Multiply-adds of a forward pass of one item of `inputShape`.
    func multiplyAdds(for inputShape: [Int]) -> Int
    /// Creates the weights for `inputShape` with Keras's initialisers.
    func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError)
    /// Forward pass over a batch; keeps what `backward` needs.
    func forward(_ input: Tensor, training: Bool) -> Tensor
    /// Given dLoss/dOutput of the last `forward`, adds weight gradients into `parameters`'
    /// `gradient` and returns dLoss/dInput.
    func backward(_ outputGradient: Tensor) -> Tensor
}

extension Layer {
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
    public var trainableParameterCount: Int { parameters.reduce(0) { $0 + ($1.isTrainable ? $1.value.count : 0) } }
    /// Keras's `layer.trainable`: false once every weight is frozen (a layer without weights stays true).
    public var isFrozen: Bool { !parameters.isEmpty && parameters.allSatisfy { $0.isFrozen || $0.isState } && parameters.contains { $0.isFrozen } }
    /// Freezes or unfreezes every weight (state stays state).
    public func setFrozen(_ frozen: Bool) { for p in parameters { p.isFrozen = frozen } }
}
