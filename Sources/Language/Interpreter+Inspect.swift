import Basics
import Engine
import Foundation
import Render

/// `summary`, `plot`, `layers`, `weights`, `filters`, `features` and `submodel`: looking inside
/// a model.
extension Interpreter {
    func summaryCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        outputs.append(summaryOutput(try model(command.arguments[0], outputs: &outputs)))
        return .none
    }

    /// `plot MODEL` draws the graph; `plot HISTORY [METRIC …]` the training curves.
    func plotCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let first = command.arguments[0]
        switch try require(first, outputs: &outputs) {
        case .model(let model):
            guard command.arguments.count == 1 else {
                throw Diagnostic.error("plot of a model takes nothing more", at: command.arguments[1].span)
            }
            return .figure(.modelGraph(try modelGraph(model), title: nil))
        case .history(let history):
            var names: [String] = []
            for argument in command.arguments.dropFirst() {
                guard case .name(let n) = argument.kind else {
                    throw Diagnostic.error("a metric is named by a word such as accuracy", at: argument.span)
                }
                guard history[n] != nil else {
                    var hint = "the history has " + history.keys.joined(separator: ", ")
                    if let near = nearestWord(to: n, among: history.keys) { hint = "did you mean '\(near)'? " + hint }
                    throw Diagnostic.error("the history has no '\(n)'", at: argument.span, hint: hint)
                }
                names.append(n)
            }
            if names.isEmpty { names = history.keys.filter { $0.hasSuffix("loss") } }
            guard history.epochs > 0 else {
                throw Diagnostic.error("the history is empty: no epoch finished", at: first.span, hint: "fit for at least one epoch")
            }
            let series = try names.map { name in
                try ChartSeries(name: name, y: history[name]!, x: (0..<history[name]!.count).map(Double.init))
            }
            let yLabel = names.allSatisfy { $0.hasSuffix("accuracy") } ? "accuracy" : names.allSatisfy { $0.hasSuffix("loss") } ? "loss" : "value"
            let chart = try LineChart(series: series, xLabel: "Epoch", yLabel: yLabel, legendCorner: .lowerRight)
            return .figure(.lineChart(chart, title: nil))
        case let other:
            throw Diagnostic.error("plot draws a model or a training history, got \(other.kindName)", at: first.span,
                                   hint: "plot cnn, or plot history accuracy val_accuracy")
        }
    }

    /// What `plot_model(show_shapes=True)` draws: a box per layer, arrows from inputs.
    func modelGraph(_ model: Model) throws -> ModelGraph {
        let nodes = model.nodes.map { node -> GraphNode in
            let parents = node.inputs.compactMap { p in model.nodes.firstIndex { $0 === p } }
            let shapes = node.inputs.map { kerasShapeText($0.shape) }
            let inputShape = shapes.isEmpty ? kerasShapeText(node.shape) : shapes.count == 1 ? shapes[0] : "[" + shapes.joined(separator: ", ") + "]"
            return GraphNode(name: node.layer.name, type: node.layer.typeName, inputShape: inputShape,
                             outputShape: kerasShapeText(node.shape), parents: parents)
        }
        return try ModelGraph(nodes: nodes)
    }

    func layersCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let model = try self.model(command.arguments[0], outputs: &outputs)
        return .layers(model, Array(model.layers.indices))
    }

    /// `weights LAYER_OR_MODEL`: each weight's name and shape (Keras's layouts).
    func weightsCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let argument = command.arguments[0]
        let (model, indices) = try chosenLayers(argument, outputs: &outputs)
        var lines: [String] = []
        for index in indices {
            let layer = model.layers[index]
            if layer.parameters.isEmpty {
                if indices.count == 1 { lines.append("\(layer.name) has no weights") }
                continue
            }
            for parameter in layer.parameters {
                lines.append("\(layer.name).\(parameter.name)  \(kerasTupleText(parameter.value.shape))")
            }
        }
        outputs.append(.text(lines.joined(separator: "\n")))
        return .none
    }

    /// A model (all its layers) or chosen layers of one.
    func chosenLayers(_ expr: Expr, outputs: inout [Output]) throws -> (Model, [Int]) {
        switch try require(expr, outputs: &outputs) {
        case .model(let m): return (m, Array(m.layers.indices))
        case .layers(let m, let indices): return (m, indices)
        case let other:
            throw Diagnostic.error("expected a model or its layers, got \(other.kindName)", at: expr.span,
                                   hint: "for example cnn.layers[1]")
        }
    }

    /// `filters LAYER [channel N] [grid RxC] [rgb]`: a convolution's kernels as pictures, one
    /// input channel of each filter (or the three channels as colour).
    func filtersCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let argument = command.arguments[0]
        let (model, indices) = try chosenLayers(argument, outputs: &outputs)
        // A 2D window whose first weight is a (kh, kw, in, out) kernel: a convolution of some kind.
        func kernel(of layer: any Layer) -> Tensor? {
            guard (layer as? WindowedLayer)?.rank == 2, let kernel = layer.parameters.first?.value, kernel.rank == 4 else { return nil }
            return kernel
        }
        guard indices.count == 1, let kernel = kernel(of: model.layers[indices[0]]) else {
            let names = model.nodes.enumerated().filter { kernel(of: $0.element.layer) != nil }.map { "\(model.name).layers[\($0.offset)]" }
            throw Diagnostic.error("filters draws the kernels of one 2D convolution layer", at: argument.span,
                                   hint: names.isEmpty ? "this model has no Conv2D layer" : "its Conv2D layers are " + names.joined(separator: ", "))
        }
        let conv = model.layers[indices[0]]
        let (kh, kw, channels, count) = (kernel.shape[0], kernel.shape[1], kernel.shape[2], kernel.shape[3])
        let rgb = command.option("rgb") != nil
        if rgb && channels != 3 {
            throw Diagnostic.error("rgb needs filters over 3 input channels; \(conv.name) has \(channels)",
                                   at: command.option("rgb")!.span, hint: "use channel N to see one channel")
        }
        var channel = 0
        if let (value, expr) = try option(command, "channel", outputs: &outputs) {
            channel = try integer(value, at: expr.span, what: "the channel", minimum: 0)
            guard channel < channels else {
                throw Diagnostic.error("\(conv.name) has \(channels) input channels; channel \(channel) does not exist", at: expr.span,
                                       hint: "use 0 to \(channels - 1)")
            }
        }
        let values = kernel.scalars
        var tiles: [GridImage] = []
        for f in 0..<count {
            var pixels: [Float] = []
            for y in 0..<kh {
                for x in 0..<kw {
                    let base = ((y * kw + x) * channels) * count + f
                    if rgb {
                        for c in 0..<3 { pixels.append(values[base + c * count]) }
                    } else {
                        pixels.append(values[base + channel * count])
                    }
                }
            }
            tiles.append(try GridImage(width: kw, height: kh, channels: rgb ? 3 : 1, pixels: pixels))
        }
        let grid = try gridLayout(command, count: count, defaultColumns: count <= 32 ? 4 : 8, outputs: &outputs)
        let (colourMap, colourBar) = try colouring(command, outputs: &outputs)
        let image = try ImageGrid(images: Array(tiles.prefix(grid.rows * grid.columns)), rows: grid.rows, columns: grid.columns,
                                  colourMap: rgb ? .gray : colourMap, normalisation: .perTile, colourBar: colourBar && !rgb, scale: 12)
        let what = rgb ? "RGB" : "channel \(channel)"
        return .figure(.imageGrid(image, title: "\(conv.name): \(count) filters \(kh)x\(kw), \(what)"))
    }

    /// The `colormap NAME` and `colorbar` options: grey without a bar unless asked.
    func colouring(_ command: Command, outputs: inout [Output]) throws -> (ColourMap, Bool) {
        var map = ColourMap.gray
        if let (value, expr) = try option(command, "colormap", outputs: &outputs) {
            let name = try word(value, at: expr.span, what: "the colour map")
            guard let named = ColourMap(rawValue: name) else {
                throw Diagnostic.error("unknown colour map '\(name)'", at: expr.span,
                                       hint: "use " + ColourMap.allCases.map(\.rawValue).joined(separator: " or "))
            }
            map = named
        }
        return (map, command.option("colorbar") != nil)
    }

    /// `features LAYERS of IMAGE [grid RxC]`: the activations of chosen layers for one image,
    /// a grid of feature maps per layer.
    func featuresCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let argument = command.arguments[0]
        let value = try require(argument, outputs: &outputs)
        let probe: Model
        switch value {
        case .model(let m): probe = m
        case .layers(let m, let indices):
            probe = try Model(inputs: m.input, outputs: indices.map { m.node(ofLayer: $0) }, name: m.name + "_features")
        default:
            throw Diagnostic.error("features needs a model or layers of one, got \(value.kindName)", at: argument.span,
                                   hint: "for example features cnn.layers[1, 3, 5] of data.train[7]")
        }
        guard let of = command.option("of"), let imageExpr = of.value else {
            throw Diagnostic.error("features needs the image to look at", at: command.span, hint: "add of data.train[7]")
        }
        let image = try require(imageExpr, outputs: &outputs)
        if case .images(let split) = image, split.count != 1 {
            throw Diagnostic.error("features looks at one image, got \(split.count)", at: imageExpr.span,
                                   hint: "pick one with an index: data.train[7]")
        }
        let results = try predictions(probe, imageExpr, outputs: &outputs)
        var figures: [Figure] = []
        for (node, result) in zip(probe.outputs, results) {
            let shape = node.shape
            guard shape.count == 3 else {
                outputs.append(.text("\(node.layer.name) gives \(kerasShapeText(shape)), not feature maps; skipped"))
                continue
            }
            let (h, w, c) = (shape[0], shape[1], shape[2])
            let values = result.scalars
            let tiles = try (0..<c).map { channel in
                try GridImage(width: w, height: h, channels: 1,
                              pixels: (0..<(h * w)).map { values[$0 * c + channel] })
            }
            let grid = try gridLayout(command, count: c, defaultColumns: c <= 32 ? 4 : 8, outputs: &outputs)
            let (colourMap, colourBar) = try colouring(command, outputs: &outputs)
            let image = try ImageGrid(images: Array(tiles.prefix(grid.rows * grid.columns)), rows: grid.rows, columns: grid.columns,
                                      colourMap: colourMap, normalisation: .perTile, colourBar: colourBar)
            figures.append(.imageGrid(image, title: "\(node.layer.name): \(c) feature maps \(h)x\(w)"))
        }
        guard !figures.isEmpty else {
            throw Diagnostic.error("none of these layers gives feature maps", at: argument.span, hint: "choose convolution or pooling layers")
        }
        return figures.count == 1 ? .figure(figures[0]) : .list(figures.map { .figure($0) })
    }

    /// `submodel MODEL outputs LAYERS`: a model sharing MODEL's layers whose outputs are the
    /// chosen layers' activations (Keras's `Model(inputs=model.inputs, outputs=[…])`).
    func submodelCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let model = try self.model(command.arguments[0], outputs: &outputs)
        guard let option = command.option("outputs"), let expr = option.value else {
            throw Diagnostic.error("submodel needs the layers to output", at: command.span,
                                   hint: "add outputs \(model.name).layers[1, 3, 5]")
        }
        let (owner, indices) = try chosenLayers(expr, outputs: &outputs)
        guard owner === model else {
            throw Diagnostic.error("these layers belong to \(owner.name), not \(model.name)", at: expr.span)
        }
        let sub = try Model(inputs: model.input, outputs: indices.map { model.node(ofLayer: $0) })
        // A `model NAME { }` block is Keras's Sequential, which builds a Functional of its own
        // and so takes `functional` first: Keras calls the first sub-model `functional_1`.
        let number = sub.name == "functional" ? 0 : Int(sub.name.dropFirst("functional_".count)) ?? 0
        sub.name = "functional_\(number + 1)"
        return .model(sub)
    }
}
