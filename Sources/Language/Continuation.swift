import Foundation

/// What is still open at the end of typed text: brackets, and whether it ends in an operator.
/// Strings and `#` comments are skipped so a brace inside them does not count.
private struct OpenState {
    var open: [Character] = []
    var inString = false
    var lastSignificant: Character?

    init(_ text: String) {
        var escaped = false
        var inComment = false
        for ch in text {
            if inComment {
                if ch == "\n" { inComment = false }
                continue
            }
            if inString {
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == "\"" { inString = false }
                continue
            }
            switch ch {
            case "\"": inString = true
            case "#": inComment = true; continue
            case "{", "[", "(": open.append(ch)
            case "}", "]", ")": if !open.isEmpty { open.removeLast() }
            default: break
            }
            if !ch.isWhitespace { lastSignificant = ch }
        }
    }
}

/// Whether typed text is a whole statement or needs another line: an open `{`, `[` or `(`, or a
/// line ending in an operator or `,`, continues on a `...` prompt. Strings and `#` comments
/// are skipped so a brace inside them does not count.
public func needsMoreInput(_ text: String) -> Bool {
    let state = OpenState(text)
    if state.inString { return false }  // the parser reports the unclosed string
    if !state.open.isEmpty { return true }
    if let last = state.lastSignificant, "+-*/=,".contains(last) { return true }
    return false
}

/// `text` with its open `{` blocks closed, innermost first: what an empty line on a `...`
/// prompt means. Open `[` and `(` are left for the parser to report.
public func closingOpenBlocks(_ text: String) -> String {
    let state = OpenState(text)
    guard !state.inString else { return text }
    var closed = text.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    for opener in state.open.reversed() {
        guard opener == "{" else { break }
        closed += "\n}"
    }
    return closed
}
