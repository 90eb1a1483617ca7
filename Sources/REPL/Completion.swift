import Foundation
import Language

/// Tab completion: statement keywords and layer words at the start of a statement (also after
/// `NAME =`), the current keyword's or layer's options after it, activation and dataset names,
/// variables, members after `name.`, the `:commands`, and file names after `:load`, `:save`
/// and `:out` (inside quotes, readline completes file names itself).
enum Completion {
    /// The REPL's own commands.
    static let commands = [":help", ":vars", ":reset", ":load", ":save", ":out", ":allow-write", ":quit"]

    /// The candidates for `word` typed in `line`, or nil when `word` is a file name.
    static func candidates(line: String, word: String, session: Session) -> [String]? {
        let trimmedLine = line.drop { $0 == " " || $0 == "\t" }
        if trimmedLine.hasPrefix(":") {
            guard let space = trimmedLine.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return commands }
            if trimmedLine[..<space] == ":help" || trimmedLine[..<space] == ":h" { return startWords.sorted() }
            return nil
        }
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
        var statement = line.split(separator: ";", omittingEmptySubsequences: false).last.map(String.init) ?? line
        // `h = fit …`: what follows `NAME =` is completed like the start of a statement.
        if let assignment = statement.range(of: #"^\s*[A-Za-z_][A-Za-z0-9_]*\s*=(?!=)\s*"#, options: .regularExpression) {
            statement = String(statement[assignment.upperBound...])
        }
        let words = statement.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "{" }).map(String.init)
        let atStart = words.isEmpty || (words.count == 1 && !statement.hasSuffix(" "))
        var result: [String] = []
        if atStart {
            result = startWords
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

    /// Words that start a statement.
    static var startWords: [String] {
        Vocabulary.commandList.map(\.keyword) + Vocabulary.layerList.map(\.word) + ["model"]
    }
}
