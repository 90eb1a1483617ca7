import Basics
import Engine
import Foundation
import Render

/// Layer specs made into engine layers, models built from them, and `layer` / `explain`.
extension Interpreter {
    /// The engine layer a spec describes (not yet part of a model), built by its registry
    /// entry. `input` has no layer.
    func makeLayer(_ spec: LayerSpec) throws -> any Layer {
        guard let syntax = spec.syntax else {
            throw Diagnostic.error("unknown layer '\(spec.kind.name)'", at: spec.kind.span)
        }
        let definition = syntax.definition
        var outputs: [Output] = []
        var positionals = spec.arguments
        // A bare activation name may stand anywhere among the positionals: `conv 32 3x3 relu`.
        var activation: Activation = .linear
        var activationSpan: SourceSpan?
        if definition.activation != .none,
           let i = positionals.firstIndex(where: { if case .name(let n) = $0.kind { return Vocabulary.activations.contains(n) } else { return false } }),
           case .name(let n) = positionals[i].kind {
            activation = try activationNamed(n, at: positionals[i].span)
            activationSpan = positionals[i].span
            positionals.remove(at: i)
        }
        if let option = spec.option("activation"), let value = option.value {
            if activationSpan != nil {
                throw Diagnostic.error("the activation is given twice", at: option.span, hint: "keep one of them")
            }
            activation = try activationNamed(try word(try evaluate(value, outputs: &outputs), at: value.span, what: "an activation"), at: value.span)
            activationSpan = value.span
        }
        if definition.activation == .required && activationSpan == nil {
            throw Diagnostic.error("\(syntax.word) needs an activation name", at: spec.span,
                                   hint: "write \(syntax.word) relu (or sigmoid, tanh, softmax, linear)")
        }
        let required = definition.arguments.filter { !$0.optional }
        if positionals.count < required.count {
            let missing = required.dropFirst(positionals.count).map(\.name)
            throw Diagnostic.error("\(syntax.word) is missing its \(missing.joined(separator: " and ")) argument\(missing.count == 1 ? "" : "s")",
                                   at: spec.span, hint: "usage: \(syntax.usage)")
        }
        var name: String?
        if let option = spec.option("name"), let value = option.value {
            let given = try word(try evaluate(value, outputs: &outputs), at: value.span, what: "a layer name")
            guard !given.isEmpty, !given.contains("/") else {
                throw Diagnostic.error("a layer name must be non-empty and hold no '/'", at: value.span,
                                       hint: "Keras joins layer and weight names with '/': write name \"conv_a\"")
            }
            name = given
        }
        let arguments = LayerArguments(spec: spec, syntax: syntax, positionals: positionals, activation: activation,
                                       interpreter: self)
        do {
            let layer = try definition.build(arguments)
            if let name { layer.name = name }
            return layer
        } catch let error as ConfigurationError {
            throw Diagnostic.error(error.message, at: spec.span, hint: error.hint)
        }
    }

    /// A layer's size argument: `3x3` with one side per spatial axis, or one number for every axis.
    func layerSizes(_ value: Value, at span: SourceSpan, rank: Int, what: String) throws -> [Int] {
        switch value {
        case .number(let x) where x.rounded() == x && x >= 1 && x < 1e9: return [Int](repeating: Int(x), count: rank)
        case .size(let s) where s.count == rank && s.allSatisfy({ $0 >= 1 && $0 < 1_000_000_000 }): return s
        case .size(let s) where s.count == rank:
            let bound = s.contains { $0 < 1 } ? "at least 1" : "under a billion"
            throw Diagnostic.error("\(what) must be \(bound) on every axis, got \(s.map(String.init).joined(separator: "x"))", at: span)
        case .size(let s):
            throw Diagnostic.error("\(what) \(s.map(String.init).joined(separator: "x")) has \(s.count) axes; this layer has \(rank)",
                                   at: span, hint: "write \(Array(repeating: "3", count: rank).joined(separator: "x")) or one number for every axis")
        case let other:
            throw Diagnostic.error("\(what) must be a size like 3x3, got \(other.brief)", at: span)
        }
    }

