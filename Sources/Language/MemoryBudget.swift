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
    /// The batches `evaluate` and `predict` run in (`Model.evaluate`'s and Keras's default).
    static let forwardBatch = 32

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

    /// Training `model` in batches of `batch`: weights, gradients and optimizer state, each
    /// layer's output and its gradient for every image of a batch, and the layers' own scratch
    /// memory (a convolution's im2col columns).
    func checkTrainingMemory(_ model: Model, batch: Int, at span: SourceSpan) throws {
        let weights = Double(model.parameterCount) * Interpreter.trainingCopiesPerWeight
        // Every node's output (the input's included), and the gradient of each after the input.
        let sizes = outputSizes(model)
        let perImage = sizes.reduce(0, +) + sizes.dropFirst().reduce(0, +)
        try checkMemory(4 * (weights + Double(batch) * perImage + model.scratchCount(for: model.inputShape)),
                        for: "training \(model.name) in batches of \(batch)", at: span,
                        hint: "use a smaller batch (batch 32), or a smaller model")
    }

    /// `evaluate` runs `count` images through `model` in batches of `forwardBatch`.
    func checkEvaluationMemory(_ model: Model, count: Int, at span: SourceSpan) throws {
        let batch = max(min(Interpreter.forwardBatch, count), 1)
        try checkMemory(4 * forwardValues(model, batch: batch), for: "evaluating \(model.name) in batches of \(batch)", at: span,
                        hint: "evaluate a smaller model, or shrink its input first (pooling, strides)")
    }

    /// The outputs `predict` returns for `count` images, every output of every image, and its
    /// batches on the way.
    func checkPredictionMemory(_ model: Model, count: Int, at span: SourceSpan) throws {
        let perImage = model.outputShapes.reduce(0.0) { $0 + Double($1.reduce(1, *)) }
        let batches = forwardValues(model, batch: max(min(Interpreter.forwardBatch, count), 1))
        try checkMemory(4 * (Double(count) * perImage + batches), for: "predicting \(model.name) for \(count) images", at: span,
                        hint: "predict a slice of them at a time, such as [0..<1000]")
    }

    /// Float32 values of one forward pass over `batch` images: every node's output for each
    /// image (the input's included), and the layers' scratch.
    private func forwardValues(_ model: Model, batch: Int) -> Double {
        Double(batch) * outputSizes(model).reduce(0, +) + model.scratchCount(for: model.inputShape)
    }

    /// Each node's output size for one image, the input's first.
    private func outputSizes(_ model: Model) -> [Double] {
        model.nodes.map { Double($0.shape.reduce(1, *)) }
    }

    /// `2,684,616,704 bytes (2.50 GB)`.
    func byteText(_ bytes: Double) -> String {
        countText(bytes) + " bytes (" + Render.ModelSummary.memorySize(bytes) + ")"
    }
}
