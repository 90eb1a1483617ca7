/// The words cnnb knows: statement keywords, layer kinds, their options and the values a few
/// options take. The grammar is generic (`KEYWORD argument* (option value?)*`); this table says
/// which options each keyword accepts, how many positional arguments it takes, and how to
/// suggest a fix when a word is misspelt. Grammar/cnnb.ebnf describes the same table in prose.

/// One option of a statement or layer: `stride 2`, `padding same`, or a flag such as `labels`.
public struct OptionSyntax: Sendable {
    public let name: String
    /// False for flags (`labels`, `rgb`), which never take a value.
    public let takesValue: Bool
    /// When not nil, the value must be one of these words (written bare or quoted).
    public let allowedWords: [String]?
    /// An example shown when the value is missing: `stride 2`.
    public let example: String
    /// How usage lines write it: `stride S`, `padding same|valid`.
    public let usage: String
    /// The value may also be given per output of a model with several, as `NAME VALUE` pairs
    /// separated by commas: `loss digit sparse_categorical_crossentropy, odd binary_crossentropy`.
    public let perOutput: Bool

    init(_ name: String, value example: String, words: [String]? = nil, placeholder: String = "VALUE", perOutput: Bool = false) {
        self.name = name
        self.takesValue = true
        self.allowedWords = words
        self.example = example
        self.perOutput = perOutput
        usage = name + " " + placeholder
    }

    init(flag name: String) {
        self.name = name
        self.takesValue = false
        self.allowedWords = nil
        self.example = name
        self.perOutput = false
        usage = name
    }
}

/// A statement keyword such as `fit` or `show`.
public struct CommandSyntax: Sendable {
    public let keyword: String
    public let minArguments: Int
    /// nil: any number.
    public let maxArguments: Int?
    /// The first argument is a layer spec (`layer conv 32 3x3`).
    public let takesLayer: Bool
    public let options: [OptionSyntax]
    /// How the statement is written, shown in hints.
    public let usage: String

    public func option(_ name: String) -> OptionSyntax? { options.first { $0.name == name } }
    public var optionNames: [String] { options.map(\.name) }
}

public enum Vocabulary {
    /// Activation names a layer accepts as a bare argument (`conv 32 3x3 relu`) or after
    /// `activation`.
    public static let activations = ["relu", "sigmoid", "tanh", "softmax", "linear", "elu", "selu",
                                     "gelu", "softplus", "softsign", "swish", "silu", "leaky_relu", "relu6",
                                     "hard_sigmoid", "exponential"]
    public static let paddings = ["valid", "same"]
    /// Colour maps for filter and feature-map pictures.
    public static let colourMaps = ["gray", "viridis"]

    /// The datasets `load` names (`load cifar10`); the parser does not check them.
    public static let datasets = ["cifar10", "mnist", "fashion_mnist", "shapes"]

    /// What `load` reads besides the datasets: `load csv "F"`, `load tsv "F"` (the UCR
    /// archive's files), `load images from "DIR"`, `load model "F.keras"`.
    public static let fileKinds = ["csv", "tsv", "images", "model"]

    static let stride = OptionSyntax("stride", value: "stride 2", placeholder: "S")
    static let padding = OptionSyntax("padding", value: "padding same", words: paddings, placeholder: "same|valid")
    /// Every layer that takes an activation takes this option; every layer takes `name`.
    static let activationOption = OptionSyntax("activation", value: "activation relu", words: activations, placeholder: "NAME")
    static let nameOption = OptionSyntax("name", value: "name \"conv_1\"", placeholder: "\"NAME\"")
    static let colourMap = OptionSyntax("colormap", value: "colormap viridis", words: colourMaps)
    static let colourBar = OptionSyntax(flag: "colorbar")

    /// What `fit` and `evaluate` train each output towards, when not the images' labels as they
    /// are: an expression in which a bare `labels` is the labels of the images read
    /// (`targets digit labels, odd labels % 2`).
    static let targets = OptionSyntax("targets", value: "targets digit labels, odd labels % 2", placeholder: "OUTPUT LABELS, …",
                                      perOutput: true)

