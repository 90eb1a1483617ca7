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
    /// The inputs of each of the layer's nodes, as Keras's "Connected to" column writes them:
    /// `conv2d[0][0]` (layer, its use, its output); empty for the input layer.
    public var connectedTo: [String] = []

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
    /// Whether Keras prints the model as a plain stack, without the "Connected to" column.
    public var isSequentialLike: Bool = true
}

extension Model {
    public var summary: ModelSummary {
        // One row per layer; a shared layer shows its last use's shape, as Keras does.
        let rows = layers.map { layer in
            let uses = nodes(of: layer)
            return LayerSummary(name: layer.name, typeName: layer.typeName, outputShape: uses.last?.shape ?? [],
                                parameterCount: layer.parameterCount,
                                connectedTo: uses.flatMap { $0.inputs.map { "\($0.layer.name)[\($0.useIndex)][0]" } })
        }
        let total = parameterCount, trainable = trainableParameterCount
        let optimizerState = optimizer.map(\.stateCount).flatMap { $0 > 0 ? $0 : nil }
        return ModelSummary(modelName: name, layers: rows, totalParameters: total, trainableParameters: trainable,
                            nonTrainableParameters: total - trainable, optimizerParameters: optimizerState,
                            isSequentialLike: isSequentialLike)
    }
}
