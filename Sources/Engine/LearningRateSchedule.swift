import Foundation

/// Keras's learning-rate schedules (`keras.optimizers.schedules`), asked for the rate before
/// every training step at the optimizer's step count, as Keras's optimizer asks its schedule
/// at `iterations`. Computed in Float32, as Keras computes them.
public enum LearningRateSchedule: Sendable, Equatable {
    /// `CosineDecay(initial_learning_rate, decay_steps, alpha)`: from the initial rate down a
    /// half cosine to `alpha` times it at `decaySteps`, then flat.
    case cosine(initial: Float, decaySteps: Int, alpha: Float)
    /// `ExponentialDecay(initial_learning_rate, decay_steps, decay_rate, staircase)`:
    /// `initial · decay_rate ^ (step / decay_steps)`, the exponent floored when `staircase`.
    case exponential(initial: Float, decaySteps: Int, decayRate: Float, staircase: Bool)

    public func rate(at step: Int) -> Float {
        switch self {
        case .cosine(let initial, let decaySteps, let alpha):
            let steps = Float(decaySteps)
            let fraction = min(Float(step), steps) / steps
            let cosine = 0.5 * (1 + cosf(Float.pi * fraction))
            return initial * ((1 - alpha) * cosine + alpha)
        case .exponential(let initial, let decaySteps, let decayRate, let staircase):
            var power = Float(step) / Float(decaySteps)
            if staircase { power.round(.down) }
            return initial * powf(decayRate, power)
        }
    }

    /// The rate before the first step.
    public var initial: Float {
        switch self {
        case .cosine(let initial, _, _), .exponential(let initial, _, _, _): return initial
        }
    }
}
