import Language

/// Tab completion: statement keywords and layer words at the start of a statement, the
/// current keyword's or layer's options after it, activation and dataset names, variables,
/// and members after `name.`.
enum Completion {
    static func candidates(line: String, word: String, session: Session) -> [String] {
        // `cnn.la` → members of the value before the dot.
        if let dot = word.lastIndex(of: ".") {
            let base = String(word[..<dot])
            let members: [String]
            switch session[base] {
            case .dataset?: members = ["train", "test", "classes"]
            case .images?, .image?: members = ["labels", "classes", "count"]
            case .model?: members = ["layers", "name"]
            case .history(let h)?: members = h.keys
            default: members = []
            }
            return members.map { base + "." + $0 }.sorted()
        }
        let statement = line.split(separator: ";", omittingEmptySubsequences: false).last.map(String.init) ?? line
        let words = statement.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "{" }).map(String.init)
        let atStart = words.isEmpty || (words.count == 1 && !statement.hasSuffix(" "))
        var result: [String] = []
        if atStart {
            result = Vocabulary.commandList.map(\.keyword) + Vocabulary.layerList.map(\.word) + ["model"]
        } else {
            let first = words[0]
            if let command = Vocabulary.commands[first] { result += command.optionNames }
            if let layer = words.lazy.compactMap({ Vocabulary.layers[$0] }).last {
                result += layer.options.map(\.name)
                if first == "layer" || first == "explain" { result.append("on") }
            }
            if first == "layer" || first == "explain" { result += Vocabulary.layerList.map(\.word) }
            if first == "load" { result += Vocabulary.datasets }
            result += Vocabulary.activations + Vocabulary.paddings + ["adam", "sgd", "rmsprop", "accuracy",
                                                                       "sparse_categorical_crossentropy", "categorical_crossentropy", "mean_squared_error"]
        }
        result += session.definitionOrder
        return Array(Set(result)).sorted()
    }
}
