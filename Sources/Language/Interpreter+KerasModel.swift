import Basics
import Engine
import Foundation
import Interop
import Render

/// `m = load model "m.keras"`: a model Keras (or `save`) wrote, rebuilt from cnnb's own layer
/// words. Each Keras layer is written out as the cnnb layer that makes it (`Conv2D` with
/// `filters=4, kernel_size=(3, 3), padding='same'` → `conv 4 3x3 padding same …`), built by
/// the layer registry, and applied to the outputs of the layers config.json says it reads, so
/// residual and branching models load as chains do.
extension Interpreter {
    /// Keras's constructor arguments that are cnnb's positional arguments, by the registry's
    /// argument names.
    static let kerasArgumentKeys = ["FILTERS": "filters", "KERNEL": "kernel_size", "UNITS": "units", "RATE": "rate",
                                    "POOL_SIZE": "pool_size"]
    /// Keras's arguments cnnb has options for.
    static let kerasOptionKeys = ["strides": "stride", "padding": "padding", "axis": "axis"]
    /// Settings cnnb's layers do not have, with the value each must hold to be read.
    static let kerasFixedSettings: [String: Any] = ["use_bias": true, "data_format": "channels_last", "groups": 1]

    func loadKerasModel(_ command: Command, outputs: inout [Output]) throws -> Value {
        guard command.arguments.count == 2, case .string(let written) = try evaluate(command.arguments[1], outputs: &outputs) else {
            throw Diagnostic.error("load model needs the .keras file", at: command.span, hint: "write m = load model \"m.keras\"")
        }
        let span = command.arguments[1].span
        var path = resolvedPath(written, inOutputFolder: false)
        // A file this run saved (`save m "m.keras"`) is in the output folder.
        let saved = resolvedPath(written)
        if !FileManager.default.fileExists(atPath: path), FileManager.default.fileExists(atPath: saved) { path = saved }
        let contents: KerasArchive.Contents
        do {
            contents = try KerasArchive.read(path)
        } catch {
            throw Diagnostic.error(error.message, at: span, hint: error.hint)
        }
        var lines: [String] = []
        for layer in contents.layers {
            lines.append(try cnnbLine(for: layer, in: written, at: span))
        }
        let name = contents.name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) && !contents.name.isEmpty
            && !(contents.name.first?.isNumber ?? true) ? contents.name : "loaded"
        let model = try buildKerasGraph(contents, lines: lines, name: name, file: written, at: span)
        // Layers that read several, and several outputs, are said as a block would say them.
        lines = zip(contents.layers, lines).map { layer, line in
            layer.inbounds.count > 1 ? line + " from " + layer.inbounds.joined(separator: ", ") : line
        }
        if contents.outputs.count > 1 { lines.append("outputs " + contents.outputs.joined(separator: ", ")) }
        do {
            try contents.loadWeights(into: model)
        } catch {
            throw Diagnostic.error(error.message, at: span, hint: error.hint)
        }
        outputs.append(.text("loaded model \(model.name) from \(written): \(contents.layers.count - 1) layers, "
                             + "\(Render.ModelSummary.grouped(model.parameterCount)) weights\n" + lines.joined(separator: "\n")))
        return .model(model)
    }

    /// The model of `contents`: each layer made by the registry from its cnnb line, applied to
    /// the outputs of the layers it reads, in config.json's order (each after what it reads).
    private func buildKerasGraph(_ contents: KerasArchive.Contents, lines: [String], name: String, file: String,
                                 at span: SourceSpan) throws -> Model {
        var nodes: [String: Node] = [:]
        var input: Node?
        var weights = 0.0
        var ignored: [Output] = []
        for (layer, line) in zip(contents.layers, lines) {
            let (statements, diagnostics) = Parser.parseStatements(line, file: file)
            guard diagnostics.allSatisfy({ $0.severity != .error }), statements.count == 1,
                  case .expression(let expr) = statements[0].kind, case .layer(let spec) = expr.kind else {
                let reason = diagnostics.first?.message ?? "not one layer"
                throw Diagnostic.error("\(file): layer \(layer.name) does not translate into cnnb's layers: \(reason) in: \(line)", at: span)
            }
            do {
                if spec.syntax?.definition.isInput == true {
                    let node = Node.input(shape: try inputShape(spec.arguments[0], outputs: &ignored), seed: nextSeed())
                    node.layer.name = layer.name
                    input = node
                    nodes[layer.name] = node
                    continue
                }
                let made = try makeLayer(spec)
                // config.json lists each layer after the ones it reads (checked when it was read).
                let inputs = layer.inbounds.compactMap { nodes[$0] }
                weights += try checkWeightCount(made, inputs[0].shape, at: span)
                try checkModelMemory(weights: weights, model: name, at: span)
                do {
                    nodes[layer.name] = try made(inputs)
                } catch {
                    let what = inputs.count == 1 ? "follow an output of shape \(inputs[0].shapeDescription)"
                        : "join outputs of shapes " + inputs.map(\.shapeDescription).joined(separator: " and ")
                    throw Diagnostic.error("\(made.typeName) cannot \(what): \(error.message)", at: span, hint: error.hint)
                }
            } catch let error as Diagnostic {
                throw Diagnostic.error("\(file): layer \(layer.name): \(error.message) (in \(line))", at: span, hint: error.hint)
            }
        }
        guard let input else { throw Diagnostic.error("\(file): the model has no input layer", at: span) }
        do {
            return try Model(inputs: input, outputs: contents.outputs.compactMap { nodes[$0] }, name: name)
        } catch {
            throw Diagnostic.error("\(file): \(error.message)", at: span, hint: error.hint)
        }
    }

    /// The cnnb line that makes one Keras layer.
    private func cnnbLine(for layer: KerasArchive.Contents.Layer, in file: String, at span: SourceSpan) throws -> String {
        let config = layer.config
        let quotedName = "name " + SourcePrinter.quoted(layer.name)
        if layer.className == "InputLayer" {
            guard let shape = (config["batch_shape"] ?? config["batch_input_shape"]) as? [Any] else {
                throw Diagnostic.error("\(file): the input layer has no shape", at: span)
            }
            let sides = shape.dropFirst().compactMap { $0 as? Int }
            guard sides.count == shape.count - 1, !sides.isEmpty else {
                throw Diagnostic.error("\(file): the input shape \(shape) has an axis of unknown size", at: span,
                                       hint: "cnnb's models take inputs of a fixed shape")
            }
            return "input " + sides.map(String.init).joined(separator: "x") + " " + quotedName
        }
        guard let word = LayerRegistry.kerasNames[layer.className.lowercased()], let syntax = LayerRegistry.byWord[word] else {
            throw Diagnostic.error("\(file): layer \(layer.name) is a Keras \(layer.className), which cnnb does not have", at: span,
                                   hint: "cnnb knows " + Set(LayerRegistry.syntaxes.filter { !$0.definition.isInput }.map(\.form.kerasClass)).sorted().joined(separator: ", "))
        }
        for (key, expected) in Self.kerasFixedSettings {
            guard let value = config[key] else { continue }
            if !((value as? NSObject)?.isEqual(expected) ?? false) {
                throw Diagnostic.error("\(file): layer \(layer.name) has \(key)=\(value), which cnnb's \(word) does not support", at: span)
            }
        }
        if let dilation = config["dilation_rate"] {
            let values = (dilation as? [Int]) ?? [(dilation as? Int) ?? 1]
            if values.contains(where: { $0 != 1 }) {
                throw Diagnostic.error("\(file): layer \(layer.name) is dilated (dilation_rate=\(values)), which cnnb does not support", at: span)
            }
        }
        var parts = [word]
        for argument in syntax.definition.arguments {
            guard let key = Self.kerasArgumentKeys[argument.name], let value = config[key] else {
                if argument.optional { continue }
                throw Diagnostic.error("\(file): layer \(layer.name) lacks its \(argument.name.lowercased())", at: span)
            }
            parts.append(try cnnbValue(value, layer: layer.name, key: key, file: file, at: span))
        }
        let options = Set(syntax.options.map(\.name))
        for (key, option) in Self.kerasOptionKeys.sorted(by: { $0.key < $1.key }) where options.contains(option) {
            guard let value = config[key], !(value is NSNull) else { continue }
            parts.append(option + " " + (try cnnbValue(value, layer: layer.name, key: key, file: file, at: span)))
        }
        if syntax.definition.activation != .none, let activation = config["activation"] as? String,
           activation != "linear" || syntax.definition.activation == .required {
            parts.append(activation)
        }
        parts.append(quotedName)
        return parts.joined(separator: " ")
    }

    /// A configuration value as cnnb writes it: `3x3` for a tuple, `0.5`, `same`.
    private func cnnbValue(_ value: Any, layer: String, key: String, file: String, at span: SourceSpan) throws -> String {
        if let sides = value as? [Int] { return sides.map(String.init).joined(separator: "x") }
        if let number = value as? Int { return String(number) }
        if let number = value as? Double { return "\(number)" }
        if let word = value as? String, word.allSatisfy({ $0.isLetter || $0 == "_" }) { return word }
        throw Diagnostic.error("\(file): layer \(layer) has \(key)=\(value), which cnnb cannot write", at: span)
    }
}
