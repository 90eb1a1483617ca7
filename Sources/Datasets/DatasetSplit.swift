import Engine

/// One split of a dataset (train or test): N images of H×W×C bytes in NHWC order, their integer
/// labels and the class names. A split is a view: slicing shares the image and label buffers,
/// and arithmetic (`data / 255`) only updates the 256 values a pixel byte reads as, applied when
/// images are read as Float (one image, or a batch filled for the engine).
///
/// A split read from a file of numbers (`load csv`) holds float32 values instead of bytes
/// (`valueBuffer`), items of any shape; arithmetic on it is applied as each value is read.
public struct DatasetSplit: @unchecked Sendable {
    /// "train" or "test" (kept by slices).
    public let name: String
    /// The pixel bytes; empty when the items are numbers (`valueBuffer`).
    public let imageBuffer: SharedBuffer<UInt8>
    /// The items' numbers when they were read as numbers rather than pixels.
    public let valueBuffer: SharedBuffer<Float>?
    public let labelBuffer: SharedBuffer<Int32>
    /// Index of this view's first image in the buffers.
    public let start: Int
    public let count: Int
    /// Shape of one item: [H, W, C] for images, [140] for a row of a CSV file; `reshaped` changes it.
    public private(set) var itemShape: [Int]
    public let classNames: [String]
    /// Keras gives CIFAR-10's labels as a column, shape (N, 1); MNIST's as a vector, (N,).
    public var labelsAreColumn = false
    /// How the integer labels reach a loss.
    public enum LabelEncoding: Sendable {
        /// Class indices, for `sparse_categorical_crossentropy`.
        case indices
        /// One-hot rows over the classes (Keras's `to_categorical`), for `categorical_crossentropy`.
        case oneHot
        /// The label as one number, for a single-unit output (`binary_crossentropy`, `mse`).
        case value
    }
    public private(set) var labelEncoding = LabelEncoding.indices
    /// Columns of the one-hot rows (labels beyond them are rows of zeros).
    public private(set) var oneHotWidth = 0
    /// The 256 Float values of the bytes after the arithmetic applied so far: reading is a lookup.
    private var lookup: [Float]
    /// The arithmetic applied so far, in order, for values stored as numbers.
    private var steps: [Arithmetic] = []
    /// True once any arithmetic was applied (the images read as float32, not uint8).
    public private(set) var isScaled = false

    /// A split over `count` images from `start` in the buffers; the caller guarantees that
    /// `imageBuffer` holds `(start + count) * height * width * channels` bytes and `labelBuffer`
    /// `start + count` labels.
    public init(name: String, images: SharedBuffer<UInt8>, labels: SharedBuffer<Int32>,
                start: Int = 0, count: Int, height: Int, width: Int, channels: Int, classNames: [String]) {
        precondition(start >= 0 && count >= 0 && height > 0 && width > 0 && channels > 0, "bad split geometry")
        precondition((start + count) * height * width * channels <= images.count, "images overrun the buffer")
        precondition(start + count <= labels.count, "labels overrun the buffer")
        self.name = name
        imageBuffer = images
        labelBuffer = labels
        self.start = start
        self.count = count
        itemShape = [height, width, channels]
        self.classNames = classNames
        valueBuffer = nil
        lookup = (0..<256).map { Float($0) }
    }

    /// A split over `count` items of numbers from `start`, each of `itemShape`; the caller
    /// guarantees that the buffers hold them.
    public init(name: String, values: SharedBuffer<Float>, labels: SharedBuffer<Int32>, start: Int = 0, count: Int,
                itemShape: [Int], classNames: [String]) {
        precondition(start >= 0 && count >= 0 && !itemShape.isEmpty && itemShape.allSatisfy { $0 > 0 }, "bad split geometry")
        precondition((start + count) * itemShape.reduce(1, *) <= values.count, "values overrun the buffer")
        precondition(start + count <= labels.count, "labels overrun the buffer")
        self.name = name
        imageBuffer = SharedBuffer(count: 0)
        valueBuffer = values
        labelBuffer = labels
        self.start = start
        self.count = count
        self.itemShape = itemShape
        self.classNames = classNames
        lookup = (0..<256).map { Float($0) }
    }

