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

    /// `478.79 KB`: Keras's size of `count` float32 values (1024-based units, two decimals).
    public static func memoryText(parameters count: Int) -> String {
        var size = Double(count * 4)
        for unit in ["B", "KB", "MB", "GB", "TB"] {
            if size / 1024 < 1 { return String(format: "%.2f %@", size, unit) }
            size /= 1024
        }
        return String(format: "%.2f PB", size)
    }

    /// `122,570`: a count with thousands separators.
    public static func countText(_ count: Int) -> String {
        let digits = String(count.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return count < 0 ? "-" + out : out
    }
}

extension Model {
    public var summary: ModelSummary {
        let rows = nodes.map {
            LayerSummary(name: $0.layer.name, typeName: $0.layer.typeName, outputShape: $0.shape,
                         parameterCount: $0.layer.parameterCount)
        }
        let total = parameterCount
        let optimizerState = optimizer.map(\.stateCount).flatMap { $0 > 0 ? $0 : nil }
        return ModelSummary(modelName: name, layers: rows, totalParameters: total, trainableParameters: total,
                            nonTrainableParameters: 0, optimizerParameters: optimizerState)
    }
}
