import Basics
import Engine
import Foundation
import Interop
import Render

/// `export`, weights as NumPy `.npz`, and predictions as `.npy`: models and numbers out to
/// other tools and back.
extension Interpreter {
    /// `export MODEL onnx "FILE.onnx"` or `export MODEL keras "FILE.py"` (the Keras export
    /// also writes FILE.npz beside the script).
    func exportCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let model = try self.model(command.arguments[0], outputs: &outputs)
        if let option = command.option("onnx") {
            let path = try writing(option, what: "the ONNX file", outputs: &outputs) { path in
                do {
                    try ONNXExport.write(model, to: path, producerVersion: CNNBVersion.string)
                } catch let error as InteropError {
                    throw Diagnostic.error(error.message, at: option.span, hint: error.hint)
                }
                return path
            }
            outputs.append(.text("exported \(model.name) to \(path) (ONNX opset \(ONNXExport.opset), input \(model.input.layer.name) "
                                 + "\(kerasShapeText(model.inputShape)), output" + (model.outputs.count == 1 ? " " : "s ")
                                 + model.outputs.map { "\($0.layer.name) \($0.shapeDescription)" }.joined(separator: ", ") + ")"))
            return .none
        }
        if let option = command.option("keras") {
            var path = ""
            let weights = try writing(option, what: "the Python file", outputs: &outputs) { written in
                path = written
                do {
                    return try KerasExport.export(model, to: written)
                } catch let error as InteropError {
                    throw Diagnostic.error(error.message, at: option.span, hint: error.hint)
                }
            }
            // The weights go beside the script, in the same folder the check passed.
            session.recordWritten(weights)
            outputs.append(.text("exported \(model.name) to \(path) with its weights in \(weights)"))
            return .none
        }
        throw Diagnostic.error("export needs a format and a file", at: command.span,
                               hint: "write export \(sourceText(command.arguments[0])) onnx \"model.onnx\" or export \(sourceText(command.arguments[0])) keras \"model.py\"")
    }

    /// `save MODEL weights "FILE"`: a `.npz` path writes NumPy arrays named `LAYER/WEIGHT` in
    /// Keras's layouts, any other path cnnb's own weight file. Returns the line to show.
    func saveWeights(of model: Model, to path: String, at span: SourceSpan) throws -> String {
        do {
            if isNumpyArchive(path) {
                try KerasWeights.save(model, to: path)
            } else if isHDF5(path) {
                try KerasArchive.saveWeights(model, to: path)
            } else {
                try model.saveWeights(to: path)
            }
        } catch {
            throw Diagnostic.error(error.message, at: span, hint: error.hint)
        }
        return "saved \(Render.ModelSummary.grouped(model.parameterCount)) weights of \(model.name) to \(path)"
    }

    /// `load MODEL weights "FILE"`, by extension as `saveWeights`. The file is read and checked
    /// whole before any weight changes. Returns the line to show.
    func loadWeights(into model: Model, from path: String, at span: SourceSpan) throws -> String {
        do {
            if isNumpyArchive(path) {
                try KerasWeights.load(model, from: path)
            } else if isHDF5(path) {
                try KerasArchive.loadWeights(model, from: path)
            } else {
                try model.loadWeights(from: path)
            }
        } catch {
            throw Diagnostic.error(error.message, at: span, hint: error.hint)
        }
        return "loaded \(Render.ModelSummary.grouped(model.parameterCount)) weights of \(model.name) from \(path)"
    }

    /// `predict MODEL INPUTS to "FILE"`: one output to `FILE.npy` (float32, shape
    /// (N, …output)); a model with several outputs to an `.npz` with one array per output,
    /// named after its layer. Returns the line to show.
    func savePredictions(_ results: [Tensor], of model: Model, to path: String, at span: SourceSpan) throws -> String {
        do {
            if isNumpyArchive(path) {
                let names = model.outputs.map(\.layer.name)
                try Npz.write(zip(names, results).map { ($0, NumpyArray($1)) }, to: path)
            } else {
                guard results.count == 1 else {
                    throw Diagnostic.error("model \(model.name) has \(results.count) outputs and a .npy file holds one array", at: span,
                                           hint: "write them to an .npz file: to \"predictions.npz\"")
                }
                try Npy.write(NumpyArray(results[0]), to: path)
            }
        } catch let error as InteropError {
            throw Diagnostic.error(error.message, at: span, hint: error.hint)
        }
        return "saved predictions " + results.map { kerasTupleText($0.shape) }.joined(separator: ", ") + " to \(path)"
    }

    private func isNumpyArchive(_ path: String) -> Bool {
        (path as NSString).pathExtension.lowercased() == "npz"
    }

    /// Keras's weight files: `m.weights.h5` (Keras 3) or `.h5`.
    private func isHDF5(_ path: String) -> Bool {
        (path as NSString).pathExtension.lowercased() == "h5"
    }

    /// `save MODEL "FILE.keras"`: the whole model in Keras 3's format. Returns the line to show.
    func saveKerasArchive(_ model: Model, to path: String, at span: SourceSpan) throws -> String {
        guard (path as NSString).pathExtension.lowercased() == "keras" else {
            throw Diagnostic.error("a whole model is saved as a .keras file, not \((path as NSString).lastPathComponent)", at: span,
                                   hint: "write save \(model.name) \"\(model.name).keras\", or save \(model.name) weights \"FILE\" for the weights alone")
        }
        do {
            try KerasArchive.save(model, to: path)
        } catch {
            throw Diagnostic.error(error.message, at: span, hint: error.hint)
        }
        return "saved model \(model.name) (\(Render.ModelSummary.grouped(model.parameterCount)) weights) to \(path)"
    }
}
