import Foundation

/// Updates weights from the gradients the last backward pass left in them, with Keras's
/// update rules. State (momenta) is kept per parameter object.
public protocol Optimizer: AnyObject {
    /// Keras's name: `sgd`, `adam`, `rmsprop`.
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
    let perParameter: Int

    init(perParameter: Int) { self.perParameter = perParameter }

    mutating func get(_ parameter: Parameter) -> [Tensor] {
        if let existing = slots[ObjectIdentifier(parameter)], existing.first?.count == parameter.value.count {
            return existing
        }
        let made = (0..<perParameter).map { _ in Tensor(zeros: parameter.value.shape) }
        slots[ObjectIdentifier(parameter)] = made
        return made
    }

    var valueCount: Int { slots.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } } }
    mutating func removeAll() { slots.removeAll() }
}

/// Stochastic gradient descent (Keras defaults: learning rate 0.01, no momentum).
/// With momentum m: `v = m·v - lr·g; w += v` (Nesterov: `w += m·v - lr·g`).
public final class SGD: Optimizer {
    public let name = "sgd"
    public var learningRate: Float
    public var momentum: Float
    public var nesterov: Bool
    public private(set) var iterations = 0
    private var slots = OptimizerSlots(perParameter: 1)

    public init(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
    }

    public func step(_ parameters: [Parameter]) {
        let lr = learningRate, m = momentum
        for parameter in parameters {
            let w = parameter.value.pointer, g = parameter.gradient.pointer
            let n = parameter.value.count
            if m == 0 {
                for i in 0..<n { w[i] -= lr * g[i] }
                continue
            }
            let v = slots.get(parameter)[0].pointer
            if nesterov {
                for i in 0..<n {
                    v[i] = m * v[i] - lr * g[i]
                    w[i] += m * v[i] - lr * g[i]
                }
            } else {
                for i in 0..<n {
                    v[i] = m * v[i] - lr * g[i]
                    w[i] += v[i]
                }
            }
        }
        iterations += 1
    }

    public var stateCount: Int { iterations == 0 ? 0 : slots.valueCount + 2 }
    public func reset() { slots.removeAll(); iterations = 0 }
}

/// Adam (Keras defaults: learning rate 0.001, β1 0.9, β2 0.999, ε 1e-7), in Keras's form:
/// at step t, `α = lr·√(1-β2^t)/(1-β1^t)`, `m += (g-m)(1-β1)`, `v += (g²-v)(1-β2)`,
/// `w -= α·m/(√v + ε)` (ε is not bias-corrected).
public final class Adam: Optimizer {
    public let name = "adam"
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public private(set) var iterations = 0
    private var slots = OptimizerSlots(perParameter: 2)

    public init(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public func step(_ parameters: [Parameter]) {
        let t = Float(iterations + 1)
        let alpha = learningRate * (1 - powf(beta2, t)).squareRoot() / (1 - powf(beta1, t))
        let oneMinusB1 = 1 - beta1, oneMinusB2 = 1 - beta2, eps = epsilon
        for parameter in parameters {
            let state = slots.get(parameter)
            let w = parameter.value.pointer, g = parameter.gradient.pointer
            let m = state[0].pointer, v = state[1].pointer
            Parallel.forEachChunk(parameter.value.count, workPerItem: 8) { range in
                for i in range {
                    let gi = g[i]
                    m[i] += (gi - m[i]) * oneMinusB1
                    v[i] += (gi * gi - v[i]) * oneMinusB2
                    w[i] -= m[i] * alpha / (v[i].squareRoot() + eps)
                }
            }
        }
        iterations += 1
    }

    public var stateCount: Int { iterations == 0 ? 0 : slots.valueCount + 2 }
    public func reset() { slots.removeAll(); iterations = 0 }
}

/// RMSprop (Keras defaults: learning rate 0.001, ρ 0.9, no momentum, ε 1e-7):
/// `v = ρv + (1-ρ)g²; Δ = lr·g/√(v + ε)`; with momentum `μ = momentum·μ + Δ; w -= μ`,
/// else `w -= Δ`.
public final class RMSprop: Optimizer {
    public let name = "rmsprop"
    public var learningRate: Float
    public var rho: Float
    public var momentum: Float
    public var epsilon: Float
    public private(set) var iterations = 0
    private var slots = OptimizerSlots(perParameter: 2)

    public init(learningRate: Float = 0.001, rho: Float = 0.9, momentum: Float = 0, epsilon: Float = 1e-7) {
        self.learningRate = learningRate
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public func step(_ parameters: [Parameter]) {
        let lr = learningRate, rho = rho, mu = momentum, eps = epsilon
        for parameter in parameters {
            let state = slots.get(parameter)
            let w = parameter.value.pointer, g = parameter.gradient.pointer
            let v = state[0].pointer, velocity = state[1].pointer
            for i in 0..<parameter.value.count {
                let gi = g[i]
                v[i] = rho * v[i] + (1 - rho) * gi * gi
                let increment = lr * gi / (v[i] + eps).squareRoot()
                if mu > 0 {
                    velocity[i] = mu * velocity[i] + increment
                    w[i] -= velocity[i]
                } else {
                    w[i] -= increment
                }
            }
        }
        iterations += 1
    }

    /// Keras keeps a momentum slot only when momentum > 0.
    public var stateCount: Int { iterations == 0 ? 0 : slots.valueCount / (momentum > 0 ? 1 : 2) + 2 }
    public func reset() { slots.removeAll(); iterations = 0 }
}

/// An optimizer by Keras's name with Keras's defaults: `adam`, `sgd`, `rmsprop`.
public func makeOptimizer(kerasName: String) -> (any Optimizer)? {
    switch kerasName.lowercased() {
    case "adam": return Adam()
    case "sgd": return SGD()
    case "rmsprop": return RMSprop()
    default: return nil
    }
}
