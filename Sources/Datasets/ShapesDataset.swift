import Dispatch
import Engine

/// A dataset generated on the spot, needing no file: 32×32×3 images of ten classes of shapes
/// and striped patches, in random colours over a random gradient background, at random
/// positions and sizes, with noise. Deterministic from a seed (each image from its own
/// generator, so threads do not change the result). Colour and position say nothing about the
/// class: only the form does, which a small CNN learns and a linear model on pixels does not.
public enum ShapesDataset {
    public static let classNames = ["circle", "square", "triangle", "ring", "cross", "diamond",
                                    "horizontal stripes", "vertical stripes", "diagonal stripes", "checkerboard"]
    public static let side = 32
    public static let defaultTrainCount = 5000
    public static let defaultTestCount = 1000
    /// Largest split accepted (about 300 MB of pixels).
    public static let maximumCount = 100_000

    public static func generate(trainCount: Int = defaultTrainCount, testCount: Int = defaultTestCount,
                                seed: UInt64 = 0) throws -> Dataset {
        for (name, count) in [("train", trainCount), ("test", testCount)] where count < 0 || count > maximumCount {
            throw DataError("shapes: \(count) \(name) images is outside 0…\(maximumCount)",
                            hint: "ask for between 0 and \(maximumCount) images per split")
        }
        return Dataset(name: "shapes",
                       train: split("train", count: trainCount, seed: seed, tag: 1),
                       test: split("test", count: testCount, seed: seed, tag: 2),
                       source: "generated (seed \(seed))")
    }

    /// The default sizes (used by `DatasetKind.read`).
    static func generate() -> Dataset {
        Dataset(name: "shapes", train: split("train", count: defaultTrainCount, seed: 0, tag: 1),
                test: split("test", count: defaultTestCount, seed: 0, tag: 2), source: "generated (seed 0)")
    }

    static func split(_ name: String, count: Int, seed: UInt64, tag: UInt64) -> DatasetSplit {
        let size = side * side * 3
        let images = SharedBuffer<UInt8>(count: count * size)
        let labels = SharedBuffer<Int32>(count: count)

        // Balanced classes (counts differ by at most one) in a seeded random order.
        var order = SeededGenerator(seed: mix(seed, tag, 0xFFFF_FFFF))
        for i in 0..<count { labels.pointer[i] = Int32(i % 10) }
        if count > 1 {
            for i in stride(from: count - 1, to: 0, by: -1) {
                let j = Int(order.next() % UInt64(i + 1))
                let swapped = labels.pointer[i]; labels.pointer[i] = labels.pointer[j]; labels.pointer[j] = swapped
            }
        }

        let chunks = max(1, min(count / 256, 64))
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let range = (chunk * count / chunks)..<((chunk + 1) * count / chunks)
            for i in range {
                var random = SeededGenerator(seed: mix(seed, tag, UInt64(i)))
                draw(class: Int(labels.pointer[i]), into: images.pointer + i * size, random: &random)
            }
        }
        return DatasetSplit(name: name, images: images, labels: labels, count: count,
                            height: side, width: side, channels: 3, classNames: classNames)
    }

    private static func mix(_ seed: UInt64, _ tag: UInt64, _ index: UInt64) -> UInt64 {
        seed &* 0x9E37_79B9_7F4A_7C15 &+ tag &* 0xD1B5_4A32_D192_ED03 &+ index &* 0xA24B_AED4_963E_E407
    }

    private static func luminance(_ c: (Float, Float, Float)) -> Float { 0.299 * c.0 + 0.587 * c.1 + 0.114 * c.2 }

    private static func randomColour(_ random: inout SeededGenerator) -> (Float, Float, Float) {
        (random.uniform(0, 255), random.uniform(0, 255), random.uniform(0, 255))
    }

    /// Paints one image of class `label`.
    static func draw(class label: Int, into pixels: UnsafeMutablePointer<UInt8>, random: inout SeededGenerator) {
        // Background: a linear gradient between two colours in a random direction.
        let from = randomColour(&random)
        let to = randomColour(&random)
        let angle = random.uniform(0, 2 * .pi)
        let (gx, gy) = (cosf(angle), sinf(angle))
        let background = luminance(((from.0 + to.0) / 2, (from.1 + to.1) / 2, (from.2 + to.2) / 2))
        // Foreground: a colour that stands out from the background's mean brightness.
        var colour = randomColour(&random)
        for _ in 0..<16 where abs(luminance(colour) - background) < 70 { colour = randomColour(&random) }

        let s = Float(side)
        let radius = random.uniform(6, 11)
        let cx = random.uniform(radius, s - radius)
        let cy = random.uniform(radius, s - radius)
        let period = random.uniform(3.5, 6)
        let phase = random.uniform(0, 2 * period)
        let noise = random.uniform(4, 16)

        for y in 0..<side {
            for x in 0..<side {
                let px = Float(x) + 0.5, py = Float(y) + 0.5
                let dx = px - cx, dy = py - cy
                let inside = covers(label, dx: dx, dy: dy, px: px, py: py, radius: radius, period: period, phase: phase)
                let t = ((px / s - 0.5) * gx + (py / s - 0.5) * gy) * 0.7071 + 0.5
                var r = inside ? colour.0 : from.0 + (to.0 - from.0) * t
                var g = inside ? colour.1 : from.1 + (to.1 - from.1) * t
                var b = inside ? colour.2 : from.2 + (to.2 - from.2) * t
                // Triangular noise: the sum of two uniforms.
                r += (random.uniform(-1, 1) + random.uniform(-1, 1)) * noise
                g += (random.uniform(-1, 1) + random.uniform(-1, 1)) * noise
                b += (random.uniform(-1, 1) + random.uniform(-1, 1)) * noise
                let p = pixels + (y * side + x) * 3
                p[0] = byte(r); p[1] = byte(g); p[2] = byte(b)
            }
        }
    }

    @inline(__always) private static func byte(_ value: Float) -> UInt8 {
        UInt8(min(max(value, 0), 255).rounded())
    }

    /// Whether the pixel at offset (dx, dy) from the centre belongs to the figure of class `label`.
    @inline(__always)
    private static func covers(_ label: Int, dx: Float, dy: Float, px: Float, py: Float, radius r: Float,
                               period: Float, phase: Float) -> Bool {
        let distance2 = dx * dx + dy * dy
        switch label {
        case 0: return distance2 <= r * r
        case 1: return abs(dx) <= 0.8 * r && abs(dy) <= 0.8 * r
        case 2: return dy >= -r && dy <= 0.8 * r && abs(dx) <= (dy + r) * 0.6
        case 3: return distance2 <= r * r && distance2 >= 0.35 * r * r
        case 4: return (abs(dx) <= 0.3 * r && abs(dy) <= r) || (abs(dy) <= 0.3 * r && abs(dx) <= r)
        case 5: return abs(dx) + abs(dy) <= 1.05 * r
        default:
            // Striped and chequered patches over a square region.
            guard abs(dx) <= r, abs(dy) <= r else { return false }
            let u = Int(((px + phase) / period).rounded(.down)), v = Int(((py + phase) / period).rounded(.down))
            switch label {
            case 6: return v & 1 == 0
            case 7: return u & 1 == 0
            case 8: return Int(((px + py + phase) / (1.4 * period)).rounded(.down)) & 1 == 0
            default: return (u + v) & 1 == 0
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
