import Engine
import Foundation
import Render

/// Layer specs made into engine layers, models built from them, and `layer` / `explain`.
extension Interpreter {
    /// The engine layer a spec describes (not yet part of a model). `input` has no layer.
    func makeLayer(_ spec: LayerSpec) throws -> any Layer {
        guard let kind = spec.layerKind else {
            throw Diagnostic.error("unknown layer '\(spec.kind.name)'", at: spec.kind.span)
        }
        var outputs: [Output] = []
        var arguments = spec.arguments
        // A bare activation name may stand anywhere among the positionals: `conv 32 3x3 relu`.
        var activation: Activation = .linear
        var activationSpan: SourceSpan?
        if let i = arguments.firstIndex(where: { if case .name(let n) = $0.kind { return Vocabulary.activations.contains(n) } else { return false } }),
           case .name(let n) = arguments[i].kind {
            activation = try activationNamed(n, at: arguments[i].span)
            activationSpan = arguments[i].span
            arguments.remove(at: i)
        }
        if let option = spec.option("activation"), let value = option.value {
            if activationSpan != nil {
                throw Diagnostic.error("the activation is given twice", at: option.span, hint: "keep one of them")
            }
            activation = try activationNamed(try word(try evaluate(value, outputs: &outputs), at: value.span, what: "an activation"), at: value.span)
        }
        if let option = spec.option("dilation") {
            throw Diagnostic.error("dilated convolutions are not supported", at: option.span, hint: "remove 'dilation'")
        }
        func number(_ index: Int, what: String) throws -> Int {
            try integer(try evaluate(arguments[index], outputs: &outputs), at: arguments[index].span, what: what)
        }
        func sizes(_ expr: Expr, rank: Int, what: String) throws -> [Int] {
            switch try evaluate(expr, outputs: &outputs) {
            case .number(let x) where x.rounded() == x && x >= 1 && x < 1e9: return [Int](repeating: Int(x), count: rank)
            case .size(let s) where s.count == rank && s.allSatisfy({ $0 >= 1 && $0 < 1_000_000_000 }): return s
            case .size(let s) where s.count == rank:
                let bound = s.contains { $0 < 1 } ? "at least 1" : "under a billion"
                throw Diagnostic.error("\(what) must be \(bound) on every axis, got \(s.map(String.init).joined(separator: "x"))",
                                       at: expr.span)
            case .size(let s):
                throw Diagnostic.error("\(what) \(s.map(String.init).joined(separator: "x")) has \(s.count) axes; this layer has \(rank)",
                                       at: expr.span, hint: "write \(Array(repeating: "3", count: rank).joined(separator: "x")) or one number for every axis")
            case let other:
                throw Diagnostic.error("\(what) must be a size like 3x3, got \(other.brief)", at: expr.span)
            }
        }
        func windowOptions(rank: Int) throws -> (strides: [Int]?, padding: Padding) {
            var strides: [Int]?
            if let option = spec.option("stride"), let value = option.value {
                strides = try sizes(value, rank: rank, what: "the stride")
            }
            var padding = Padding.valid
            if let option = spec.option("padding"), let value = option.value {
                let w = try word(try evaluate(value, outputs: &outputs), at: value.span, what: "the padding")
                guard let p = Padding(rawValue: w) else {
                    throw Diagnostic.error("padding must be valid or same, got '\(w)'", at: value.span)
                }
                padding = p
            }
            return (strides, padding)
        }
        func noActivation() throws {
            if let activationSpan {
                throw Diagnostic.error("\(spec.kind.name) takes no activation", at: activationSpan,
                                       hint: "add an activation layer after it: activation relu")
            }
        }
        do {
            switch kind {
            case .input:
                throw Diagnostic.error("input starts a model and is not a layer on its own", at: spec.span,
                                       hint: "write it first inside model NAME { input 32x32x3; … }")
            case .conv(let rank):
                guard arguments.count == 2 else {
                    throw Diagnostic.error("\(spec.kind.name) needs a number of filters and a kernel size", at: spec.span,
                                           hint: "write \(spec.kind.name) 32 \(Array(repeating: "3", count: rank).joined(separator: "x"))")
                }
                let filters = try number(0, what: "the number of filters")
                let kernel = try sizes(arguments[1], rank: rank, what: "the kernel size")
                let (strides, padding) = try windowOptions(rank: rank)
                return try Convolution(rank: rank, filters: filters, kernelSize: kernel, strides: strides ?? [1],
                                       padding: padding, activation: activation)
            case .maxPool(let rank), .avgPool(let rank):
                try noActivation()
                let size = try arguments.first.map { try sizes($0, rank: rank, what: "the pool size") } ?? [2]
                let (strides, padding) = try windowOptions(rank: rank)
                let poolKind: PoolingKind = { if case .maxPool = kind { return .max } else { return .average } }()
                return try Pooling(kind: poolKind, rank: rank, poolSize: size, strides: strides, padding: padding)
            case .globalAvgPool(let rank):
                try noActivation()
                return try GlobalPooling(kind: .average, rank: rank)
            case .globalMaxPool(let rank):
                try noActivation()
                return try GlobalPooling(kind: .max, rank: rank)
            case .dense:
                guard arguments.count == 1 else {
                    throw Diagnostic.error("dense needs a number of units", at: spec.span, hint: "write dense 64 relu")
                }
                return try Dense(units: try number(0, what: "the number of units"), activation: activation)
            case .flatten:
                try noActivation()
                return Flatten()
            case .dropout:
                try noActivation()
                guard arguments.count == 1, case .number(let rate) = try evaluate(arguments[0], outputs: &outputs) else {
                    throw Diagnostic.error("dropout needs a rate between 0 and 1", at: spec.span, hint: "write dropout 0.5")
                }
                return try Dropout(rate: Float(rate), seed: nextSeed())
            case .activation:
                if activationSpan == nil && spec.option("activation") == nil {
                    throw Diagnostic.error("activation needs a name", at: spec.span,
                                           hint: "write activation relu (or sigmoid, tanh, softmax, linear)")
                }
                return ActivationLayer(activation)
            }
        } catch let error as ConfigurationError {
            throw Diagnostic.error(error.message, at: spec.span, hint: error.hint)
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

    func buildModel(name: Identifier, items: [Expr]) throws -> Model {
        var outputs: [Output] = []
        guard let first = items.first, case .layer(let inputSpec) = first.kind, inputSpec.layerKind == .input else {
            throw Diagnostic.error("a model starts with its input", at: items.first?.span ?? name.span,
                                   hint: "begin with input 32x32x3")
        }
        guard inputSpec.arguments.count == 1 else {
            throw Diagnostic.error("input needs a shape", at: inputSpec.span, hint: "write input 32x32x3")
        }
        let shape = try inputShape(inputSpec.arguments[0], outputs: &outputs)
        let input = Node.input(shape: shape, seed: nextSeed())
        var node = input
        var weights = 0.0
        for item in items.dropFirst() {
            let layer: any Layer
            switch item.kind {
            case .layer(let spec):
                if spec.layerKind == .input {
                    throw Diagnostic.error("a model has one input, at its start", at: spec.span, hint: "remove this input line")
                }
                layer = try makeLayer(spec)
            case .name(let n):
                guard case .layerSpec(let spec) = session[n] ?? .word(n) else {
                    if session[n] == nil { throw unknownName(n, at: item.span) }
                    throw Diagnostic.error("'\(n)' is \(session[n]!.kindName), not a layer", at: item.span)
                }
                layer = try makeLayer(spec)
            default:
                throw Diagnostic.error("a model block holds layers, one per line or separated by ;", at: item.span)
            }
            weights += try checkWeightCount(layer, node.shape, at: item.span)
            try checkModelMemory(weights: weights, model: name.name, at: item.span)
            do {
                node = try layer(node)
            } catch {
                throw Diagnostic.error("\(layer.typeName) cannot follow an output of shape \(node.shapeDescription): \(error.message)",
                                       at: item.span, hint: error.hint)
            }
        }
        do {
            return try Model(inputs: input, outputs: [node], name: name.name)
        } catch {
            throw Diagnostic.error(error.message, at: name.span, hint: error.hint)
        }
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
            lines.append("parameters:    \(Render.ModelSummary.grouped(layer.parameterCount))")
            lines.append("multiply-adds: \(Render.ModelSummary.grouped(layer.multiplyAdds(for: shape)))")
        }
        return .string(lines.joined(separator: "\n"))
    }

    func checkedOutputShape(_ layer: any Layer, _ shape: [Int], at span: SourceSpan) throws -> [Int] {
        do { return try layer.outputShape(for: shape) } catch {
            throw Diagnostic.error("\(layer.typeName) cannot take an input of shape \(kerasShapeText(shape)): \(error.message)",
                                   at: span, hint: error.hint)
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
    /// count (0 for layers without large weights).
    @discardableResult
    func checkWeightCount(_ layer: any Layer, _ inputShape: [Int], at span: SourceSpan) throws -> Double {
        let channels = Double(inputShape.last ?? 1)
        let count: Double
        if let dense = layer as? Dense {
            count = channels * Double(dense.units)
        } else if let conv = layer as? Convolution {
            count = conv.kernelSize.reduce(channels) { $0 * Double($1) } * Double(conv.filters)
        } else {
            return 0
        }
        guard count <= Double(Interpreter.weightLimit) else {
            throw Diagnostic.error("\(layer.typeName) on \(kerasShapeText(inputShape)) would hold \(countText(count)) weights; "
                                   + "cnnb allows \(Render.ModelSummary.grouped(Interpreter.weightLimit)) per layer",
                                   at: span, hint: "use fewer units or filters, or shrink the input first (pooling, strides)")
        }
        return count
    }

    /// `Conv2D(filters=64, kernel_size=(3, 3), strides=(3, 3), padding='same', …)`.
    func layerSignature(_ layer: any Layer) -> String {
        let arguments = layer.configuration.map { "\($0.key)=\($0.value)" }
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
        return .string(Explanation(layer: layer, inputShape: shape, outputShape: out).text)
    }
}
