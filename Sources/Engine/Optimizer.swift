import EngineKernels
import Foundation

/// Updates weights from the gradients the last backward pass left in them, with Keras's
/// update rules. State (momenta) is kept per parameter object.
public protocol Optimizer: AnyObject {
    /// Keras's name: `sgd`, `adam`, `adamw`, `rmsprop`.
    var name: String { get }
    var learningRate: Float { get set }
    /// Steps taken so far (Keras's `optimizer.iterations`).
    var iterations: Int { get }
    /// One step over `parameters`, reading each `gradient`.
    func step(_ parameters: [Parameter])
    /// Number of state values held (Keras's optimizer variables: slots, plus the
    /// iteration count and learning rate), 0 before the first step.
    var stateCount: Int { get }
    /// Forgets all state, as a freshly made optimizer.
    func reset()
}

/// Per-parameter slot buffers, created zeroed on first use.
struct OptimizerSlots {
    private var slots: [ObjectIdentifier: [Tensor]] = [:]

    mutating func get(_ parameter: Parameter, count: Int) -> [Tensor] {
        if let existing = slots[ObjectIdentifier(parameter)], existing.count == count,
           existing.first?.count ?? parameter.value.count == parameter.value.count {
            return existing
        }
        let made = (0..<count).map { _ in Tensor(zeros: parameter.value.shape) }
        slots[ObjectIdentifier(parameter)] = made
        return made
    }

    var valueCount: Int { slots.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } } }
    mutating func removeAll() { slots.removeAll() }
}

/// What every Keras optimizer does around its own update rule, written once: the iteration
/// count, per-parameter slots, gradient clipping (`clipnorm`, each gradient on its own) and
/// decoupled weight decay (`w -= w·weight_decay·lr`, before the update, as Keras's
/// `BaseOptimizer.apply`). A subclass is its update rule: `slotCount` and `update`.
public class OptimizerCore: Optimizer {
    public var name: String { "" }
    public var learningRate: Float
    /// Decoupled weight decay, applied to every trained weight; nil (Keras's default) for none.
    public var weightDecay: Float?
    /// Each gradient is scaled down to this L2 norm when longer; nil for no clipping.
    public var clipnorm: Float?
    public private(set) var iterations = 0
    private var slots = OptimizerSlots()

    init(learningRate: Float, weightDecay: Float?, clipnorm: Float?) {
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.clipnorm = clipnorm
    }

    /// Slot tensors kept per parameter.
    var slotCount: Int { 0 }

    /// Keras's constructor arguments this optimizer takes beside `learning_rate`.
    public var optionNames: [String] { ["weight_decay", "clipnorm"] }

    /// Sets the constructor argument `name` (one of `optionNames`; flags take 1 or 0).
    public func set(_ name: String, _ value: Float) throws(ModelError) {
        switch name {
        case "weight_decay": weightDecay = try Self.checked(value, name, atLeast: 0)
        case "clipnorm": clipnorm = try Self.checked(value, name, above: 0)
        default:
            throw ModelError("\(self.name) has no option '\(name)'",
                             hint: "\(self.name) takes " + optionNames.joined(separator: ", "))
        }
    }

    /// `value` when it is finite and in range, else an error naming the option.
    static func checked(_ value: Float, _ name: String, atLeast low: Float? = nil, above: Float? = nil,
                        below high: Float? = nil) throws(ModelError) -> Float {
        let fine = value.isFinite && (low.map { value >= $0 } ?? true) && (above.map { value > $0 } ?? true)
            && (high.map { value < $0 } ?? true)
        guard fine else {
            var range: [String] = []
            if let low { range.append("at least \(low)") }
            if let above { range.append("above \(above)") }
            if let high { range.append("below \(high)") }
            throw ModelError("\(name) must be a number " + range.joined(separator: " and ") + ", got \(value)")
        }
        return value
    }

    /// The rule: updates `w` (count values) from gradient `g` and `slots` at step `t`
    /// (1 on the first step).
    func update(_ w: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, count: Int,
                slots: [Tensor], step t: Int) {}

    public func step(_ parameters: [Parameter]) {
        let t = iterations + 1
        for parameter in parameters {
            let w = parameter.value.pointer, g = parameter.gradient.pointer
            let count = parameter.value.count
            if let clipnorm { clip(g, count: count, to: clipnorm) }
            if let weightDecay, weightDecay != 0 {
                let rate = weightDecay * learningRate
                for i in 0..<count { w[i] -= w[i] * rate }
            }
            update(w, g, count: count, slots: slotCount == 0 ? [] : slots.get(parameter, count: slotCount), step: t)
        }
        iterations += 1
    }

    /// Keras's `clip_by_norm`: g·c / max(‖g‖, c).
    private func clip(_ g: UnsafeMutablePointer<Float>, count: Int, to limit: Float) {
        var sum: Float = 0
        for i in 0..<count { sum += g[i] * g[i] }
        let norm = sum.squareRoot()
        guard norm > limit else { return }
        let scale = limit / norm
        for i in 0..<count { g[i] *= scale }
    }

    public var stateCount: Int { iterations == 0 ? 0 : slots.valueCount + 2 }
    public func reset() { slots.removeAll(); iterations = 0 }
}

/// Stochastic gradient descent (Keras defaults: learning rate 0.01, no momentum).
/// With momentum m: `v = m·v - lr·g; w += v` (Nesterov: `w += m·v - lr·g`).
public final class SGD: OptimizerCore {
    override public var name: String { "sgd" }
    public var momentum: Float
    public var nesterov: Bool

    public init(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false,
                weightDecay: Float? = nil, clipnorm: Float? = nil) {
        self.momentum = momentum
        self.nesterov = nesterov
        super.init(learningRate: learningRate, weightDecay: weightDecay, clipnorm: clipnorm)
    }