    func activationNamed(_ name: String, at span: SourceSpan) throws -> Activation {
        guard let activation = Activation(kerasName: name) else {
            throw Diagnostic.error("the activation '\(name)' is not supported", at: span,
                                   hint: "use one of " + Activation.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return activation
    }

    func nextSeed() -> UInt64 {
        defer { session.seed &+= 1 }
        return session.seed
    }

    /// The shape after `input` or `on`: `32x32x3`, or one number for a flat input.
    func inputShape(_ expr: Expr, outputs: inout [Output]) throws -> [Int] {
        switch try evaluate(expr, outputs: &outputs) {
        case .size(let s) where s.allSatisfy({ $0 > 0 }):
            // Beyond this, shape and multiply-add arithmetic would overflow before any memory ran out.
            let values = s.reduce(1.0) { $0 * Double($1) }
            guard values <= Double(Interpreter.inputLimit) else {
                throw Diagnostic.error("an input of \(s.map(String.init).joined(separator: "x")) holds \(countText(values)) values; "
                                       + "cnnb takes at most \(Render.ModelSummary.grouped(Interpreter.inputLimit)) per image",
                                       at: expr.span, hint: "give a smaller input shape")
            }
            return s
        case .number(let x) where x.rounded() == x && x >= 1 && x < 1e9: return [Int(x)]
        case .images(let split), .image(let split): return split.imageShape
        case let other:
            throw Diagnostic.error("expected an input shape like 32x32x3, got \(other.brief)", at: expr.span)
        }
    }

    // MARK: - Models

    /// A model block as a graph: each line applies its layer to the previous line's output,
    /// or to the outputs `from` names; `NAME =` names a line's output; the block's output is
    /// its last line, or those `outputs` lists. A line whose output nothing reads is left out
    /// of the model with a warning.
    func buildModel(name: Identifier, items: [BlockItem], warnings: inout [Diagnostic]) throws -> Model {
        var outputs: [Output] = []
        guard let first = items.first, let firstValue = first.value, case .layer(let inputSpec) = firstValue.kind,
              inputSpec.syntax?.definition.isInput == true else {
            throw Diagnostic.error("a model starts with its input", at: items.first?.span ?? name.span,
                                   hint: "begin with input 32x32x3")
        }
        guard inputSpec.arguments.count == 1 else {
            throw Diagnostic.error("input needs a shape", at: inputSpec.span, hint: "write input 32x32x3")
        }
        if let from = first.inputs.first {
            throw Diagnostic.error("the input reads nothing", at: from.span, hint: "remove 'from' from the input line")
        }
        let shape = try inputShape(inputSpec.arguments[0], outputs: &outputs)
        let input = Node.input(shape: shape, seed: nextSeed())
        var named: [String: Node] = [:]
        var lines: [(node: Node, item: BlockItem)] = []
        var read: Set<ObjectIdentifier> = []
        if let n = first.name { named[n.name] = input }
        // A layer held in a variable and used on several lines is one layer: its weights are shared.
        var heldLayers: [String: any Layer] = [:]
        var blockOutputs: [Node]?
        var node = input
        func lookup(_ id: Identifier) throws -> Node {
            guard let found = named[id.name] else {
                let later = items.contains { $0.name?.name == id.name }
                throw Diagnostic.error(later ? "'\(id.name)' is named on a later line; a layer reads outputs named above it"
                                             : "no output named '\(id.name)' in model \(name.name)",
                                       at: id.span,
                                       hint: later ? "a model is a graph without cycles: move the line that names \(id.name) above this one"
                                                   : "name an output with NAME = LAYER, then read it with from NAME"
                                                     + (nearestWord(to: id.name, among: Array(named.keys)).map { "; did you mean '\($0)'?" } ?? ""))
            }
            read.insert(ObjectIdentifier(found))
            return found
        }
        var weights = 0.0
        for item in items.dropFirst() {
            guard let value = item.value else {
                guard blockOutputs == nil else {
                    throw Diagnostic.error("model \(name.name) has a second outputs line", at: item.span, hint: "list every output on one line")
                }
                blockOutputs = try item.outputs.map(lookup)
                continue
            }
            if blockOutputs != nil {
                throw Diagnostic.error("outputs ends the block", at: item.span, hint: "put the outputs line last")
            }
            let layer: any Layer
            switch value.kind {
            case .layer(let spec):
                if spec.syntax?.definition.isInput == true {
                    throw Diagnostic.error("a model has one input, at its start", at: spec.span, hint: "remove this input line")
                }
                if spec.syntax?.definition.isMerge == true && item.inputs.count < 2 {
                    throw Diagnostic.error("\(spec.kind.name) joins two or more outputs", at: item.span,
                                           hint: "name them: \(spec.kind.name) a, b")
                }
                layer = try makeLayer(spec)
            case .name(let n):
                if named[n] != nil {
                    throw Diagnostic.error("'\(n)' names an output of this block, not a layer", at: value.span,
                                           hint: "to read it, write from \(n) after a layer")
                }
                switch session[n] {
                case .layerSpec(let spec)?:
                    layer = try heldLayers[n] ?? makeLayer(spec)
                    heldLayers[n] = layer
                case .model(let m)?:
                    layer = m
                case nil:
                    throw unknownName(n, at: value.span)
                case let other?:
                    throw Diagnostic.error("'\(n)' is \(other.kindName), not a layer or a model", at: value.span)
                }
            default:
                throw Diagnostic.error("a model block holds layers, or names of layers and models defined earlier", at: value.span,
                                       hint: "a model's layer cannot be applied in another model: apply the whole model by its name, or a new layer")
            }
            let inputs = item.inputs.isEmpty ? [node] : try item.inputs.map(lookup)
            if item.inputs.isEmpty { read.insert(ObjectIdentifier(node)) }
            weights += try checkWeightCount(layer, inputs[0].shape, at: item.span)
            try checkModelMemory(weights: weights, model: name.name, at: item.span)
            let givenName = layer.name
            do {
                node = try layer(inputs)
            } catch {
                let what = inputs.count == 1 ? "follow an output of shape \(inputs[0].shapeDescription)"
                    : "join outputs of shapes " + inputs.map(\.shapeDescription).joined(separator: " and ")
                throw Diagnostic.error("\(layer.typeName) cannot \(what): \(error.message)", at: item.span, hint: error.hint)
            }
            if let n = item.name {
                if named[n.name] != nil {
                    throw Diagnostic.error("'\(n.name)' already names an output in model \(name.name)", at: n.span,
                                           hint: "give each output its own name")
                }
                named[n.name] = node
            }
            lines.append((node, item))
            // The graph renames a taken name; a name the user gave must stay as given, as Keras requires.
            if case .layer(let spec) = value.kind, let option = spec.option("name"), layer.name != givenName {
                throw Diagnostic.error("the layer name '\(givenName)' is already used in model \(name.name)", at: option.span,
                                       hint: "layer names in a model are unique; choose another name")
            }
        }
        let modelOutputs = blockOutputs ?? [node]
        let model: Model
        do {
            model = try Model(inputs: input, outputs: modelOutputs, name: name.name)
        } catch {
            throw Diagnostic.error(error.message, at: name.span, hint: error.hint)
        }
        let kept = Set(model.nodes.map(ObjectIdentifier.init))
        for line in lines where !kept.contains(ObjectIdentifier(line.node)) && !read.contains(ObjectIdentifier(line.node)) {
            warnings.append(Diagnostic(.warning, "the output of this line is never read, so it is left out of model \(name.name)",
                                       at: line.item.span,
                                       hint: "read it with from \(line.item.name?.name ?? "NAME"), or list it on the outputs line"))
        }
        return model
    }

    // MARK: - layer and explain

    private func layerOn(_ command: Command, outputs: inout [Output]) throws -> (LayerSpec, any Layer, [Int]?) {
        guard let argument = command.arguments.first, case .layer(let spec) = argument.kind else {
            throw Diagnostic.error("\(command.keyword.name) needs a layer", at: command.span, hint: "write \(command.keyword.name) conv 64 3x3 on 32x32x3")
        }
        let layer = try makeLayer(spec)
        var shape: [Int]?
        if let on = command.option("on"), let value = on.value { shape = try inputShape(value, outputs: &outputs) }
        return (spec, layer, shape)
    }

    /// `layer conv 64 3x3 stride 3 padding same [on 32x32x3]`: the configuration Keras would
    /// show, and on an input its output shape, parameters and multiply-adds.
    func layerCommand(_ command: Command) throws -> Value {
        var outputs: [Output] = []
        let (spec, layer, shape) = try layerOn(command, outputs: &outputs)
        var lines = [layerSignature(layer)]
        if let shape {
            let out = try checkedOutputShape(layer, shape, at: spec.span)
            try checkWeightCount(layer, shape, at: spec.span)
            var generator = SeededGenerator(seed: 0)
            try? layer.build(inputShape: shape, generator: &generator)
            lines.append("input shape:   \(kerasShapeText(shape))")
            lines.append("output shape:  \(kerasShapeText(out))")
            let nonTrainable = layer.parameterCount - layer.trainableParameterCount
            lines.append("parameters:    \(Render.ModelSummary.grouped(layer.parameterCount))"
                         + (nonTrainable > 0 ? " (\(Render.ModelSummary.grouped(nonTrainable)) non-trainable)" : ""))
            lines.append("multiply-adds: \(Render.ModelSummary.grouped(layer.multiplyAdds(for: shape)))")
        }
        return .string(lines.joined(separator: "\n"))
    }

    func checkedOutputShape(_ layer: any Layer, _ shape: [Int], at span: SourceSpan) throws -> [Int] {
        do { return try layer.outputShape(for: shape) } catch {
            var hint = error.hint
            // A row of numbers (`load csv`) is a signal once it has a channel axis.
            if shape.count == 1, let windowed = layer as? WindowedLayer, windowed.rank == 1 {
                hint = "a 1D layer reads steps x channels: reshape the rows first, as x.reshape \(shape[0])x1"
            }
            throw Diagnostic.error("\(layer.typeName) cannot take an input of shape \(kerasShapeText(shape)): \(error.message)",
                                   at: span, hint: hint)
        }
    }

    /// `9,989,800,200,999`, or `3e+18` where grouping digits would mean nothing.
    func countText(_ count: Double) -> String {
        count < 1e15 ? Render.ModelSummary.grouped(Int(count)) : formatNumber(count)
    }

    /// The most weights one layer may hold (1 GiB of Float32).
    static let weightLimit = 1 << 28
    /// The most values one input image may hold.
    static let inputLimit = 1 << 31

    /// Refuses a layer whose weights on `inputShape` would not fit, before they are allocated:
    /// a slip such as `dense 6400000` must be an error, not the end of the session. Returns the
    /// count (0 for layers that do not say).
    @discardableResult
    func checkWeightCount(_ layer: any Layer, _ inputShape: [Int], at span: SourceSpan) throws -> Double {
        guard let count = (layer as? WeightCountPredicting)?.weightCount(for: inputShape) else { return 0 }
        guard count <= Double(Interpreter.weightLimit) else {
            throw Diagnostic.error("\(layer.typeName) on \(kerasShapeText(inputShape)) would hold \(countText(count)) weights; "
                                   + "cnnb allows \(Render.ModelSummary.grouped(Interpreter.weightLimit)) per layer",
                                   at: span, hint: "use fewer units or filters, or shrink the input first (pooling, strides)")
        }
        return count
    }

    /// `Conv2D(filters=64, kernel_size=(3, 3), strides=(3, 3), padding='same', …)`.
    func layerSignature(_ layer: any Layer) -> String {
        let arguments = layer.configuration.map { "\($0.key)=\($0.value.literal)" }
        return "\(layer.typeName)(" + arguments.joined(separator: ", ") + ")"
    }

    /// `explain conv 64 3x3 stride 3 padding same on 32x32x3`: the shape arithmetic, one
    /// step at a time, with the numbers filled in.
    func explainCommand(_ command: Command) throws -> Value {
        var outputs: [Output] = []
        let (spec, layer, givenShape) = try layerOn(command, outputs: &outputs)
        guard let shape = givenShape else {
            throw Diagnostic.error("explain needs the input shape", at: command.span,
                                   hint: "add it: explain \(spec.kind.name) … on 32x32x3")
        }
        let out = try checkedOutputShape(layer, shape, at: spec.span)
        try checkWeightCount(layer, shape, at: spec.span)
        var generator = SeededGenerator(seed: 0)
        try? layer.build(inputShape: shape, generator: &generator)
        return .string(Explanation(layer: layer, definition: spec.syntax!.definition, inputShape: shape, outputShape: out).text)
    }
}
