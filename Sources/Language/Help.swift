import Foundation

/// The reference `:help` prints, drawn from the vocabulary the parser checks against, so the
/// help and the grammar cannot disagree.
public enum Help {
    public static func text(topic: String = "") -> String {
        let topic = topic.trimmingCharacters(in: .whitespaces)
        if topic.isEmpty {
            var lines = ["Statements (:help WORD for one of them):"]
            for command in Vocabulary.commandList {
                lines.append("  " + command.usage)
            }
            lines.append("  model NAME { input 32x32x3; conv 32 3x3 relu; pool 2; … }")
            lines.append("    inside a block: NAME = LAYER …  ·  LAYER … from A, B  ·  add A, B  ·  concat A, B [axis N]  ·  a model's name  ·  outputs A, B")
            lines.append("  NAME = EXPRESSION        e.g. data = load cifar10; data = data / 255")
            lines.append("Layers: " + Vocabulary.layerList.map(\.word).joined(separator: " "))
            lines.append("REPL commands: :help [WORD]  :vars  :reset  :load FILE.cnnb  :save FILE.cnnb  :out DIR  :allow-write DIR  :quit")
            return lines.joined(separator: "\n")
        }
        if let command = Vocabulary.commands[topic] {
            var lines = ["\(command.usage)"]
            if !command.options.isEmpty {
                lines.append("options: " + command.options.map(\.example).joined(separator: ", "))
            }
            if let example = examples[topic] { lines.append("example: " + example) }
            return lines.joined(separator: "\n")
        }
        if let layer = Vocabulary.layers[topic] {
            var lines = [layer.usage, "\(layer.definition.summary) (Keras's \(layer.form.kerasClass))"]
            if !layer.options.isEmpty { lines.append("options: " + layer.options.map(\.example).joined(separator: ", ")) }
            if layer.definition.isMerge { lines.append("inside a model block, with the outputs it joins: \(layer.word) a, b") }
            return lines.joined(separator: "\n")
        }
        if topic == "csv" || topic == "tsv" {
            return """
                data = load csv "FILE.csv" [label COLUMN] [header] [test "TEST.csv"]   (load tsv, or a .tsv file: tabs)
                one row per line; the label column (0 is the first, the default as in the UCR archive; -1 the last;
                or a name from the header) holds each row's class, the other columns its values (read as float32)
                labels 0…k-1 are kept; other whole numbers (UCR's -1/1 or 1…k) are numbered 0…k-1 in increasing
                order, and words in sorted order; .classes keeps the labels as written
                the dataset has .train (the file's rows), .test (the test file's, else none) and .classes
                example: ecg = load tsv "ECG5000_TRAIN.tsv" test "ECG5000_TEST.tsv"; ecg = ecg.reshape 140x1
                """
        }
        if topic == "reshape" {
            return """
                X.reshape SHAPE   (SHAPE is 500x1, a number, or a list with one -1: [-1, 1])
                a dataset's or images' items take the new shape as Keras's Reshape does (the count stays);
                a tensor takes it as NumPy's reshape (every axis); the number of values must not change
                example: ecg = ecg.reshape 140x1   (rows of 140 numbers become 140 steps of 1 channel, for conv1d)
                """
        }
        if topic == "model" {
            return """
                model NAME { input SHAPE; LAYER; LAYER … }
                a line reads the line above; NAME = LAYER names its output, LAYER … from A, B reads named ones,
                add A, B (subtract, multiply, average, maximum, minimum, concat [axis N]) joins them,
                a model's name applies that whole model, outputs A, B ends the block with several outputs
                example: model cnn { input 32x32x3; conv 32 3x3 relu; pool 2; flatten; dense 10 softmax }
                example: model ri { input 32x32x3; s = conv 16 3x3 relu padding same; b = conv 16 3x3 padding same; add s, b; globalavgpool; dense 10 softmax }
                """
        }
        let words = Vocabulary.commandList.map(\.keyword) + Vocabulary.layerList.map(\.word) + ["model", "csv", "reshape"]
        if let keras = Vocabulary.kerasLayerSuggestion(for: topic) { return "no help for '\(topic)'; \(keras)" }
        if let near = nearestWord(to: topic, among: words) { return "no help for '\(topic)'; did you mean '\(near)'?" }
        return "no help for '\(topic)'; :help lists every statement"
    }

    static let examples: [String: String] = [
        "layer": "layer conv 64 3x3 stride 3 padding same on 32x32x3",
        "explain": "explain maxpool 2x2 stride 2 on 30x30x32",
        "load": "data = load cifar10\nexample: ecg = load tsv \"ECG5000_TRAIN.tsv\" test \"ECG5000_TEST.tsv\"   (:help csv for files of numbers)",
        "show": "show data.train[0..<25] grid 5x5 labels",
        "compile": "compile cnn optimizer adam loss sparse_categorical_crossentropy metrics accuracy\n"
            + "example (two outputs): compile two optimizer adam loss digit sparse_categorical_crossentropy, odd binary_crossentropy metrics accuracy",
        "freeze": "freeze base   (then: model head { input 32x32x3; base; dense 10 softmax })",
        "unfreeze": "unfreeze base.layers[3...]",
        "fit": "history = fit cnn on data.train epochs 5 validate data.test\n"
            + "example (two outputs): history = fit two on data.train targets digit labels, odd labels % 2 epochs 3 validate data.test",
        "plot": "plot history accuracy val_accuracy",
        "evaluate": "evaluate cnn on data.test\nexample (two outputs): evaluate two on data.test targets digit labels, odd labels % 2",
        "filters": "filters cnn.layers[1] channel 0 grid 8x4",
        "features": "features cnn.layers[1, 3, 5] of data.train[7]",
        "apply": "apply [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]] to data.train[7]\n"
            + "example: apply conv1d 1 3 to [1, 2, 3, 4, 5]   (for a 1D layer a list is a signal of one channel; [[1, 2], [3, 4]] two steps of two)",
        "submodel": "short = submodel cnn outputs cnn.layers[1, 3, 5]",
        "save": "save cnn weights \"cnn.cnnbw\"",
    ]
}