    override var slotCount: Int { momentum == 0 ? 0 : 1 }
    override public var optionNames: [String] { ["momentum", "nesterov"] + super.optionNames }

    override public func set(_ name: String, _ value: Float) throws(ModelError) {
        switch name {
        case "momentum": momentum = try Self.checked(value, name, atLeast: 0, below: 1)
        case "nesterov": nesterov = value != 0
        default: try super.set(name, value)
        }
    }

    override func update(_ w: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, count: Int,
                         slots: [Tensor], step t: Int) {
        let lr = learningRate, m = momentum
        guard let velocity = slots.first?.pointer else {
            for i in 0..<count { w[i] -= lr * g[i] }
            return
        }
        for i in 0..<count {
            velocity[i] = m * velocity[i] - lr * g[i]
            w[i] += nesterov ? m * velocity[i] - lr * g[i] : velocity[i]
        }
    }
}

/// Adam (Keras defaults: learning rate 0.001, β1 0.9, β2 0.999, ε 1e-7), in Keras's form:
/// at step t, `α = lr·√(1-β2^t)/(1-β1^t)`, `m += (g-m)(1-β1)`, `v += (g²-v)(1-β2)`,
/// `w -= α·m/(√v + ε)` (ε is not bias-corrected).
public class Adam: OptimizerCore {
    override public var name: String { "adam" }
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float

    public init(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7,
                weightDecay: Float? = nil, clipnorm: Float? = nil) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        super.init(learningRate: learningRate, weightDecay: weightDecay, clipnorm: clipnorm)
    }

    override var slotCount: Int { 2 }
    override public var optionNames: [String] { ["beta_1", "beta_2", "epsilon"] + super.optionNames }

    override public func set(_ name: String, _ value: Float) throws(ModelError) {
        switch name {
        case "beta_1": beta1 = try Self.checked(value, name, atLeast: 0, below: 1)
        case "beta_2": beta2 = try Self.checked(value, name, atLeast: 0, below: 1)
        case "epsilon": epsilon = try Self.checked(value, name, above: 0)
        default: try super.set(name, value)
        }
    }

    override func update(_ w: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, count: Int,
                         slots: [Tensor], step t: Int) {
        let alpha = learningRate * (1 - powf(beta2, Float(t))).squareRoot() / (1 - powf(beta1, Float(t)))
        let oneMinusB1 = 1 - beta1, oneMinusB2 = 1 - beta2, eps = epsilon
        let m = slots[0].pointer, v = slots[1].pointer
        Parallel.forEachChunk(count, workPerItem: 8) { range in
            cnnb_adam_update(w + range.lowerBound, g + range.lowerBound, m + range.lowerBound, v + range.lowerBound,
                             range.count, alpha, oneMinusB1, oneMinusB2, eps)
        }
    }
}

/// AdamW: Adam with decoupled weight decay on by default (Keras: 0.004).
public final class AdamW: Adam {
    override public var name: String { "adamw" }

    public init(learningRate: Float = 0.001, weightDecay: Float = 0.004, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-7, clipnorm: Float? = nil) {
        super.init(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                   weightDecay: weightDecay, clipnorm: clipnorm)
    }
}

/// RMSprop (Keras defaults: learning rate 0.001, ρ 0.9, no momentum, ε 1e-7):
/// `v = ρv + (1-ρ)g²; Δ = lr·g/√(v + ε)`; with momentum `μ = momentum·μ + Δ; w -= μ`,
/// else `w -= Δ`.
public final class RMSprop: OptimizerCore {
    override public var name: String { "rmsprop" }
    public var rho: Float
    public var momentum: Float
    public var epsilon: Float

    public init(learningRate: Float = 0.001, rho: Float = 0.9, momentum: Float = 0, epsilon: Float = 1e-7,
                weightDecay: Float? = nil, clipnorm: Float? = nil) {
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        super.init(learningRate: learningRate, weightDecay: weightDecay, clipnorm: clipnorm)
    }

    /// Keras keeps a momentum slot only when momentum > 0.
    override var slotCount: Int { momentum > 0 ? 2 : 1 }
    override public var optionNames: [String] { ["rho", "momentum", "epsilon"] + super.optionNames }

    override public func set(_ name: String, _ value: Float) throws(ModelError) {
        switch name {
        case "rho": rho = try Self.checked(value, name, atLeast: 0, below: 1)
        case "momentum": momentum = try Self.checked(value, name, atLeast: 0, below: 1)
        case "epsilon": epsilon = try Self.checked(value, name, above: 0)
        default: try super.set(name, value)
        }
    }

    override func update(_ w: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, count: Int,
                         slots: [Tensor], step t: Int) {
        let lr = learningRate, rho = rho, mu = momentum, eps = epsilon
        let v = slots[0].pointer
        let velocity = slots.count > 1 ? slots[1].pointer : nil
        for i in 0..<count {
            let gi = g[i]
            v[i] = rho * v[i] + (1 - rho) * gi * gi
            let increment = lr * gi / (v[i] + eps).squareRoot()
            if let velocity {
                velocity[i] = mu * velocity[i] + increment
                w[i] -= velocity[i]
            } else {
                w[i] -= increment
            }
        }
    }
}

/// Keras's names of the optimizers `makeOptimizer` knows.
public let optimizerNames = ["adam", "adamw", "sgd", "rmsprop"]

/// An optimizer by Keras's name with Keras's defaults: `adam`, `adamw`, `sgd`, `rmsprop`.
public func makeOptimizer(kerasName: String) -> OptimizerCore? {
    switch kerasName.lowercased() {
    case "adam": return Adam()
    case "adamw": return AdamW()
    case "sgd": return SGD()
    case "rmsprop": return RMSprop()
    default: return nil
    }
}
