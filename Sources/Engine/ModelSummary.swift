import Basics
import Foundation

/// One row of a model summary.
public struct LayerSummary: Sendable, Equatable {
    public var name: String
    /// Keras's class name: `Conv2D`.
    public var typeName: String
    /// Output shape of one item, without the batch axis.
    public var outputShape: [Int]
    public var parameterCount: Int

    /// `conv2d (Conv2D)`, the summary's first column.
    public var nameAndType: String { "\(name) (\(typeName))" }
    /// `(None, 30, 30, 32)`, the summary's second column.
    public var outputShapeText: String { kerasShapeText(outputShape) }
}

/// The numbers of Keras's `model.summary()`, as data (the Render module draws the table).
public struct ModelSummary: Sendable, Equatable {
    public var modelName: String
    public var layers: [LayerSummary]
    public var totalParameters: Int
    public var trainableParameters: Int
    public var nonTrainableParameters: Int
    /// Values the optimizer holds once it has taken a step (Keras prints them after
    /// training); nil before.
    public var optimizerParameters: Int?
}

extension Model {
    public var summary: ModelSummary {
        let rows = nodes.map {
            LayerSummary(name: $0.layer.name, typeName: $0.layer.typeName, outputShape: $0.shape,
                         parameterCount: $0.layer.parameterCount)
        }
        let total = parameterCount, trainable = trainableParameterCount
        let optimizerState = optimizer.map(\.stateCount).flatMap { $0 > 0 ? $0 : nil }
        return ModelSummary(modelName: name, layers: rows, totalParameters: total, trainableParameters: trainable,
                            nonTrainableParameters: total - trainable, optimizerParameters: optimizerState)
    }
}
