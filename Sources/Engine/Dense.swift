import Basics
import CBLAS

/// Keras's `Dense`: output = activation(input · kernel + bias) over inputs of shape (features,).
/// Kernel (in, out) Glorot uniform, bias zeros.
public final class Dense: Layer {
    public var name: String
    public let units: Int
    public var activation: Activation
    public let useBias: Bool
    /// False for a first layer whose input gradient nobody reads: `backward` then skips that
    /// GEMM and returns a zero tensor of the input's shape.
    public var computesInputGradient = true

    public private(set) var parameters: [Parameter] = []
    private var inputFeatures = 0
    private var input: Tensor?
    private var lastOutput: Tensor?
    private var output = ReusableBuffer()
    private var preActivationGradient = ReusableBuffer()
    private var inputGradient = ReusableBuffer()
    /// The values before the activation, for gelu and swish.
    private var preActivation = ReusableBuffer()

    public init(units: Int, activation: Activation = .linear, useBias: Bool = true) throws(ConfigurationError) {
        guard units > 0 else { throw ConfigurationError("Dense needs at least one unit, got \(units)") }
        self.units = units
        self.activation = activation
        self.useBias = useBias
        name = "dense"
    }

    public var typeName: String { "Dense" }
    public var namePrefix: String { "dense" }
    public var configuration: [(key: String, value: PythonValue)] {
        [("units", .int(units)), ("activation", .string(activation.rawValue)), ("use_bias", .bool(useBias))]
    }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        guard inputShape.count == 1 else {
            throw ShapeError("Dense expects a flat input (features,) but got shape \(kerasTupleText(inputShape))",
                             hint: "add `flatten` before `dense` to turn \(kerasTupleText(inputShape)) into (\(inputShape.reduce(1, *)),)")
        }
        guard inputShape[0] > 0 else { throw ShapeError("Dense got an empty input of shape \(kerasTupleText(inputShape))") }
        return [units]
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int {
        (try? outputShape(for: inputShape)) == nil ? 0 : inputShape[0] * units
    }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
        inputFeatures = inputShape[0]
        var weights = [Parameter(name: "kernel", value: glorotUniform(shape: [inputFeatures, units], fanIn: inputFeatures,
                                                                      fanOut: units, generator: &generator))]
        if useBias { weights.append(Parameter(name: "bias", value: Tensor(zeros: [units]))) }
        parameters = weights
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(!parameters.isEmpty, "\(name) used before build")
        precondition(input.rank == 2 && input.shape[1] == inputFeatures, "\(name) built for (\(inputFeatures),) got \(input.shape)")
        Parallel.configureBLAS
        let batch = input.shape[0]
        let out = output.tensor(shape: [batch, units])
        Parallel.multiply(input.pointer, parameters[0].value.pointer, into: out.pointer, m: batch, n: units, k: inputFeatures)
        let bias = useBias ? UnsafePointer(parameters[1].value.pointer) : nil
        if activation.derivativeReadsInput {
            // gelu and swish read their input in backward: keep it, bias added.
            Activation.linear.forward(out.pointer, rows: batch, columns: units, bias: bias)
            preActivation.tensor(shape: out.shape).assign(out)
            activation.forward(out.pointer, rows: batch, columns: units)
        } else {
            activation.forward(out.pointer, rows: batch, columns: units, bias: bias)
        }
        self.input = input
        lastOutput = out
        return out
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard let out = lastOutput else { preconditionFailure("\(name).backward before forward") }
        if activation == .linear { return backward(preActivationGradient: outputGradient) }
        let g = preActivationGradient.tensor(shape: out.shape)
        activation.backward(output: out.pointer, gradient: outputGradient.pointer, into: g.pointer,
                            rows: out.shape[0], columns: units,
                            input: activation.derivativeReadsInput ? UnsafePointer(preActivation.tensor(shape: out.shape).pointer) : nil)
        return backward(preActivationGradient: g)
    }

    /// `backward` given dLoss/d(input · kernel + bias) directly, skipping the activation's
    /// derivative (the fused softmax + cross-entropy path hands over `p - y`).
    public func backward(preActivationGradient g: Tensor) -> Tensor {
        guard let input else { preconditionFailure("\(name).backward before forward") }
        let batch = input.shape[0]
        precondition(g.shape == [batch, units], "\(name) gradient \(g.shape) for output [\(batch), \(units)]")
        if useBias { addColumnSums(g.pointer, rows: batch, columns: units, into: parameters[1].gradient.pointer) }
        let dInput = inputGradient.tensor(shape: input.shape)
        let features = inputFeatures, computesInputGradient = computesInputGradient
        let x = input.pointer, dz = g.pointer, kernel = parameters[0].value.pointer, dKernel = parameters[0].gradient.pointer
        let dx = dInput.pointer
        // Each core takes a range of input features: its rows of the kernel gradient (inputᵀ · dZ)
        // and its columns of the input gradient (dZ · kernelᵀ).
        Parallel.forEachChunk(features, workPerItem: 2 * batch * units) { rows in
            guard !rows.isEmpty else { return }
            let first = rows.lowerBound, count = Int32(rows.count)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, count, Int32(units), Int32(batch),
                        1, x + first, Int32(features), dz, Int32(units), 1, dKernel + first * units, Int32(units))
            if computesInputGradient {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(batch), count, Int32(units),
                            1, dz, Int32(units), kernel + first * units, Int32(units), 0, dx + first, Int32(features))
            }
        }
        return dInput
    }
}

extension Dense: WeightCountPredicting {
    public func weightCount(for inputShape: [Int]) -> Double {
        Double(inputShape.last ?? 1) * Double(units) + (useBias ? Double(units) : 0)
    }
}
