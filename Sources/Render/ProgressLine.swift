import Foundation

/// The line Keras 3 prints while `fit`, `evaluate` and `predict` run (`verbose=1`), one epoch at
/// a time (keras/src/utils/progbar.py):
///
///     Epoch 1/5
///       12/1563 ━━━━━━━━━━━━━━━━━━━━ 1:23 54ms/step - accuracy: 0.1042 - loss: 2.2012
///     1563/1563 ━━━━━━━━━━━━━━━━━━━━ 12s 8ms/step - accuracy: 0.4512 - loss: 1.5123
///
/// Keras tells the steps done from those to come by colour alone (green, then white); with
/// colour off the steps to come are drawn light (`─`) so the bar still reads.
///
/// The formatting functions are pure; `update` adds Keras's clock: the time per step leaves out
/// the first step (which includes warm-up) once there are others, and lines are drawn at most
/// every `interval` seconds except the last.
public struct ProgressLine: Sendable {
    /// Steps (batches) in the epoch.
    public let target: Int
    /// Characters in the bar.
    public let width: Int
    /// ANSI colour and bold as Keras draws them (a terminal with colour on).
    public var colour: Bool
    /// The word after the time per step: `step` (or `sample`).
    public let unitName: String
    /// Seconds between two drawn lines; the final line is always drawn.
    public var interval: Double

    private let start: Double
    private var timeAfterFirstStep: Double?
    private var lastDrawn: Double?
    /// Characters in the last line drawn, so a shorter line can blank out the rest.
    public private(set) var drawnWidth = 0

    /// `start` is the clock reading (in seconds) when the epoch began.
    public init(target: Int, width: Int = 20, unitName: String = "step", interval: Double = 0.05, start: Double = 0,
                colour: Bool = false) {
        precondition(target > 0, "a progress line needs at least one step")
        self.target = target
        self.width = max(1, width)
        self.colour = colour
        self.unitName = unitName
        self.interval = interval
        self.start = start
    }

    /// `Epoch 3/5`, for 1-based `epoch`.
    public static func epochHeader(epoch: Int, of epochs: Int) -> String {
        "Epoch \(epoch)/\(epochs)"
    }

    /// The count and bar: `  12/1563 ━━━━━━━━━━━━━━━━━━━━`; the count is padded to the target's
    /// digits, and the bar's first `width * current / target` characters are the steps done.
    public func bar(current: Int) -> String {
        let digits = String(target).count
        let count = String(current)
        let counter = String(repeating: " ", count: max(0, digits - count.count)) + count + "/\(target)"
        let done = min(width, max(0, Int(Double(width) * (Double(current) / Double(target)))))
        let heavy = String(repeating: "━", count: done)
        guard colour else {
            return counter + " " + heavy + String(repeating: "─", count: width - done)
        }
        return bold(counter) + " " + (done > 0 ? "\u{1B}[32m" + heavy + "\u{1B}[0m" : "")
            + "\u{1B}[37m" + String(repeating: "━", count: width - done) + "\u{1B}[0m"
    }

    /// A line during the epoch: the bar, the time left at `secondsPerStep`, the time per step,
    /// then the metrics.
    public func runningLine(current: Int, secondsPerStep: Double, metrics: [(String, Double)]) -> String {
        let remaining = secondsPerStep * Double(target - current)
        return bar(current: current) + " " + bold(ProgressLine.eta(seconds: remaining))
            + ProgressLine.stepTime(seconds: secondsPerStep, unitName: unitName) + ProgressLine.metricsText(metrics)
    }

    /// The epoch's last line: the full bar, seconds taken, time per step, then the metrics
    /// (validation ones included when given).
    public func finalLine(elapsedSeconds: Double, secondsPerStep: Double, metrics: [(String, Double)]) -> String {
        bar(current: target) + " " + bold(ProgressLine.wholeNumber(elapsedSeconds) + "s")
            + ProgressLine.stepTime(seconds: secondsPerStep, unitName: unitName) + ProgressLine.metricsText(metrics)
    }

    private func bold(_ text: String) -> String {
        colour ? "\u{1B}[1m" + text + "\u{1B}[0m" : text
    }