    /// `compile`'s options that configure the optimizer, by Keras's argument names.
    static let optimizerOptions = ["momentum", "nesterov", "beta_1", "beta_2", "epsilon", "rho", "weight_decay", "clipnorm"]

    /// Statement keywords, in the order hints list them.
    public static let commandList: [CommandSyntax] = [
        CommandSyntax(keyword: "layer", minArguments: 1, maxArguments: 1, takesLayer: true,
                      options: [OptionSyntax("on", value: "on 32x32x3")],
                      usage: "layer KIND ARGUMENTS [on SHAPE]"),
        CommandSyntax(keyword: "explain", minArguments: 1, maxArguments: 1, takesLayer: true,
                      options: [OptionSyntax("on", value: "on 32x32x3")],
                      usage: "explain KIND ARGUMENTS on SHAPE"),
        CommandSyntax(keyword: "load", minArguments: 1, maxArguments: 2, takesLayer: false,
                      options: [OptionSyntax("from", value: "from \"data/cifar10\""),
                                OptionSyntax("weights", value: "weights \"model.npz\""),
                                OptionSyntax("size", value: "size 64x64"),
                                OptionSyntax("validation_split", value: "validation_split 0.2"),
                                OptionSyntax("seed", value: "seed 1"),
                                OptionSyntax(flag: "grayscale"),
                                OptionSyntax(flag: "skip_invalid"),
                                OptionSyntax("label", value: "label 0", placeholder: "COLUMN"),
                                OptionSyntax(flag: "header"),
                                OptionSyntax("test", value: "test \"test.csv\"", placeholder: "\"FILE\"")],
                      usage: "load DATASET [from \"DIR\"]  or  load images from \"DIR\" size HxW [validation_split F] [seed N] [grayscale] [skip_invalid]  or  load csv \"FILE\" [label COLUMN] [header] [test \"FILE\"]  or  load model \"FILE.keras\"  or  load MODEL weights \"FILE\""),
        CommandSyntax(keyword: "save", minArguments: 1, maxArguments: 2, takesLayer: false,
                      options: [OptionSyntax("weights", value: "weights \"model.npz\""),
                                OptionSyntax("images", value: "images \"DIR\"")],
                      usage: "save MODEL \"FILE.keras\"  or  save IMAGES images \"DIR\"  or  save MODEL weights \"FILE.weights.h5\", \"FILE.npz\" (NumPy, Keras names) or \"FILE.cnnbw\""),
        CommandSyntax(keyword: "export", minArguments: 1, maxArguments: 1, takesLayer: false,
                      options: [OptionSyntax("onnx", value: "onnx \"model.onnx\""),
                                OptionSyntax("keras", value: "keras \"model.py\"")],
                      usage: "export MODEL onnx \"FILE.onnx\"  or  export MODEL keras \"FILE.py\""),
        CommandSyntax(keyword: "summary", minArguments: 1, maxArguments: 1, takesLayer: false,
                      options: [], usage: "summary MODEL"),
        CommandSyntax(keyword: "plot", minArguments: 1, maxArguments: nil, takesLayer: false,
                      options: [], usage: "plot MODEL  or  plot HISTORY [METRIC ...]"),
        CommandSyntax(keyword: "compile", minArguments: 1, maxArguments: 1, takesLayer: false,
                      options: [OptionSyntax("optimizer", value: "optimizer adam"),
                                OptionSyntax("loss", value: "loss sparse_categorical_crossentropy", perOutput: true),
                                OptionSyntax("metrics", value: "metrics accuracy", perOutput: true),
                                OptionSyntax("lr", value: "lr 0.001"),
                                OptionSyntax("learning_rate", value: "learning_rate 0.001"),
                                OptionSyntax(flag: "from_logits"),
                                OptionSyntax("momentum", value: "momentum 0.9"),
                                OptionSyntax(flag: "nesterov"),
                                OptionSyntax("beta_1", value: "beta_1 0.9"),
                                OptionSyntax("beta_2", value: "beta_2 0.999"),
                                OptionSyntax("epsilon", value: "epsilon 1e-7"),
                                OptionSyntax("rho", value: "rho 0.9"),
                                OptionSyntax("weight_decay", value: "weight_decay 0.004"),
                                OptionSyntax("clipnorm", value: "clipnorm 1.0")],
                      usage: "compile MODEL optimizer NAME loss NAME [from_logits] [metrics NAME] [lr RATE] [OPTIMIZER OPTION VALUE ...]  (several outputs: loss OUTPUT NAME, OUTPUT NAME …, metrics likewise)"),
        CommandSyntax(keyword: "fit", minArguments: 1, maxArguments: 1, takesLayer: false,
                      options: [OptionSyntax("on", value: "on data.train"),
                                OptionSyntax("epochs", value: "epochs 5"),
                                OptionSyntax("batch", value: "batch 32"),
                                OptionSyntax("batch_size", value: "batch_size 32"),
                                OptionSyntax("validate", value: "validate data.test"),
                                OptionSyntax("validation_split", value: "validation_split 0.1"),
                                OptionSyntax("shuffle", value: "shuffle false"),
                                OptionSyntax("verbose", value: "verbose 2"),
                                OptionSyntax("initial_epoch", value: "initial_epoch 2"),
                                OptionSyntax("patience", value: "patience 3"),
                                OptionSyntax("monitor", value: "monitor val_loss"),
                                OptionSyntax("min_delta", value: "min_delta 0.001"),
                                OptionSyntax(flag: "restore_best"),
                                OptionSyntax("checkpoint", value: "checkpoint \"best.npz\""),
                                OptionSyntax("class_weight", value: "class_weight [1.0, 3.5]"),
                                OptionSyntax("reduce_lr", value: "reduce_lr 0.5"),
                                OptionSyntax("min_lr", value: "min_lr 0.00001"),
                                OptionSyntax("lr_schedule", value: "lr_schedule cosine"),
                                OptionSyntax("decay_steps", value: "decay_steps 1000"),
                                OptionSyntax("decay_rate", value: "decay_rate 0.96"),
                                OptionSyntax("alpha", value: "alpha 0.1"),
                                OptionSyntax(flag: "staircase"),
                                targets],
                      usage: "fit MODEL on DATA epochs N [batch_size N] [validate DATA | validation_split F] [verbose 0|1|2] [patience N] [checkpoint \"FILE\"] [targets OUTPUT LABELS, …]"),
        CommandSyntax(keyword: "evaluate", minArguments: 1, maxArguments: 1, takesLayer: false,
                      options: [OptionSyntax("on", value: "on data.test"), targets],
                      usage: "evaluate MODEL on DATA [targets OUTPUT LABELS, …]"),
        CommandSyntax(keyword: "predict", minArguments: 2, maxArguments: 2, takesLayer: false,
                      options: [OptionSyntax("to", value: "to \"predictions.npy\"")],
                      usage: "predict MODEL INPUTS [to \"FILE\"]"),
        CommandSyntax(keyword: "shape", minArguments: 1, maxArguments: nil, takesLayer: false,
                      options: [], usage: "shape VALUE[, VALUE ...]"),
        CommandSyntax(keyword: "print", minArguments: 1, maxArguments: nil, takesLayer: false,
                      options: [], usage: "print VALUE[, VALUE ...]"),
        CommandSyntax(keyword: "show", minArguments: 1, maxArguments: 1, takesLayer: false,
                      options: [OptionSyntax("grid", value: "grid 5x5"), OptionSyntax(flag: "labels")],
                      usage: "show IMAGES [grid ROWSxCOLUMNS] [labels]"),
        CommandSyntax(keyword: "filters", minArguments: 1, maxArguments: 1, takesLayer: false,
                      options: [OptionSyntax("channel", value: "channel 0"), OptionSyntax("grid", value: "grid 8x4"),
                                OptionSyntax(flag: "rgb"), colourMap, colourBar],
                      usage: "filters LAYER [channel N] [grid ROWSxCOLUMNS] [rgb] [colormap viridis] [colorbar]"),
        CommandSyntax(keyword: "features", minArguments: 1, maxArguments: 1, takesLayer: false,
                      options: [OptionSyntax("of", value: "of data.train[7]"), OptionSyntax("grid", value: "grid 8x4"),
                                colourMap, colourBar],
                      usage: "features MODEL of IMAGE [grid ROWSxCOLUMNS] [colormap viridis] [colorbar]"),
        CommandSyntax(keyword: "weights", minArguments: 1, maxArguments: 1, takesLayer: false,
                      options: [], usage: "weights MODEL_OR_LAYER"),
        CommandSyntax(keyword: "layers", minArguments: 1, maxArguments: 1, takesLayer: false,
                      options: [], usage: "layers MODEL"),
        CommandSyntax(keyword: "freeze", minArguments: 1, maxArguments: 1, takesLayer: false,
                      options: [], usage: "freeze MODEL  or  freeze MODEL.layers[0..<3]"),
        CommandSyntax(keyword: "unfreeze", minArguments: 1, maxArguments: 1, takesLayer: false,
                      options: [], usage: "unfreeze MODEL  or  unfreeze MODEL.layers[0..<3]"),
        CommandSyntax(keyword: "apply", minArguments: 1, maxArguments: 1, takesLayer: false,
                      options: [OptionSyntax("to", value: "to data.train[7]"), stride, padding],
                      usage: "apply KERNEL_OR_LAYER to IMAGE [stride S] [padding same|valid]"),
        CommandSyntax(keyword: "submodel", minArguments: 1, maxArguments: 1, takesLayer: false,
                      options: [OptionSyntax("outputs", value: "outputs cnn.layers[1,3,5]")],
                      usage: "submodel MODEL outputs LAYERS"),
        CommandSyntax(keyword: "onehot", minArguments: 1, maxArguments: 1, takesLayer: false,
                      options: [OptionSyntax("classes", value: "classes 10")],
                      usage: "onehot LABELS_OR_DATA [classes N]"),
        CommandSyntax(keyword: "relabel", minArguments: 2, maxArguments: 2, takesLayer: false,
                      options: [], usage: "relabel DATA [CLASS, CLASS ...]"),
        CommandSyntax(keyword: "floor", minArguments: 1, maxArguments: 1, takesLayer: false,
                      options: [], usage: "floor NUMBER"),
    ]

