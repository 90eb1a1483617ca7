import Basics
import Engine
import Foundation
import Render

/// Work is refused before it allocates when its memory would not fit: a slip such as
/// `batch 1000000` or a stack of wide dense layers must be an error, not the end of the session.
extension Interpreter {
    /// Float32 values a model keeps per weight while training: the weight, its gradient and
    /// the optimizer's two moments (Adam; other optimizers keep fewer).
    static let trainingCopiesPerWeight = 4.0

    /// Refuses `bytes` of memory for `what` when more than the free memory.
    func checkMemory(_ bytes: Double, for what: String, at span: SourceSpan, hint: String) throws {
        let free = session.availableMemory()
        guard bytes > Double(free) else { return }
        throw Diagnostic.error("\(what) needs \(byteText(bytes)) of memory; \(Render.ModelSummary.memorySize(Double(free))) is free",
                               at: span, hint: hint)
    }

    /// A model's weights and their gradients, `weights` Float32 values each.
    func checkModelMemory(weights: Double, model: String, at span: SourceSpan) throws {
        try checkMemory(weights * 2 * 4, for: "model \(model) with \(countText(weights)) weights (and their gradients)", at: span,
                        hint: "use fewer units or filters, or shrink the input first (pooling, strides)")
    }

    /// Training `model` in batches of `batch`: weights, gradients and optimizer state, then each
    /// layer's output and its gradient for every image of a batch. A lower bound: layers' own
    /// scratch memory (im2col) comes on top.
    func checkTrainingMemory(_ model: Model, batch: Int, at span: SourceSpan) throws {
        let weights = Double(model.parameterCount) * Interpreter.trainingCopiesPerWeight
        // Every node's output (the input's included), and the gradient of each after the input.
        let sizes = model.nodes.map { Double($0.shape.reduce(1, *)) }
        let perImage = sizes.reduce(0, +) + sizes.dropFirst().reduce(0, +)
        try checkMemory(4 * (weights + Double(batch) * perImage),
                        for: "training \(model.name) in batches of \(batch)", at: span,
                        hint: "use a smaller batch (batch 32), or a smaller model")
    }

    /// The outputs `predict` returns for `count` images, every output of every image.
    func checkPredictionMemory(_ model: Model, count: Int, at span: SourceSpan) throws {
        let perImage = model.outputShapes.reduce(0.0) { $0 + Double($1.reduce(1, *)) }
        try checkMemory(4 * Double(count) * perImage, for: "predicting \(model.name) for \(count) images", at: span,
                        hint: "predict a slice of them at a time, such as [0..<1000]")
    }

    /// `2,684,616,704 bytes (2.50 GB)`.
    func byteText(_ bytes: Double) -> String {
        countText(bytes) + " bytes (" + Render.ModelSummary.memorySize(bytes) + ")"
    }
}