    /// Keras 3's order: the metrics by name (its logs pass through a tree flattening that sorts
    /// keys), then the validation ones by name.
    public static func kerasOrder(_ metrics: [(String, Double)]) -> [(String, Double)] {
        // A learning-rate callback adds `learning_rate` to the logs last.
        let rate = metrics.filter { $0.0 == "learning_rate" }
        let others = metrics.filter { $0.0 != "learning_rate" }
        let validation = others.filter { $0.0.hasPrefix("val_") }.sorted { $0.0 < $1.0 }
        return others.filter { !$0.0.hasPrefix("val_") }.sorted { $0.0 < $1.0 } + validation + rate
    }

    /// Time left as Keras writes it: `45s`, `1:23` above a minute, `1:02:03` above an hour
    /// (each part truncated).
    public static func eta(seconds: Double) -> String {
        let eta = max(0, seconds)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        if eta > 3600 {
            let hours = Int((eta / 3600).rounded(.down))
            let minutes = Int((eta.truncatingRemainder(dividingBy: 3600) / 60).rounded(.down))
            let secs = Int(eta.truncatingRemainder(dividingBy: 60))
            return "\(hours):\(two(minutes)):\(two(secs))"
        }
        if eta > 60 {
            return "\(Int((eta / 60).rounded(.down))):\(two(Int(eta.truncatingRemainder(dividingBy: 60))))"
        }
        return "\(Int(eta))s"
    }

    /// ` 8ms/step`: whole seconds from one second up (and for zero), milliseconds from 1 ms,
    /// microseconds below; rounded half to even, as Python's `%.0f`.
    public static func stepTime(seconds: Double, unitName: String = "step") -> String {
        if seconds >= 1 || seconds == 0 {
            return " " + wholeNumber(seconds) + "s/" + unitName
        } else if seconds >= 1e-3 {
            return " " + wholeNumber(seconds * 1e3) + "ms/" + unitName
        }
        return " " + wholeNumber(seconds * 1e6) + "us/" + unitName
    }

    /// A metric value: four decimals, or scientific notation when its magnitude is 0.001 or less.
    public static func metric(_ value: Double) -> String {
        // Python's formatting: `nan`, `inf`, `-inf` (C's printf may write `-nan`).
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        if abs(value) > 1e-3 { return String(format: "%.4f", value) }
        return String(format: "%.4e", value)
    }

    /// ` - loss: 1.5123 - accuracy: 0.4512` (empty for no metrics).
    public static func metricsText(_ metrics: [(String, Double)]) -> String {
        metrics.map { " - \($0.0): " + metric($0.1) }.joined()
    }

    static func wholeNumber(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        let rounded = value.rounded(.toNearestOrEven)
        return rounded == 0 ? "0" : String(Int(rounded))
    }

    // MARK: - Clock

    /// The estimated seconds per step after `current` steps, at clock reading `now`.
    public mutating func secondsPerStep(current: Int, now: Double) -> Double {
        guard current > 0 else { return 0 }
        let perStep: Double
        if let afterFirst = timeAfterFirstStep, current > 1 {
            perStep = (now - afterFirst) / Double(current - 1)
        } else {
            perStep = (now - start) / Double(current)
        }
        if current == 1 { timeAfterFirstStep = now }
        return perStep
    }

    /// The line to show after step `current` (1-based) at clock reading `now`, or nil when the
    /// last line was drawn less than `interval` ago and the epoch is not over. `metrics` are the
    /// running values so far; the final call may add the validation metrics.
    public mutating func update(current: Int, now: Double, metrics: [(String, Double)]) -> String? {
        let finished = current >= target
        if !finished, let last = lastDrawn, now - last < interval { return nil }
        let perStep = secondsPerStep(current: current, now: now)
        let line = finished
            ? finalLine(elapsedSeconds: now - start, secondsPerStep: perStep, metrics: metrics)
            : runningLine(current: current, secondsPerStep: perStep, metrics: metrics)
        lastDrawn = now
        return line
    }

    /// What to write to a terminal to replace the previous line with `line`: a carriage return,
    /// the line, and spaces over whatever the previous line had beyond it.
    public mutating func overwrite(with line: String) -> String {
        let length = NotebookReport.stripTerminalCodes(line).count
        let padding = max(0, drawnWidth - length)
        drawnWidth = length
        return "\r" + line + String(repeating: " ", count: padding)
    }
}
