import Basics
/// Keras's `Rescaling`: x · scale + offset, in training and inference alike (`1/255` maps
/// bytes to [0, 1]; scale 1/127.5 with offset −1 maps them to [−1, 1]).
public final class Rescaling: Layer {
    public var name = "rescaling"
    public let scale: Float
    public let offset: Float
    private var output = ReusableBuffer()
    private var inputGradient = ReusableBuffer()

    public init(scale: Float, offset: Float = 0) {
        self.scale = scale
        self.offset = offset
    }

    public var typeName: String { "Rescaling" }
    public var namePrefix: String { "rescaling" }
    public var parameters: [Parameter] { [] }
    public var configuration: [(key: String, value: PythonValue)] { [("scale", .float(scale)), ("offset", .float(offset))] }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        guard !inputShape.isEmpty else { throw ShapeError("Rescaling needs an input with at least one axis") }
        return inputShape
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { inputShape.reduce(1, *) }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let out = output.tensor(shape: input.shape)
        let x = input.pointer, y = out.pointer, scale = scale, offset = offset
        for i in 0..<input.count { y[i] = x[i] * scale + offset }
        return out
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let d = inputGradient.tensor(shape: outputGradient.shape)
        let g = outputGradient.pointer, dx = d.pointer, scale = scale
        for i in 0..<d.count { dx[i] = g[i] * scale }
        return d
    }
}

/// What `Resizing` and `CenterCrop` share: a fixed bilinear sampling of every image, the same
/// for every item, made once per input shape, with its adjoint for the backward pass.
struct FixedImageSampling {
    let height: Int
    let width: Int
    private var sampler = BilinearSampler()
    private var sampledShape: [Int] = []
    private var inputShape: [Int] = []
    private var output = ReusableBuffer()
    private var inputGradient = ReusableBuffer()

    init(height: Int, width: Int, layer: String) throws(ConfigurationError) {
        guard height > 0 && width > 0 else {
            throw ConfigurationError("\(layer) needs a positive height and width, got \(height)x\(width)")
        }
        self.height = height
        self.width = width
    }

    /// `make(itemShape)` gives the sampler for items of that (height, width, channels).
    mutating func forward(_ input: Tensor, make: ([Int]) -> BilinearSampler) -> Tensor {
        let item = Array(input.shape.dropFirst())
        if item != sampledShape {
            sampler = make(item)
            sampledShape = item
        }
        inputShape = input.shape
        let c = item[2], batch = input.shape[0], itemIn = item.reduce(1, *), itemOut = height * width * c
        let out = output.tensor(shape: [batch, height, width, c])
        let sampler = sampler, x = input.pointer, y = out.pointer
        Parallel.forEachChunk(batch, workPerItem: itemOut * 8) { items in
            for n in items { sampler.sample(x + n * itemIn, into: y + n * itemOut, channels: c) }
        }
        return out
    }

    mutating func backward(_ gradient: Tensor) -> Tensor {
        precondition(!inputShape.isEmpty, "backward before forward")
        let d = inputGradient.tensor(shape: inputShape)
        d.fill(0)
        let c = inputShape[3], itemIn = inputShape.dropFirst().reduce(1, *), itemOut = height * width * c
        for n in 0..<inputShape[0] {
            sampler.scatter(gradient.pointer + n * itemOut, into: d.pointer + n * itemIn, channels: c)
        }
        return d
    }
}

/// Keras's `Resizing` with its default bilinear interpolation (half-pixel centres, edges
/// repeated, no antialiasing): (H, W, C) → (height, width, C).
public final class Resizing: Layer {
    public var name = "resizing"
    private var sampling: FixedImageSampling
    public var height: Int { sampling.height }
    public var width: Int { sampling.width }

    public init(height: Int, width: Int) throws(ConfigurationError) {
        sampling = try FixedImageSampling(height: height, width: width, layer: "Resizing")
    }

