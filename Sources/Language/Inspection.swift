import Basics
import Engine

/// What Jupyter's inspect (Shift-Tab) and the REPL's `:help WORD` say about the word at a
/// cursor: the `:help` text of a statement keyword or layer word, or a name's value described
/// (its shape, a model's layers, a history's keys).
public enum Inspection {
    /// The word around `cursor` (in Unicode scalars) and what is known about it; nil when the
    /// cursor is on no word or on a word nothing is known about.
    public static func text(in code: String, cursor: Int, session: Session) -> (word: String, text: String)? {
        let scalars = Array(code.unicodeScalars)
        let cursor = min(max(cursor, 0), scalars.count)
        func isWordScalar(_ s: Unicode.Scalar) -> Bool {
            s == "_" || s == "." || (s.isASCII && (("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s)))
        }
        var start = cursor, end = cursor
        while start > 0 && isWordScalar(scalars[start - 1]) { start -= 1 }
        while end < scalars.count && isWordScalar(scalars[end]) { end += 1 }
        // `data.train`: the name before the first dot is what the session knows.
        let whole = String(String.UnicodeScalarView(scalars[start..<end]))
        guard let word = whole.split(separator: ".").first.map(String.init), !word.isEmpty else { return nil }
        if let value = session[word] { return (word, describe(word, value, session: session)) }
        if Vocabulary.commands[word] != nil || Vocabulary.layers[word] != nil || word == "model" {
            return (word, Help.text(topic: word))
        }
        return nil
    }

    /// A name's value: the `:vars` line, then what a reader of the value wants next.
    static func describe(_ name: String, _ value: Value, session: Session) -> String {
        var lines = ["\(name): \(value.brief)"]
        let interpreter = Interpreter(session: session)
        switch value {
        case .model(let model):
            lines.append(interpreter.summaryText(model))
        case .history(let history):
            lines.append("keys: " + history.keys.joined(separator: ", "))
            lines.append(interpreter.historyText(history))
        case .dataset, .layerSpec, .layers:
            if let text = try? interpreter.text(of: value) { lines.append(text) }
        case .images(let split), .image(let split):
            lines.append("shape \(kerasTupleText(split.shape)), classes: " + split.classNames.joined(separator: ", "))
        default:
            break
        }
        return lines.joined(separator: "\n")
    }
}