    /// True for pixel bytes, false for numbers read from a file.
    public var holdsBytes: Bool { valueBuffer == nil }
    // MARK: Shapes

    /// Bytes (and Floats) in one image: H·W·C.
    public var imageSize: Int { itemShape.reduce(1, *) }
    /// [N, H, W, C], as Keras prints `x_train.shape`.
    public var shape: [Int] { [count] + itemShape }
    /// [H, W, C] of one image (the item shape, whatever its rank).
    public var imageShape: [Int] { itemShape }
    /// An item as a picture: (H, W, C) as they are; (H, W) one grey channel, as Keras's MNIST;
    /// (L) one row; a longer shape its first axis high, its last the channels.
    public var height: Int { itemShape.count == 1 ? 1 : itemShape[0] }
    public var width: Int {
        switch itemShape.count {
        case 1: return itemShape[0]
        case 2: return itemShape[1]
        default: return itemShape.dropFirst().dropLast().reduce(1, *)
        }
    }
    public var channels: Int { itemShape.count <= 2 ? 1 : itemShape[itemShape.count - 1] }

    /// The same items seen with another shape of the same size (Keras's `Reshape`: the batch
    /// axis stays); copies nothing. The caller checks the sizes agree.
    public func reshaped(_ shape: [Int]) -> DatasetSplit {
        precondition(shape.reduce(1, *) == imageSize && shape.allSatisfy { $0 > 0 }, "reshape \(itemShape) to \(shape)")
        var copy = self
        copy.itemShape = shape
        return copy
    }
    /// [N] or [N, 1], as Keras prints `y_train.shape` for this dataset's integer labels.
    public var labelsShape: [Int] { labelsAreColumn ? [count, 1] : [count] }

    // MARK: Lazy value maps

    /// One arithmetic step on every pixel, with a float32 operand.
    public enum Arithmetic: Sendable {
        case add(Float)
        case multiply(Float)
        case divide(Float)

        func apply(to x: Float) -> Float {
            switch self {
            case .add(let c): return x + c
            case .multiply(let c): return x * c
            case .divide(let c): return x / c
            }
        }
    }

    /// The same images read through one more step (copies nothing). Each step rounds to float32,
    /// as NumPy does on a float32 array: `x / 255 * 1000 - 300` is three roundings, never one
    /// affine map in Double.
    public func applying(_ step: Arithmetic) -> DatasetSplit {
        var copy = self
        copy.lookup = lookup.map { step.apply(to: $0) }
        copy.steps.append(step)
        copy.isScaled = true
        return copy
    }

    /// A stored number after the arithmetic applied so far, one float32 rounding per step.
    private func scaled(_ value: Float) -> Float {
        var x = value
        for step in steps { x = step.apply(to: x) }
        return x
    }

    /// The Float a pixel byte reads as under the current scale and offset.
    public func value(ofByte byte: UInt8) -> Float { lookup[Int(byte)] }

    // MARK: Views

