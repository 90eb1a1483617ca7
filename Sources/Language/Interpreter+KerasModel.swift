import Basics
import Engine
import Foundation
import Interop
import Render

/// `m = load model "m.keras"`: a model Keras (or `save`) wrote, rebuilt from cnnb's own layer
/// words. Each Keras layer is written out as the cnnb line that makes it (`Conv2D` with
/// `filters=4, kernel_size=(3, 3), padding='same'` → `conv 4 3x3 padding same …`), through the
/// layer registry, so a loaded model is built, checked and named exactly as a written one.
extension Interpreter {
    /// Keras's constructor arguments that are cnnb's positional arguments, by the registry's
    /// argument names.
    static let kerasArgumentKeys = ["FILTERS": "filters", "KERNEL": "kernel_size", "UNITS": "units", "RATE": "rate",
                                    "POOL_SIZE": "pool_size"]
    /// Keras's arguments cnnb has options for.
    static let kerasOptionKeys = ["strides": "stride", "padding": "padding"]
    /// Settings cnnb's layers do not have, with the value each must hold to be read.
    static let kerasFixedSettings: [String: Any] = ["use_bias": true, "data_format": "channels_last", "groups": 1]

    func loadKerasModel(_ command: Command, outputs: inout [Output]) throws -> Value {
        guard command.arguments.count == 2, case .string(let written) = try evaluate(command.arguments[1], outputs: &outputs) else {
            throw Diagnostic.error("load model needs the .keras file", at: command.span, hint: "write m = load model \"m.keras\"")
        }
        let span = command.arguments[1].span
        let path = resolvedPath(written, inOutputFolder: false)
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
        let source = "model \(name) {\n" + lines.map { "    " + $0 }.joined(separator: "\n") + "\n}"
        let (statements, diagnostics) = Parser.parseStatements(source, file: written)
        guard diagnostics.allSatisfy({ $0.severity != .error }), case .model(let identifier, let items)? = statements.first?.kind else {
            let reason = diagnostics.first.map { "\($0.message) in: " + sourceLine(source, $0.span.line) } ?? "no model"
            throw Diagnostic.error("\(written) does not translate into cnnb's layers: \(reason)", at: span)
        }
        let model: Model
        do {
            // A layer nothing reads is impossible in a chain made from the file: no warnings to show.
            var warnings: [Diagnostic] = []
            model = try buildModel(name: identifier, items: items, warnings: &warnings)
        } catch let error as Diagnostic {
            throw Diagnostic.error("\(written): \(error.message) (in \(sourceLine(source, error.span.line)))", at: span, hint: error.hint)
        }
        do {
            try contents.loadWeights(into: model)
        } catch {
            throw Diagnostic.error(error.message, at: span, hint: error.hint)
        }
        outputs.append(.text("loaded model \(model.name) from \(written): \(contents.layers.count - 1) layers, "
                             + "\(Render.ModelSummary.grouped(model.parameterCount)) weights\n" + lines.joined(separator: "\n")))
        return .model(model)
    }

    private func sourceLine(_ source: String, _ line: Int) -> String {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        return line >= 1 && line <= lines.count ? lines[line - 1].trimmingCharacters(in: .whitespaces) : ""
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