    public var typeName: String { "Resizing" }
    public var namePrefix: String { "resizing" }
    public var parameters: [Parameter] { [] }
    public var configuration: [(key: String, value: PythonValue)] {
        [("height", .int(height)), ("width", .int(width)), ("interpolation", .string("bilinear"))]
    }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        try checkImageInput("Resizing", inputShape)
        return [height, width, inputShape[2]]
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { height * width * 4 * (inputShape.last ?? 0) }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
    }

    /// (Static: it runs while `sampling` is being mutated, so it must not read `self`.)
    private static func makeSampler(_ itemShape: [Int], height: Int, width: Int) -> BilinearSampler {
        var sampler = BilinearSampler()
        let scaleY = Float(itemShape[0]) / Float(height), scaleX = Float(itemShape[1]) / Float(width)
        sampler.prepare(outH: height, outW: width, inH: itemShape[0], inW: itemShape[1], border: .clamp) { y, x in
            ((Float(y) + 0.5) * scaleY - 0.5, (Float(x) + 0.5) * scaleX - 0.5)
        }
        return sampler
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let height = height, width = width
        return sampling.forward(input) { Self.makeSampler($0, height: height, width: width) }
    }
    public func backward(_ outputGradient: Tensor) -> Tensor { sampling.backward(outputGradient) }
}

/// Keras's `CenterCrop`: the central height x width window of each image. An image smaller
/// than that on either side is first cut to the target's aspect ratio about its centre and
/// resized bilinearly, as Keras's `smart_resize` does.
public final class CenterCrop: Layer {
    public var name = "center_crop"
    private var sampling: FixedImageSampling
    public var height: Int { sampling.height }
    public var width: Int { sampling.width }

    public init(height: Int, width: Int) throws(ConfigurationError) {
        sampling = try FixedImageSampling(height: height, width: width, layer: "CenterCrop")
    }

    public var typeName: String { "CenterCrop" }
    public var namePrefix: String { "center_crop" }
    public var parameters: [Parameter] { [] }
    public var configuration: [(key: String, value: PythonValue)] { [("height", .int(height)), ("width", .int(width))] }

    public func outputShape(for inputShape: [Int]) throws(ShapeError) -> [Int] {
        try checkImageInput("CenterCrop", inputShape)
        return [height, width, inputShape[2]]
    }

    public func multiplyAdds(for inputShape: [Int]) -> Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws(ShapeError) {
        _ = try outputShape(for: inputShape)
    }

    /// (Static: it runs while `sampling` is being mutated, so it must not read `self`.)
    private static func makeSampler(_ itemShape: [Int], height: Int, width: Int) -> BilinearSampler {
        var sampler = BilinearSampler()
        let inH = itemShape[0], inW = itemShape[1]
        if inH >= height && inW >= width {
            let top = (inH - height) / 2, left = (inW - width) / 2
            sampler.prepare(outH: height, outW: width, inH: inH, inW: inW, border: .clamp) { y, x in
                (Float(top + y), Float(left + x))
            }
            return sampler
        }
        // smart_resize: the largest centred box of the target's aspect ratio, then resized.
        let cropH = min(inH, Int(Double(inW) * Double(height) / Double(width)))
        let cropW = min(inW, Int(Double(inH) * Double(width) / Double(height)))
        let top = (inH - cropH) / 2, left = (inW - cropW) / 2
        let scaleY = Float(cropH) / Float(height), scaleX = Float(cropW) / Float(width)
        sampler.prepare(outH: height, outW: width, inH: inH, inW: inW, rows: top..<(top + cropH),
                        columns: left..<(left + cropW), border: .clamp) { y, x in
            (Float(top) + (Float(y) + 0.5) * scaleY - 0.5, Float(left) + (Float(x) + 0.5) * scaleX - 0.5)
        }
        return sampler
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let height = height, width = width
        return sampling.forward(input) { Self.makeSampler($0, height: height, width: width) }
    }
    public func backward(_ outputGradient: Tensor) -> Tensor { sampling.backward(outputGradient) }
}