    public static let commands: [String: CommandSyntax] =
        Dictionary(uniqueKeysWithValues: commandList.map { ($0.keyword, $0) })

    /// Layer words, in the order hints list them (from the layer registry).
    public static var layerList: [LayerSyntax] { LayerRegistry.syntaxes }
    public static var layers: [String: LayerSyntax] { LayerRegistry.byWord }

    /// The layer kinds a hint lists: the first word of each definition.
    static var layerKindsForHint: String { LayerCatalog.definitions.map { $0.forms[0].word }.joined(separator: ", ") }

    /// "did you mean 'batchnorm'?" for Keras's class name (`BatchNormalization`, any case), else nil.
    static func kerasLayerSuggestion(for word: String) -> String? {
        guard let cnnbWord = LayerRegistry.kerasNames[word.lowercased()], cnnbWord != word else { return nil }
        return "did you mean '\(cnnbWord)'? (Keras's \(LayerRegistry.byWord[cnnbWord]!.form.kerasClass))"
    }

    /// A hint for a misspelt or Keras-named layer word: "did you mean 'conv'?", or nil.
    static func layerSuggestion(for word: String) -> String? {
        kerasLayerSuggestion(for: word) ?? nearestWord(to: word, among: layerList.map(\.word)).map { "did you mean '\($0)'?" }
    }

    /// Members that take a value after a space: `x.reshape 500x1`.
    public static let methods: Set<String> = ["reshape"]

    /// Every word that cannot name a variable: keywords, layer words and `model`.
    public static func isReserved(_ word: String) -> Bool {
        word == "model" || commands[word] != nil || layers[word] != nil
    }

    /// Words a misspelt statement start is compared with.
    static let statementWords: [String] = ["model"] + commandList.map(\.keyword) + layerList.map(\.word)
}
