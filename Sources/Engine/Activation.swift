import EngineKernels
import Foundation

/// An element-wise (or, for softmax, row-wise over the last axis) non-linearity, applied
/// fused with the bias add after a GEMM and differentiated from the saved output; gelu and
/// swish, whose output does not give back their slope, from the saved input
/// (`derivativeReadsInput`). Each follows Keras's function of that name and its defaults
/// (gelu exact, with erf; leaky_relu's slope 0.2; hard_sigmoid = relu6(x + 3) / 6).
public enum Activation: String, CaseIterable, Sendable {
    case linear, relu, sigmoid, tanh, softmax
    case elu, selu, gelu, softplus, softsign, swish
    case leakyRelu = "leaky_relu", relu6
    case hardSigmoid = "hard_sigmoid", exponential

    /// Looks up Keras's name (`"relu"`, `"softmax"`; `"silu"` is swish); nil for unknown names.
    public init?(kerasName: String) {
        let name = kerasName.lowercased()
        self.init(rawValue: name == "silu" ? "swish" : name)
    }

    /// Whether the derivative needs the activation's input: layers keep it for these.
    public var derivativeReadsInput: Bool { self == .gelu || self == .swish }

    static let seluAlpha: Float = 1.67326324, seluScale: Float = 1.05070098
    static let leakySlope: Float = 0.2
    static let inverseSqrt2: Float = 0.70710678

    /// f(x) of the value-by-value activations.
    @inline(__always)
    static func value(_ activation: Activation, _ x: Float) -> Float {
        switch activation {
        case .elu: return x > 0 ? x : expf(x) - 1
        case .selu: return x > 0 ? seluScale * x : seluScale * seluAlpha * (expf(x) - 1)
        case .gelu: return 0.5 * x * (1 + erff(x * Activation.inverseSqrt2))
        case .softplus: return max(x, 0) + log1pf(expf(-abs(x)))
        case .softsign: return x / (1 + abs(x))
        case .swish: return x / (1 + expf(-x))
        case .leakyRelu: return x >= 0 ? x : leakySlope * x
        case .relu6: return min(max(x, 0), 6)
        case .hardSigmoid: return min(max(x + 3, 0), 6) / 6
        case .exponential: return expf(x)
        default: return x
        }
    }

    /// f′ from the output y (and, for gelu and swish, the input x).
    @inline(__always)
    static func slope(_ activation: Activation, output y: Float, input x: Float) -> Float {
        switch activation {
        case .elu: return y > 0 ? 1 : y + 1
        case .selu: return y > 0 ? seluScale : y + seluScale * seluAlpha
        case .gelu: return 0.5 * (1 + erff(x * Activation.inverseSqrt2)) + x * expf(-0.5 * x * x) / (2 * Float.pi).squareRoot()
        case .softplus: return -expm1f(-y)
        case .softsign: return (1 - abs(y)) * (1 - abs(y))
        case .swish:
            let s = 1 / (1 + expf(-x))
            return s + y * (1 - s)
        case .leakyRelu: return y > 0 ? 1 : leakySlope
        case .relu6: return y > 0 && y < 6 ? 1 : 0
        case .hardSigmoid: return y > 0 && y < 1 ? 1.0 / 6 : 0
        case .exponential: return y
        default: return 1
        }
    }

    /// In place over `rows` x `columns` row-major values: adds `bias` (one per column) when
    /// given, then applies the activation (softmax normalises each row).
    public func forward(_ values: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                        bias: UnsafePointer<Float>? = nil) {
        if self == .linear && bias == nil { return }
        Parallel.forEachChunk(rows, workPerItem: columns * (self == .linear || self == .relu ? 1 : 8)) { range in
            apply(values + range.lowerBound * columns, rows: range.count, columns: columns, bias: bias)
        }
    }

    /// `forward` on the calling thread (for callers already splitting the work).
    func apply(_ values: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>?) {
        if self == .linear && bias == nil { return }
        for r in 0..<rows {
            let row = values + r * columns
            if let bias {
                for c in 0..<columns { row[c] += bias[c] }
            }
            applyRow(row, columns)
        }
    }

    @inline(__always)
    private func applyRow(_ row: UnsafeMutablePointer<Float>, _ columns: Int) {
        switch self {
        case .linear:
            break
        case .relu:
            for c in 0..<columns { row[c] = max(row[c], 0) }
        case .sigmoid:
            for c in 0..<columns { row[c] = 1 / (1 + expf(-row[c])) }
        case .tanh:
            for c in 0..<columns { row[c] = tanhf(row[c]) }
        case .elu, .selu, .gelu, .softplus, .softsign, .swish, .leakyRelu, .relu6, .hardSigmoid, .exponential:
            for c in 0..<columns { row[c] = Activation.value(self, row[c]) }
        case .softmax:
            var largest = -Float.infinity
            for c in 0..<columns { largest = max(largest, row[c]) }
            var sum: Float = 0
            for c in 0..<columns {
                let e = expf(row[c] - largest)
                row[c] = e
                sum += e
            }
            let scale = 1 / sum
            for c in 0..<columns { row[c] *= scale }
        }
    }