    /// Images `range` of this split, sharing its buffers; an out-of-range request is an error.
    public func slice(_ range: Range<Int>) throws -> DatasetSplit {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw DataError("range \(range.lowerBound)..<\(range.upperBound) is outside the \(count) images of \(name)",
                            hint: "use a range within 0..<\(count)")
        }
        return view(range)
    }

    /// Image `index` alone, as a split of one image sharing the buffers.
    public func slice(_ index: Int) throws -> DatasetSplit {
        try checkIndex(index)
        return view(index..<index + 1)
    }

    /// Throws when `index` is not an image of this split.
    public func checkIndex(_ index: Int) throws {
        guard index >= 0, index < count else {
            throw DataError("index \(index) is outside the \(count) images of \(name)",
                            hint: count > 0 ? "use an index from 0 to \(count - 1)" : "this split is empty")
        }
    }

    /// Images `range` (the caller checks the bounds).
    public subscript(range: Range<Int>) -> DatasetSplit {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range \(range) of \(count) images")
        return view(range)
    }

    /// The first `n` images (all of them when there are fewer), for limiting a run.
    public func prefix(_ n: Int) -> DatasetSplit { view(0..<min(max(n, 0), count)) }

    private func view(_ range: Range<Int>) -> DatasetSplit {
        over(images: imageBuffer, values: valueBuffer, labels: labelBuffer, start: start + range.lowerBound,
             count: range.count, classNames: classNames)
    }

    /// This split's shape, scale and label settings over other buffers or another part of them.
    private func over(images: SharedBuffer<UInt8>, values: SharedBuffer<Float>?, labels: SharedBuffer<Int32>,
                      start: Int, count: Int, classNames: [String]) -> DatasetSplit {
        var copy: DatasetSplit
        if let values {
            copy = DatasetSplit(name: name, values: values, labels: labels, start: start, count: count,
                                itemShape: itemShape, classNames: classNames)
        } else {
            copy = DatasetSplit(name: name, images: images, labels: labels, start: start, count: count,
                                height: 1, width: 1, channels: 1, classNames: classNames)
            copy.itemShape = itemShape
        }
        copy.isScaled = isScaled
        copy.labelsAreColumn = labelsAreColumn
        copy.labelEncoding = labelEncoding
        copy.oneHotWidth = oneHotWidth
        copy.lookup = lookup
        copy.steps = steps
        return copy
    }

    // MARK: Reading

    /// Label of image `index` (0 ≤ index < count; the caller checks).
    public func label(at index: Int) -> Int {
        precondition(index >= 0 && index < count, "index \(index) of \(count) labels")
        return Int(labelBuffer.pointer[start + index])
    }

    /// Class name of image `index`, or its label as text when the class has no name.
    public func className(at index: Int) -> String {
        let label = label(at: index)
        return label < classNames.count ? classNames[label] : String(label)
    }

    /// All labels of this view, in order.
    public var labels: [Int32] {
        Array(UnsafeBufferPointer(start: labelBuffer.pointer + start, count: count))
    }

    /// Images per class (index = label).
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: max(classNames.count, 1))
        let base = labelBuffer.pointer + start
        for i in 0..<count {
            let label = Int(base[i])
            if label >= counts.count { counts += [Int](repeating: 0, count: label + 1 - counts.count) }
            counts[label] += 1
        }
        return counts
    }

    /// The raw bytes of image `index` (H·W·C, NHWC), unscaled; valid while the split lives.
    /// Only for splits of bytes (`holdsBytes`).
    public func pixels(at index: Int) -> UnsafeBufferPointer<UInt8> {
        precondition(index >= 0 && index < count, "index \(index) of \(count) images")
        precondition(holdsBytes, "pixels of a split of numbers")
        return UnsafeBufferPointer(start: imageBuffer.pointer + (start + index) * imageSize, count: imageSize)
    }

    /// Item `index`'s values with the scale applied.
    public func values(at index: Int) -> [Float] {
        precondition(index >= 0 && index < count, "index \(index) of \(count) images")
        return [Float](unsafeUninitializedCapacity: imageSize) { buffer, initialized in
            convert(items: index..<index + 1, into: buffer.baseAddress!)
            initialized = imageSize
        }
    }

    /// Image `index` as a Float tensor [H, W, C] with the scale applied.
    public func image(at index: Int) -> Tensor {
        let tensor = Tensor(zeros: imageShape)
        convert(items: index..<index + 1, into: tensor.pointer)
        return tensor
    }

    /// All images of this view as one Float tensor [N, H, W, C] with the scale applied.
    public func tensor() -> Tensor {
        let tensor = Tensor(zeros: shape)
        convert(items: 0..<count, into: tensor.pointer)
        return tensor
    }

    /// Fills a batch for the engine: image `indices[b]` of this split goes to `images[b]`
    /// (shape [B, H, W, C], B = indices.count) with the scale applied, its label to `labels[b]`.
    /// Allocates nothing. Indices must be in 0..<count and the tensor of the right shape.
    public func fill(indices: UnsafeBufferPointer<Int>, into images: Tensor, labels: UnsafeMutablePointer<Int32>) {
        precondition(images.shape == [indices.count] + imageShape,
                     "batch tensor \(images.shape) for \(indices.count) images of \(imageShape)")
        fillImages(indices: indices, into: images.pointer)
        let labelSource = labelBuffer.pointer + start
        for (b, index) in indices.enumerated() { labels[b] = labelSource[index] }
    }

    /// Images `indices` with the scale applied, one after another from `destination`.
    func fillImages(indices: UnsafeBufferPointer<Int>, into destination: UnsafeMutablePointer<Float>) {
        let size = imageSize
        if let values = valueBuffer {
            for (b, index) in indices.enumerated() {
                precondition(index >= 0 && index < count, "index \(index) of \(count) images")
                let from = values.pointer + (start + index) * size
                let to = destination + b * size
                for k in 0..<size { to[k] = scaled(from[k]) }
            }
            return
        }
        let source = imageBuffer.pointer
        lookup.withUnsafeBufferPointer { table in
            let table = table.baseAddress!
            for (b, index) in indices.enumerated() {
                precondition(index >= 0 && index < count, "index \(index) of \(count) images")
                let from = source + (start + index) * size
                let to = destination + b * size
                for k in 0..<size { to[k] = table[Int(from[k])] }
            }
        }
    }

    public func fill(indices: [Int], into images: Tensor, labels: UnsafeMutablePointer<Int32>) {
        indices.withUnsafeBufferPointer { fill(indices: $0, into: images, labels: labels) }
    }

    /// Fills a batch with the consecutive images `range` (evaluation and prediction order).
    public func fill(range: Range<Int>, into images: Tensor, labels: UnsafeMutablePointer<Int32>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range \(range) of \(count) images")
        precondition(images.shape == [range.count] + imageShape,
                     "batch tensor \(images.shape) for \(range.count) images of \(imageShape)")
        convert(items: range, into: images.pointer)
        (labels).update(from: labelBuffer.pointer + start + range.lowerBound, count: range.count)
    }

    /// Items `range` (checked by the caller) with the scale applied, one after another.
    private func convert(items range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        let first = (start + range.lowerBound) * imageSize, total = range.count * imageSize
        if let values = valueBuffer {
            let from = values.pointer + first
            if steps.isEmpty {
                destination.update(from: from, count: total)
            } else {
                for k in 0..<total { destination[k] = scaled(from[k]) }
            }
            return
        }
        let from = imageBuffer.pointer + first
        lookup.withUnsafeBufferPointer { table in
            let table = table.baseAddress!
            for k in 0..<total { destination[k] = table[Int(from[k])] }
        }
    }
}

