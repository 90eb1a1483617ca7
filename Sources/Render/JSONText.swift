/// A JSON value written with keys in the order given, so files come out the same on every run
/// and on every platform (Foundation's serializer differs between them in key order and escaping).
enum JSONText {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([JSONText])
    case object([(String, JSONText)])

    /// The value as text, nested values indented by `indent` spaces per level (Jupyter uses 1).
    func rendered(indent: Int = 1) -> String {
        var out = ""
        write(into: &out, level: 0, indent: indent)
        out.append("\n")
        return out
    }

    private func write(into out: inout String, level: Int, indent: Int) {
        switch self {
        case .null: out.append("null")
        case .bool(let value): out.append(value ? "true" : "false")
        case .int(let value): out.append(String(value))
        case .string(let value): JSONText.appendQuoted(value, to: &out)
        case .array(let items):
            if items.isEmpty { out.append("[]"); return }
            out.append("[\n")
            for (i, item) in items.enumerated() {
                out.append(String(repeating: " ", count: (level + 1) * indent))
                item.write(into: &out, level: level + 1, indent: indent)
                out.append(i + 1 < items.count ? ",\n" : "\n")
            }
            out.append(String(repeating: " ", count: level * indent))
            out.append("]")
        case .object(let members):
            if members.isEmpty { out.append("{}"); return }
            out.append("{\n")
            for (i, (key, value)) in members.enumerated() {
                out.append(String(repeating: " ", count: (level + 1) * indent))
                JSONText.appendQuoted(key, to: &out)
                out.append(": ")
                value.write(into: &out, level: level + 1, indent: indent)
                out.append(i + 1 < members.count ? ",\n" : "\n")
            }
            out.append(String(repeating: " ", count: level * indent))
            out.append("}")
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, the rest as UTF-8.
    static func appendQuoted(_ text: String, to out: inout String) {
        out.append("\"")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case "\u{08}": out.append("\\b")
            case "\u{0C}": out.append("\\f")
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }
}
