/// A value as Python (and so Keras) writes it: what a layer's configuration holds, what
/// Keras's constructors take, and what cnnb prints where a Keras user reads Python
/// (`kernel_size=(3, 3)`, `padding='same'`, `(None, 30, 30, 32)`). The one place Python
/// literals are spelt; JSON writers (`.keras` configs) read the same values.
public enum PythonValue: Equatable, Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case tuple([PythonValue])
    case list([PythonValue])

    /// A tuple of integers: `(3, 3)`, `(5,)`.
    public static func ints(_ values: [Int]) -> PythonValue { .tuple(values.map { .int($0) }) }

    /// A Float32 setting as the decimal a person typed (`0.1`, not `0.10000000149011612`).
    public static func float(_ value: Float) -> PythonValue { .float(Double("\(value)") ?? Double(value)) }

    /// Python's `repr`.
    public var literal: String {
        switch self {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .float(let x): return PythonValue.floatRepr(x)
        case .string(let s): return PythonValue.quoted(s)
        case .tuple(let items):
            return items.count == 1 ? "(\(items[0].literal),)" : "(" + items.map(\.literal).joined(separator: ", ") + ")"
        case .list(let items): return "[" + items.map(\.literal).joined(separator: ", ") + "]"
        }
    }

    /// `repr(float)`: the shortest digits that read back the same (`1.0`, `0.001`, `1e-07`).
    /// Swift's description follows the same rules (exponents below 1e-4 and from 1e16).
    static func floatRepr(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        return String(x)
    }

    /// A Python string literal in single quotes, as `repr(str)` writes it.
    public static func quoted(_ text: String) -> String {
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for c in text.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(c) == quote {
                    out += "\\" + String(quote)
                } else if c.value < 0x20 || c.value == 0x7F {
                    out += "\\x" + (c.value < 0x10 ? "0" : "") + String(c.value, radix: 16)
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out.append(quote)
        return out
    }
}

/// `(3, 3, 3, 32)`: a shape as a Python tuple (with the trailing comma of a 1-tuple).
public func kerasTupleText(_ shape: [Int]) -> String { PythonValue.ints(shape).literal }

/// `(None, 30, 30, 32)` for `[30, 30, 32]`: Keras's batch-first shape.
public func kerasShapeText(_ shape: [Int]) -> String { PythonValue.tuple([.none] + shape.map { .int($0) }).literal }