/// A split is what the engine trains on: batches are filled straight from the UInt8 pixels with
/// the recorded scale applied, and the targets are the integer labels in `labelEncoding`.
extension DatasetSplit: BatchSource {
    public var targetShape: [Int]? {
        switch labelEncoding {
        case .indices: return nil
        case .oneHot: return [oneHotWidth]
        case .value: return [1]
        }
    }

    /// The same images whose labels reach the loss as `encoding`; one-hot rows are as wide as
    /// the classes, or `classes` when given.
    public func encodingLabels(as encoding: LabelEncoding, classes: Int? = nil) -> DatasetSplit {
        var copy = self
        copy.labelEncoding = encoding
        copy.oneHotWidth = classes ?? max(classNames.count, 1)
        return copy
    }

    public func fillInputs(indices: ArraySlice<Int>, into inputs: Tensor) {
        precondition(inputs.shape == [indices.count] + imageShape,
                     "batch tensor \(inputs.shape) for \(indices.count) images of \(imageShape)")
        indices.withUnsafeBufferPointer { fillImages(indices: $0, into: inputs.pointer) }
    }

    public func fillTargets(indices: ArraySlice<Int>, labels: UnsafeMutableBufferPointer<Int32>, values: Tensor) {
        let source = labelBuffer.pointer + start
        let width = labelEncoding == .oneHot ? values.count / max(indices.count, 1) : 1
        if labelEncoding == .oneHot { values.fill(0) }
        for (row, index) in indices.enumerated() {
            precondition(index >= 0 && index < count, "index \(index) of \(count) labels")
            let label = source[index]
            switch labelEncoding {
            case .indices: labels[row] = label
            case .oneHot: if label >= 0 && Int(label) < width { values.pointer[row * width + Int(label)] = 1 }
            case .value: values.pointer[row] = Float(label)
            }
        }
    }
}

