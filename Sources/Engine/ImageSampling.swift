import Basics
import Foundation

/// How a sampler treats coordinates outside the image.
enum SampleBorder {
    /// The edge pixel repeats (image resizing).
    case clamp
    /// The image mirrors about its edges, d c b a | a b c d | d c b a (Keras's `reflect` fill).
    case reflect
}

/// Bilinear sampling of (H, W, C) images: every output pixel is a weighted sum of four input
/// pixels. The taps (input position and weight) are computed once per image and kept, so the
/// backward pass scatters the gradient through the same weights (the sampler's adjoint).
struct BilinearSampler {
    /// Four input positions (within one item) per output pixel, and their weights.
    private(set) var indices: [Int32] = []
    private(set) var weights: [Float] = []
    var outputPixels = 0

    /// Taps for an `outH` x `outW` output read from an `inH` x `inW` image; `source(y, x)`
    /// gives the input coordinate (row, column; pixel centres at integers) each output pixel
    /// reads. Coordinates are resolved inside the box `rows` x `columns` of the input.
    mutating func prepare(outH: Int, outW: Int, inH: Int, inW: Int, rows: Range<Int>? = nil, columns: Range<Int>? = nil,
                          border: SampleBorder, source: (Int, Int) -> (Float, Float)) {
        let rows = rows ?? 0..<inH, columns = columns ?? 0..<inW
        outputPixels = outH * outW
        indices = [Int32](repeating: 0, count: outputPixels * 4)
        weights = [Float](repeating: 0, count: outputPixels * 4)
        func resolve(_ i: Int, _ range: Range<Int>) -> Int {
            let n = range.count
            var j = i - range.lowerBound
            switch border {
            case .clamp:
                j = min(max(j, 0), n - 1)
            case .reflect:
                let period = 2 * n
                j %= period
                if j < 0 { j += period }
                if j >= n { j = period - 1 - j }
            }
            return range.lowerBound + j
        }
        for y in 0..<outH {
            for x in 0..<outW {
                let (sy, sx) = source(y, x)
                let y0 = Int(sy.rounded(.down)), x0 = Int(sx.rounded(.down))
                let fy = sy - Float(y0), fx = sx - Float(x0)
                let r0 = resolve(y0, rows), r1 = resolve(y0 + 1, rows)
                let c0 = resolve(x0, columns), c1 = resolve(x0 + 1, columns)
                let base = (y * outW + x) * 4
                indices[base] = Int32(r0 * inW + c0)
                indices[base + 1] = Int32(r0 * inW + c1)
                indices[base + 2] = Int32(r1 * inW + c0)
                indices[base + 3] = Int32(r1 * inW + c1)
                weights[base] = (1 - fy) * (1 - fx)
                weights[base + 1] = (1 - fy) * fx
                weights[base + 2] = fy * (1 - fx)
                weights[base + 3] = fy * fx
            }
        }
    }

    /// Samples one item: `output` (outputPixels x channels) from `input`.
    func sample(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, channels c: Int) {
        for p in 0..<outputPixels {
            let y = output + p * c
            for ch in 0..<c { y[ch] = 0 }
            for t in 0..<4 {
                let w = weights[p * 4 + t]
                if w == 0 { continue }
                let x = input + Int(indices[p * 4 + t]) * c
                for ch in 0..<c { y[ch] += w * x[ch] }
            }
        }
    }

    /// The adjoint of `sample`: adds each output gradient back onto the input pixels it read.
    /// `inputGradient` must be zeroed by the caller.
    func scatter(_ gradient: UnsafePointer<Float>, into inputGradient: UnsafeMutablePointer<Float>, channels c: Int) {
        for p in 0..<outputPixels {
            let g = gradient + p * c
            for t in 0..<4 {
                let w = weights[p * 4 + t]
                if w == 0 { continue }
                let d = inputGradient + Int(indices[p * 4 + t]) * c
                for ch in 0..<c { d[ch] += w * g[ch] }
            }
        }
    }
}

/// Where an output pixel of an affine image transform reads, as Keras's `affine_transform`
/// takes it: output (x, y) reads input (a0·x + a1·y + a2, b0·x + b1·y + b2), pixel centres at
/// integers.
public struct ImageTransform: Equatable, Sendable {
    public var a0: Float, a1: Float, a2: Float
    public var b0: Float, b1: Float, b2: Float

    public static let identity = ImageTransform(a0: 1, a1: 0, a2: 0, b0: 0, b1: 1, b2: 0)

    public init(a0: Float, a1: Float, a2: Float, b0: Float, b1: Float, b2: Float) {
        self.a0 = a0; self.a1 = a1; self.a2 = a2
        self.b0 = b0; self.b1 = b1; self.b2 = b2
    }

    /// Keras's `RandomRotation` transform: `angle` radians about the image's centre.
    public static func rotation(_ angle: Float, height: Int, width: Int) -> ImageTransform {
        let c = cosf(angle), s = sinf(angle), w = Float(width - 1), h = Float(height - 1)
        return ImageTransform(a0: c, a1: -s, a2: (w - (c * w - s * h)) / 2,
                               b0: s, b1: c, b2: (h - (s * w + c * h)) / 2)
    }

    /// Keras's `RandomTranslation` transform: the image moves `dy` rows down and `dx` columns right.
    public static func translation(dy: Float, dx: Float) -> ImageTransform {
        ImageTransform(a0: 1, a1: 0, a2: -dx, b0: 0, b1: 1, b2: -dy)
    }

    /// Keras's `RandomZoom` transform: factors above 1 zoom out, below 1 zoom in, about the centre.
    public static func zoom(height zoomY: Float, width zoomX: Float, height: Int, width: Int) -> ImageTransform {
        ImageTransform(a0: zoomX, a1: 0, a2: Float(width - 1) / 2 * (1 - zoomX),
                        b0: 0, b1: zoomY, b2: Float(height - 1) / 2 * (1 - zoomY))
    }

    func source(_ y: Int, _ x: Int) -> (Float, Float) {
        let fx = Float(x), fy = Float(y)
        return (b0 * fx + b1 * fy + b2, a0 * fx + a1 * fy + a2)
    }
}

/// Checks an image layer's input: (height, width, channels), none empty.
func checkImageInput(_ layer: String, _ inputShape: [Int]) throws(ShapeError) {
    guard inputShape.count == 3 else {
        throw ShapeError("\(layer) expects images (height, width, channels) but got shape \(kerasTupleText(inputShape))",
                         hint: "image layers take inputs such as 32x32x3")
    }
    guard inputShape.allSatisfy({ $0 > 0 }) else {
        throw ShapeError("\(layer) got an empty input of shape \(kerasTupleText(inputShape))")
    }
}
