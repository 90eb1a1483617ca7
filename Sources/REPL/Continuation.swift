/// Whether typed text is a whole statement or needs another line: an open `{`, `[` or `(`, or a
/// line ending in an operator or `,`, continues on a `...` prompt. Strings and `#` comments
/// are skipped so a brace inside them does not count.
public func needsMoreInput(_ text: String) -> Bool {
    var depth = 0
    var inString = false
    var escaped = false
    var lastSignificant: Character?
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
        case "{", "[", "(": depth += 1
        case "}", "]", ")": depth -= 1
        default: break
        }
        if !ch.isWhitespace { lastSignificant = ch }
    }
    if inString { return false }  // the parser reports the unclosed string
    if depth > 0 { return true }
    if let last = lastSignificant, "+-*/=,".contains(last) { return true }
    return false
}
