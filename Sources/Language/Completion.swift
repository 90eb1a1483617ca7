import Foundation

/// Tab completion: statement keywords and layer words at the start of a statement (also after
/// `NAME =`), the current keyword's or layer's options after it (and a model's output names
/// after `compile MODEL`, `fit MODEL`, `evaluate MODEL`), activation and dataset names,
/// variables, members after `name.`, the `:commands`, and file names after `:load`, `:save`
/// and `:out` (inside quotes, readline completes file names itself). The REPL's readline and
/// the Jupyter kernel both ask here.
public enum Completion {
    /// The REPL's own commands.
    public static let commands = [":help", ":vars", ":reset", ":load", ":save", ":out", ":allow-write", ":quit"]
    /// The commands a Jupyter cell takes (files and quitting are the notebook's business there).
    public static let kernelCommands = [":help", ":vars"]

    /// The candidates for `word` typed in `line`, or nil when `word` is a file name.
    public static func candidates(line: String, word: String, session: Session, commands: [String] = commands) -> [String]? {
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
            case .dataset?: members = ["train", "test", "classes", "reshape"]
            case .images?, .image?: members = ["labels", "classes", "count", "reshape"]
            case .tensor?: members = ["reshape"]
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
            if let command = Vocabulary.commands[first] {
                result += command.optionNames
                // `compile two loss di…`: the outputs a per-output option names.
                if command.options.contains(where: \.perOutput), words.count > 1, case .model(let model)? = session[words[1]] {
                    result += model.outputNames
                    if command.option("targets") != nil { result.append("labels") }
                }
            }
            if let layer = words.lazy.compactMap({ Vocabulary.layers[$0] }).last {
                result += layer.options.map(\.name)
                if first == "layer" || first == "explain" { result.append("on") }
            }
            if first == "layer" || first == "explain" { result += Vocabulary.layerList.map(\.word) }
            if first == "load" { result += Vocabulary.datasets + Vocabulary.fileKinds }
            result += Vocabulary.activations + Vocabulary.paddings + ["adam", "sgd", "rmsprop", "accuracy",
                                                                       "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
                                                                       "mean_squared_error"]
        }
        result += session.definitionOrder
        return Array(Set(result)).sorted()
    }

    /// Where a word being completed starts: after spaces and the language's punctuation (in a
    /// `:command` line, after spaces only: its arguments are file names).
    public static let statementBreaks: Set<Character> = [" ", "\t", "\n", ";", "{", "}", "[", "]", "(", ")", ",", "=", "+", "-", "*", "/"]
    public static let commandBreaks: Set<Character> = [" ", "\t", "\n"]

    /// Completion at a cursor in a whole cell (Jupyter's `complete_request`): the matches and the
    /// range, in Unicode scalars as the protocol counts, that a chosen match replaces. The word
    /// runs from the last break before the cursor to the first break after it.
    public static func complete(_ text: String, cursor: Int, session: Session,
                                commands: [String] = kernelCommands) -> (matches: [String], start: Int, end: Int) {
        let scalars = Array(text.unicodeScalars)
        let cursor = min(max(cursor, 0), scalars.count)
        var lineStart = cursor
        while lineStart > 0 && scalars[lineStart - 1] != "\n" { lineStart -= 1 }
        let before = String(String.UnicodeScalarView(scalars[lineStart..<cursor]))
        let breaks = before.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix(":") ? commandBreaks : statementBreaks
        func isBreak(_ scalar: Unicode.Scalar) -> Bool { breaks.contains(Character(scalar)) }
        var start = cursor
        while start > lineStart && !isBreak(scalars[start - 1]) { start -= 1 }
        var end = cursor
        while end < scalars.count && !isBreak(scalars[end]) && scalars[end] != "\n" { end += 1 }
        let word = String(String.UnicodeScalarView(scalars[start..<cursor]))
        // Inside an open string the word is a file name, which is not the language's to complete.
        if before.filter({ $0 == "\"" }).count % 2 == 1 { return ([], start, end) }
        let matches = candidates(line: before, word: word, session: session, commands: commands)?.filter { $0.hasPrefix(word) } ?? []
        return (matches, start, end)
    }

    /// Words that start a statement.
    public static var startWords: [String] {
        Vocabulary.commandList.map(\.keyword) + Vocabulary.layerList.map(\.word) + ["model"]
    }
}
