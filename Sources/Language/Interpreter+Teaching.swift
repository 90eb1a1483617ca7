import Basics
import Datasets
import Engine
import Foundation
import Render

/// `apply`: a hand-written kernel or a pooling layer run over a written matrix or an image,
/// with the numbers shown when they are few enough to read and the pictures side by side.
extension Interpreter {
    func applyCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let what = command.arguments[0]
        guard let to = command.option("to"), let targetExpr = to.value else {
            throw Diagnostic.error("apply needs something to apply it to", at: command.span, hint: "add to data.train[7] or to [[1, 2], [3, 4]]")
        }
        let target = try require(targetExpr, outputs: &outputs)
        // The input as a batch of one: [1, H, W, C].
        var input: Tensor
        var inputIsImage = false
        switch target {
        case .list(let items):
            let (rows, columns, values) = try matrix(target, at: targetExpr.span)
            if case .layer(let spec) = what.kind, spec.syntax?.rank == 1 {
                // A 1D layer reads a list as a signal: [1, 2, 3] is 3 steps of 1 channel, and
                // [[1, 2], [3, 4], [5, 6]] 3 steps of 2 channels, as NumPy's (steps, channels).
                let isNested = items.contains { if case .list = $0 { true } else { false } }
                input = Tensor(shape: isNested ? [1, rows, columns] : [1, columns, 1], values: values)
            } else {
                input = Tensor(shape: [1, rows, columns, 1], values: values)
            }
        case .image(let split):
            input = split.image(at: 0).reshaped([1] + split.imageShape)
            inputIsImage = split.holdsBytes
        case .images(let split) where split.count == 1:
            input = split.image(at: 0).reshaped([1] + split.imageShape)
            inputIsImage = split.holdsBytes
        case .tensor(let t) where t.rank == 2:
            input = t.copy().reshaped([1, t.shape[0], t.shape[1], 1])
        case .tensor(let t) where t.rank == 3:
            input = t.copy().reshaped([1] + t.shape)
        default:
            throw Diagnostic.error("apply works on one image or a written matrix, got \(target.kindName)", at: targetExpr.span,
                                   hint: "for example to data.train[7], or to [[1, 2, 3], [4, 5, 6], [7, 8, 9]]")
        }
        let layer: any Layer
        var description: String
        var kernelText: String?
        switch what.kind {
        case .layer(let spec):
            if command.option("stride") != nil || command.option("padding") != nil {
                throw Diagnostic.error("give stride and padding inside the layer", at: (command.option("stride") ?? command.option("padding"))!.span,
                                       hint: "write apply maxpool 2 stride 2 padding same to …")
            }
            layer = try makeLayer(spec)
            description = layerSignature(layer)
        default:
            let kernelValue = try require(what, outputs: &outputs)
            let (kh, kw, weights) = try matrix(kernelValue, at: what.span)
            // A kernel on a colour image sees the grey image (the mean of the channels), so the
            // picture shows what the kernel finds, not how the channels mix.
            if input.shape[3] > 1 { input = grey(input) }
            var strides = [1, 1]
            if let (value, expr) = try option(command, "stride", outputs: &outputs) {
                switch value {
                case .number: let s = try integer(value, at: expr.span, what: "the stride"); strides = [s, s]
                case .size(let s) where s.count == 2 && s.allSatisfy({ $0 >= 1 }): strides = s
                default: throw Diagnostic.error("the stride is a number or RxC", at: expr.span, hint: "stride 2")
                }
            }
            var padding = Padding.valid
            if let (value, expr) = try option(command, "padding", outputs: &outputs) {
                guard let p = Padding(rawValue: try word(value, at: expr.span, what: "the padding")) else {
                    throw Diagnostic.error("padding must be valid or same", at: expr.span)
                }
                padding = p
            }
            let conv = try Convolution(rank: 2, filters: 1, kernelSize: [kh, kw], strides: strides, padding: padding,
                                       activation: .linear, useBias: false)
            var generator = SeededGenerator(seed: 0)
            try conv.build(inputShape: Array(input.shape.dropFirst()), generator: &generator)
            conv.parameters[0].value.assign(Tensor(shape: [kh, kw, 1, 1], values: weights))
            layer = conv
            description = "kernel \(kh)x\(kw), stride \(strides.map(String.init).joined(separator: "x")), padding \(padding.rawValue)"
            kernelText = try NumpyFormat.repr(weights, shape: [kh, kw], dtype: nil)
        }
        let itemShape = Array(input.shape.dropFirst())
        let outShape = try checkedOutputShape(layer, itemShape, at: what.span)
        if layer.parameters.isEmpty {
            var generator = SeededGenerator(seed: 0)
            try layer.build(inputShape: itemShape, generator: &generator)
        }
        // Augmentation does nothing outside training; apply shows what it does in training.
        let output = layer.forward(input, training: layer is TrainingOnlyLayer).copy()
        let outputValues = output.scalars
        if input.count <= 400 && !inputIsImage {
            var lines = [description]
            lines.append("input \(itemShape.map(String.init).joined(separator: "x")):")
            lines.append(try NumpyFormat.repr(input.scalars, shape: channelsLast(itemShape), dtype: nil))
            if let kernelText { lines += ["kernel:", kernelText] }
            // A layer's own weights (drawn as Keras draws them) explain its output; axes of
            // one are left out, as NumPy's squeeze does.
            for parameter in layer.parameters where kernelText == nil && parameter.value.count <= 64 {
                let shape = parameter.value.shape.filter { $0 != 1 }
                lines.append("\(parameter.name) \(kerasTupleText(parameter.value.shape)):")
                lines.append(try NumpyFormat.repr(parameter.value.scalars, shape: shape.isEmpty ? [1] : shape, dtype: nil))
            }
            lines.append("output \(outShape.map(String.init).joined(separator: "x")):")
            lines.append(try NumpyFormat.repr(outputValues, shape: channelsLast(outShape), dtype: nil))
            outputs.append(.text(lines.joined(separator: "\n")))
            return .none
        }
        guard outShape.count == 3 else {
            outputs.append(.text("\(description)\noutput: " + (try NumpyFormat.repr(outputValues, shape: outShape, dtype: nil))))
            return .none
        }
        outputs.append(.text("\(description): \(kerasShapeText(itemShape)) → \(kerasShapeText(outShape))"))
        let inputTile = try GridImage(width: itemShape[1], height: itemShape[0], channels: itemShape[2], pixels: input.scalars,
                                      caption: "input \(itemShape.map(String.init).joined(separator: "x"))")
        var outputTiles: [GridImage] = []
        for c in 0..<min(outShape[2], 3) where outShape[2] != 3 || c == 0 {
            let channels = outShape[2] == 3 ? 3 : 1
            let count = outShape[0] * outShape[1]
            let pixels = channels == 3 ? outputValues : (0..<count).map { outputValues[$0 * outShape[2] + c] }
            outputTiles.append(try GridImage(width: outShape[1], height: outShape[0], channels: channels, pixels: pixels,
                                             caption: "output \(outShape.map(String.init).joined(separator: "x"))"))
        }
        let scale = max(1, 160 / max(itemShape[0], itemShape[1]))
        let left = try ImageGrid(images: [inputTile], rows: 1, columns: 1, normalisation: .perTile, scale: scale)
        let right = try ImageGrid(images: outputTiles, rows: 1, columns: outputTiles.count, normalisation: .perTile, scale: scale)
        return .figure(try .panels([.imageGrid(left), .imageGrid(right)], title: description))
    }

    /// `[1, 2]` or `[[1, 2], [3, 4]]` as rows, columns and row-major values.
    func matrix(_ value: Value, at span: SourceSpan) throws -> (Int, Int, [Float]) {
        guard case .list(let rows) = value, !rows.isEmpty else {
            throw Diagnostic.error("expected a matrix written [[1, 0], [0, 1]], got \(value.kindName)", at: span)
        }
        var values: [Float] = []
        var width: Int?
        for row in rows {
            let items: [Value]
            if case .list(let r) = row { items = r } else { items = [row] }
            if let width, width != items.count {
                throw Diagnostic.error("the rows of a matrix must have the same length (\(width) and \(items.count))", at: span)
            }
            width = items.count
            for item in items {
                guard case .number(let x) = item else {
                    throw Diagnostic.error("a matrix holds numbers, got \(item.kindName)", at: span)
                }
                values.append(Float(x))
            }
        }
        let isColumn = rows.allSatisfy { if case .list = $0 { return false } else { return true } }
        return isColumn ? (1, values.count, values) : (rows.count, width ?? 0, values)
    }

    /// One channel is shown as a plain matrix.
    private func channelsLast(_ shape: [Int]) -> [Int] { shape.count > 1 && shape.last == 1 ? Array(shape.dropLast()) : shape }

    /// The mean over channels of a [1, H, W, C] batch.
    private func grey(_ input: Tensor) -> Tensor {
        let (h, w, c) = (input.shape[1], input.shape[2], input.shape[3])
        let values = input.scalars
        let mean = (0..<(h * w)).map { p in (0..<c).reduce(Float(0)) { $0 + values[p * c + $1] } / Float(c) }
        return Tensor(shape: [1, h, w, 1], values: mean)
    }
}