    /// dLoss/dInput from dLoss/dOutput (`gradient`) and the activation's `output`, over
    /// `rows` x `columns`. `result` may be the same memory as `gradient`.
    /// `input`, the values before the activation, is read only when `derivativeReadsInput`.
    public func backward(output: UnsafePointer<Float>, gradient: UnsafePointer<Float>,
                         into result: UnsafeMutablePointer<Float>, rows: Int, columns: Int, input: UnsafePointer<Float>? = nil) {
        if self == .linear {
            if UnsafePointer(result) != gradient { result.update(from: gradient, count: rows * columns) }
            return
        }
        Parallel.forEachChunk(rows, workPerItem: columns * 2) { range in
            let offset = range.lowerBound * columns
            derivative(output: output + offset, gradient: gradient + offset, into: result + offset,
                       rows: range.count, columns: columns, input: input.map { $0 + offset })
        }
    }

    /// `backward` on the calling thread (for callers already splitting the work).
    func derivative(output: UnsafePointer<Float>, gradient: UnsafePointer<Float>,
                    into result: UnsafeMutablePointer<Float>, rows: Int, columns: Int, input: UnsafePointer<Float>? = nil) {
        let count = rows * columns
        precondition(!derivativeReadsInput || input != nil, "\(rawValue) needs its input for the derivative")
        switch self {
        case .elu, .selu, .gelu, .softplus, .softsign, .swish, .leakyRelu, .relu6, .hardSigmoid, .exponential:
            for i in 0..<count {
                result[i] = gradient[i] * Activation.slope(self, output: output[i], input: input?[i] ?? 0)
            }
        case .linear:
            if UnsafePointer(result) != gradient { result.update(from: gradient, count: count) }
        case .relu:
            // Both loads unconditional, so the loop vectorises.
            for i in 0..<count {
                let g = gradient[i]
                result[i] = output[i] > 0 ? g : 0
            }
        case .sigmoid:
            for i in 0..<count { result[i] = gradient[i] * output[i] * (1 - output[i]) }
        case .tanh:
            for i in 0..<count { result[i] = gradient[i] * (1 - output[i] * output[i]) }
        case .softmax:
            for r in 0..<rows {
                let y = output + r * columns, g = gradient + r * columns, d = result + r * columns
                // Jacobian-vector product: y * (g - <g, y>).
                var dot: Float = 0
                for c in 0..<columns { dot += g[c] * y[c] }
                for c in 0..<columns { d[c] = y[c] * (g[c] - dot) }
            }
        }
    }
}

/// The relu derivative over `rows` x `columns` (`result` may be `gradient`), adding the
/// result's column sums into `columnSums` when given (a bias gradient) in the same pass.
func reluDerivative(output: UnsafePointer<Float>, gradient: UnsafePointer<Float>, into result: UnsafeMutablePointer<Float>,
                    rows: Int, columns: Int, columnSums: UnsafeMutablePointer<Float>?) {
    guard let sums = columnSums else {
        Activation.relu.derivative(output: output, gradient: gradient, into: result, rows: rows, columns: columns)
        return
    }
    for r in 0..<rows {
        let y = output + r * columns, g = gradient + r * columns, d = result + r * columns
        var c = 0
        while c + 8 <= columns {
            let value = Float8(repeating: 0).replacing(with: load8(g + c), where: load8(y + c) .> 0)
            store8(value, d + c)
            store8(load8(sums + c) + value, sums + c)
            c += 8
        }
        while c < columns {
            let value = y[c] > 0 ? g[c] : 0
            d[c] = value
            sums[c] += value
            c += 1
        }
    }
}

/// Adds the column sums of a `rows` x `columns` matrix into `sums` (bias gradients), each column
/// summed row by row in order (`cnnb_add_column_sums`), split across cores when large.
func addColumnSums(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>) {
    if rows * columns < Parallel.minimumWork * 2 || Parallel.cores == 1 {
        cnnb_add_column_sums(matrix, rows, Int32(columns), sums)
        return
    }
    // One partial sum per chunk, then combined, so threads never share a destination.
    let chunks = Parallel.cores
    withUnsafeTemporaryAllocation(of: Float.self, capacity: chunks * columns) { partialBuffer in
        let partial = partialBuffer.baseAddress!
        partial.initialize(repeating: 0, count: chunks * columns)
        Parallel.forEachChunk(rows, chunks: chunks) { chunk, range, _ in
            cnnb_add_column_sums(matrix + range.lowerBound * columns, range.count, Int32(columns), partial + chunk * columns)
        }
        for chunk in 0..<chunks { add(partial + chunk * columns, into: sums, columns) }
    }
}
