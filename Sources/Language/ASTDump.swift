/// A compact, span-free S-expression of a syntax tree, for tests and debugging:
/// `fit cnn on data.train epochs 5` dumps as `(fit cnn (on (. data train)) (epochs 5))`.
extension Statement {
    public var treeDescription: String {
        switch kind {
        case .assignment(let name, let value): return "(= \(name.name) \(value.treeDescription))"
        case .model(let name, let items):
            return "(model \(name.name)" + items.map { " " + $0.treeDescription }.joined() + ")"
        case .command(let command): return command.treeDescription
        case .expression(let expr): return expr.treeDescription
        }
    }
}

extension BlockItem {
    /// A plain layer line dumps as its layer; a name, inputs or outputs wrap it.
    public var treeDescription: String {
        if value == nil { return "(outputs " + outputs.map(\.name).joined(separator: " ") + ")" }
        var text = value!.treeDescription
        if !inputs.isEmpty { text = "(from " + inputs.map(\.name).joined(separator: " ") + " " + text + ")" }
        if let name { text = "(= \(name.name) \(text))" }
        return text
    }
}

extension Command {
    public var treeDescription: String {
        "(" + ([keyword.name] + arguments.map(\.treeDescription) + options.map(\.treeDescription)).joined(separator: " ") + ")"
    }
}

extension LayerSpec {
    public var treeDescription: String {
        "(layer " + ([kind.name] + arguments.map(\.treeDescription) + options.map(\.treeDescription)).joined(separator: " ") + ")"
    }
}

extension NamedOption {
    public var treeDescription: String {
        "(" + name.name + (value.map { " " + $0.treeDescription } ?? "")
            + perOutput.map { " (\($0.output.name) \($0.value.treeDescription))" }.joined() + ")"
    }
}

extension Expr {
    public var treeDescription: String {
        switch kind {
        case .integer(let value): return String(value)
        case .float(let value): return "\(value)" + (("\(value)".contains(".") || "\(value)".contains("e")) ? "" : ".0")
        case .string(let value): return SourcePrinter.quoted(value)
        case .size(let axes): return axes.map(String.init).joined(separator: "x")
        case .name(let name): return name
        case .list(let elements): return "[" + elements.map(\.treeDescription).joined(separator: " ") + "]"
        case .member(let base, let name): return "(. \(base.treeDescription) \(name.name))"
        case .method(let base, let name, let argument): return "(. \(base.treeDescription) \(name.name) \(argument.treeDescription))"
        case .index(let base, let indices): return "(index \(base.treeDescription)" + indices.map { " " + $0.treeDescription }.joined() + ")"
        case .range(let lower, let upper, let closed):
            return "(\(closed ? "..." : "..<") \(lower?.treeDescription ?? "_") \(upper?.treeDescription ?? "_"))"
        case .unary(let op, let operand): return "(\(op == .negate ? "neg" : op.rawValue) \(operand.treeDescription))"
        case .binary(let op, let left, let right): return "(\(op.rawValue) \(left.treeDescription) \(right.treeDescription))"
        case .layer(let spec): return spec.treeDescription
        case .command(let command): return command.treeDescription
        }
    }
}

extension Cell {
    public var treeDescription: String {
        switch kind {
        case .markdown: return "(md \(SourcePrinter.quoted(text)))"
        case .code: return "(code" + statements.map { " " + $0.treeDescription }.joined() + ")"
        }
    }
}

extension Notebook {
    public var treeDescription: String { cells.map(\.treeDescription).joined(separator: "\n") }
}