extension DatasetSplit: CustomStringConvertible {
    public var description: String {
        if !holdsBytes {
            return "\(name): \(count) rows of \(itemShape.map(String.init).joined(separator: "x")) numbers, \(classNames.count) classes"
                + (isScaled ? ", scaled" : "")
        }
        return "\(name): \(count) images \(height)x\(width)x\(channels), \(classNames.count) classes"
            + (isScaled ? ", read as float32 (byte 0 as \(lookup[0]), 255 as \(lookup[255]))" : "")
    }
}

// MARK: Selections

extension DatasetSplit {
    /// Images `indices` (in that order) copied into buffers of their own, with their labels,
    /// scale and class names: a boolean selection such as `data.train[labels == 3]`. Indices
    /// must be in 0..<count.
    public func selecting(_ indices: [Int]) -> DatasetSplit {
        let images = SharedBuffer<UInt8>(count: holdsBytes ? indices.count * imageSize : 0)
        let values = valueBuffer.map { _ in SharedBuffer<Float>(count: indices.count * imageSize) }
        let labels = SharedBuffer<Int32>(count: indices.count)
        for (row, index) in indices.enumerated() {
            precondition(index >= 0 && index < count, "index \(index) of \(count) images")
            if let values, let source = valueBuffer {
                (values.pointer + row * imageSize).initialize(from: source.pointer + (start + index) * imageSize, count: imageSize)
            } else {
                (images.pointer + row * imageSize).initialize(from: imageBuffer.pointer + (start + index) * imageSize,
                                                              count: imageSize)
            }
            labels.pointer[row] = labelBuffer.pointer[start + index]
        }
        return rebuilt(images: images, values: values, labels: labels, count: indices.count, classNames: classNames)
    }

    /// The images whose label is one of `classes`, labelled by their place in that list
    /// (`[3, 5]`: cats become 0, dogs 1) and named after those classes: a binary lesson cut
    /// from a ten-class dataset.
    public func relabelled(keeping classes: [Int]) -> DatasetSplit {
        let base = labelBuffer.pointer + start
        let indices = (0..<count).filter { classes.contains(Int(base[$0])) }
        let picked = selecting(indices)
        for row in 0..<picked.count {
            picked.labelBuffer.pointer[row] = Int32(classes.firstIndex(of: Int(picked.labelBuffer.pointer[row])) ?? 0)
        }
        let names = classes.map { $0 >= 0 && $0 < classNames.count ? classNames[$0] : String($0) }
        return picked.rebuilt(images: picked.imageBuffer, values: picked.valueBuffer, labels: picked.labelBuffer,
                              count: picked.count, classNames: names)
    }

    /// The same images with other integer labels (`labels % 2`), their classes named 0, 1, …
    /// up to the largest label. `labels` has one entry per image.
    public func withLabels(_ labels: [Int32]) -> DatasetSplit {
        precondition(labels.count == count, "one label per image")
        // The images keep their place in the shared buffer, so the labels sit at the same offset.
        let buffer = SharedBuffer<Int32>(count: start + count)
        buffer.pointer.initialize(repeating: 0, count: start)
        (buffer.pointer + start).initialize(from: labels, count: count)
        let classes = max(Int(labels.max() ?? -1) + 1, 0)
        // Pixels or numbers, shape and scale stay; the labels are class indices again.
        var copy = over(images: imageBuffer, values: valueBuffer, labels: buffer, start: start, count: count,
                        classNames: (0..<classes).map(String.init))
        copy.labelEncoding = .indices
        copy.oneHotWidth = 0
        return copy
    }

    /// This split's settings over other buffers.
    private func rebuilt(images: SharedBuffer<UInt8>, values: SharedBuffer<Float>?, labels: SharedBuffer<Int32>, count: Int,
                         classNames: [String]) -> DatasetSplit {
        var copy = over(images: images, values: values, labels: labels, start: 0, count: count, classNames: classNames)
        copy.oneHotWidth = labelEncoding == .oneHot && classNames.count != self.classNames.count
            ? max(classNames.count, 1) : oneHotWidth
        return copy
    }
}
