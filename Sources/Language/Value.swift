import Basics
import Datasets
import Engine
import Render

/// What a name in the session holds, and what an expression evaluates to.
public enum Value {
    case none
    /// Every number; whole numbers print without a decimal point.
    case number(Double)
    case string(String)
    /// `32x32x3`
    case size([Int])
    /// A bare word that names no variable: `relu`, `adam`, `accuracy`, `cifar10`.
    case word(String)
    case list([Value])
    case dataset(Dataset)
    /// Images with their labels (a split, or part of one).
    case images(DatasetSplit)
    /// One image picked by a single index: `data.train[7]`.
    case image(DatasetSplit)
    /// The labels of a split: `data.test.labels`.
    case labels(DatasetSplit)
    case tensor(Tensor)
    /// A layer written out but not part of a model: `c = conv 32 3x3 relu`.
    case layerSpec(LayerSpec)
    case model(Model)
    /// Layers of a model by Keras index (`cnn.layers[1]`, `cnn.layers[1, 3, 5]`).
    case layers(Model, [Int])
    case history(History)
    case figure(Figure)

    /// What kind of value this is, in words for error messages.
    public var kindName: String {
        switch self {
        case .none: return "nothing"
        case .number: return "a number"
        case .string: return "a string"
        case .size: return "a size"
        case .word(let w): return "the word '\(w)'"
        case .list: return "a list"
        case .dataset: return "a dataset"
        case .images: return "images"
        case .image: return "an image"
        case .labels: return "labels"
        case .tensor: return "a tensor"
        case .layerSpec: return "a layer"
        case .model: return "a model"
        case .layers(_, let indices): return indices.count == 1 ? "a model's layer" : "a model's layers"
        case .history: return "a training history"
        case .figure: return "a figure"
        }
    }

    /// A short line for `:vars`-like listings.
    public var brief: String {
        switch self {
        case .none: return "nothing"
        case .number(let x): return formatNumber(x)
        case .string(let s): return "\"\(s)\""
        case .size(let s): return s.map(String.init).joined(separator: "x")
        case .word(let w): return w
        case .list(let items): return "list of \(items.count)"
        case .dataset(let d): return "dataset \(d.name): train \(kerasTupleText(d.train.shape)), test \(kerasTupleText(d.test.shape))"
        case .images(let s): return "images \(kerasTupleText(s.shape))"
        case .image(let s): return "image \(kerasTupleText(s.imageShape))"
        case .labels(let s): return "labels \(kerasTupleText(labelShape(s)))"
        case .tensor(let t): return "tensor \(kerasTupleText(t.shape))"
        case .layerSpec(let spec): return "layer \(spec.kind.name)"
        case .model(let m): return "model \(m.name): \(m.layers.count) layers, \(Render.ModelSummary.grouped(m.parameterCount)) parameters"
        case .layers(let m, let indices): return "layers " + indices.map { m.layers[$0].name }.joined(separator: ", ")
        case .history(let h): return "history of \(h.epochs) epoch\(h.epochs == 1 ? "" : "s")"
        case .figure(let f): return "figure \(f.pixelSize.width)x\(f.pixelSize.height)"
        }
    }
}

/// Keras's shape of a split's labels: CIFAR-10 gives a column `(N, 1)`, the IDX sets `(N,)`.
func labelShape(_ split: DatasetSplit) -> [Int] { split.labelsShape }

/// `5` for whole numbers, `0.001` otherwise: what a person wrote.
func formatNumber(_ x: Double) -> String {
    if x.rounded() == x && abs(x) < 1e15 { return String(Int(x)) }
    return "\(x)"
}

extension Session {
    /// What `:vars` lists: each name with a short line about its value, in definition order.
    public var variablesText: String {
        guard !definitionOrder.isEmpty else { return "nothing is defined yet" }
        return definitionOrder.compactMap { name in self[name].map { "\(name)  \($0.brief)" } }.joined(separator: "\n")
    }
}
