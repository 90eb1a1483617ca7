/// Prints a syntax tree back as canonical cnnb source: one statement per line, model blocks with
/// one layer per line, single spaces, double-quoted strings. Parsing the printed text gives the
/// same tree (spans aside), which the tests check for every notebook.
public enum SourcePrinter {
    public static func render(_ notebook: Notebook) -> String {
        var out = ""
        for cell in notebook.cells {
            switch cell.kind {
            case .markdown:
                out += "%% md\n"
                let text = cell.text
                if !text.isEmpty { out += text + "\n" }
            case .code:
                out += "%%\n"
                for statement in cell.statements { out += render(statement) + "\n" }
            }
            out += "\n"
        }
        return out
    }

    public static func render(_ statement: Statement) -> String {
        switch statement.kind {
        case .assignment(let name, let value):
            return name.name + " = " + render(value)
        case .model(let name, let items):
            var out = "model \(name.name) {\n"
            for item in items { out += "    " + blockItem(item) + "\n" }
            return out + "}"
        case .command(let command):
            return render(command)
        case .expression(let expr):
            // A command in parentheses is an expression statement; bare, it would be a command one.
            if case .command = expr.kind { return operand(expr, minimum: .range) }
            return render(expr)
        }
    }

    /// An entry of a model block. Layers and names (`c1`, `m.layers[0]`) stand bare; anything
    /// else goes in parentheses, since a block line starting `NAME VALUE` reads as a misspelt layer.
    private static func blockItem(_ item: BlockItem) -> String {
        guard let value = item.value else { return "outputs " + item.outputs.map(\.name).joined(separator: ", ") }
        var text = (item.name.map { $0.name + " = " } ?? "") + blockValue(value)
        if !item.inputs.isEmpty { text += " from " + item.inputs.map(\.name).joined(separator: ", ") }
        return text
    }

    private static func blockValue(_ item: Expr) -> String {
        switch item.kind {
        case .layer(let spec): return render(spec)
        case .name, .member, .index: return operand(item, minimum: .postfix)
        default: return "(" + bare(item) + ")"
        }
    }

    /// Words that end an argument or take a value when written bare: a variable with such a name
    /// is printed in parentheses, `fit (on) on data`.
    private static let optionWords: Set<String> = Set(Vocabulary.commandList.flatMap(\.optionNames))
        .union(Vocabulary.layerList.flatMap { $0.options.map(\.name) })

    public static func render(_ expr: Expr) -> String {
        switch expr.kind {
        case .layer(let spec): return render(spec)
        case .command(let command): return render(command)
        default: return operand(expr, minimum: .range)
        }
    }

    static func render(_ command: Command) -> String {
        var separator = command.keyword.name == "shape" || command.keyword.name == "print" ? ", " : " "
        var parts: [String] = []
        for (index, argument) in command.arguments.enumerated() {
            let isLast = index == command.arguments.count - 1
            let text = argumentText(argument, isLast: isLast, followingOptions: command.options.map(\.name.name),
                                    layerFirst: Vocabulary.commands[command.keyword.name]?.takesLayer == true && index == 0)
            // `plot h -1` reads as a subtraction: a later argument starting with '-' needs commas.
            if index > 0 && text.hasPrefix("-") { separator = ", " }
            parts.append(text)
        }
        var out = command.keyword.name
        if !parts.isEmpty { out += " " + parts.joined(separator: separator) }
        for option in command.options { out += " " + render(option) }
        return out
    }

    static func render(_ spec: LayerSpec) -> String {
        var out = spec.kind.name
        for argument in spec.arguments {
            // Layer arguments are parsed as unary expressions: anything looser needs parentheses;
            // the only bare words are activations.
            if case .name(let word) = argument.kind, Vocabulary.activations.contains(word) {
                out += " " + word
            } else if startsWithName(argument) {
                out += " (" + bare(argument) + ")"
            } else {
                out += " " + operand(argument, minimum: .unary)
            }
        }
        for option in spec.options { out += " " + render(option) }
        return out
    }

    static func render(_ option: NamedOption) -> String {
        if !option.perOutput.isEmpty {
            return option.name.name + " " + option.perOutput.map { $0.output.name + " " + nested($0.value) }.joined(separator: ", ")
        }
        guard let value = option.value else { return option.name.name }
        return option.name.name + " " + nested(value)
    }

    /// An argument of a command. A command or layer spec inside another statement's arguments
    /// reads on to the end of the line, so it stands bare only as the last argument, when none of
    /// the options after it is one it would take itself, and when its word does not read as an
    /// option of the enclosing statement (`load (weights "w")`). The layer of `layer` and
    /// `explain` is always bare.
    private static func argumentText(_ argument: Expr, isLast: Bool, followingOptions: [String], layerFirst: Bool) -> String {
        switch argument.kind {
        case .layer(let spec):
            let own = Set(Vocabulary.layers[spec.kind.name]?.options.map(\.name) ?? [])
            if layerFirst || (isLast && own.isDisjoint(with: followingOptions) && !optionWords.contains(spec.kind.name)) {
                return render(spec)
            }
            return "(" + render(spec) + ")"
        case .command(let command):
            if isLast && followingOptions.isEmpty && !optionWords.contains(command.keyword.name) { return render(command) }
            return "(" + render(command) + ")"
        default:
            return operand(argument, minimum: .range)
        }
    }

    /// An option value or other nested place: statements and layers in parentheses.
    private static func nested(_ expr: Expr) -> String {
        operand(expr, minimum: .range)
    }

    /// The expression's text would start with a name: `n`, `cfg.units`, `x[0]`.
    private static func startsWithName(_ expr: Expr) -> Bool {
        switch expr.kind {
        case .name: return true
        case .member(let base, _), .index(let base, _), .method(let base, _, _): return startsWithName(base)
        default: return false
        }
    }

    /// Binding strength, loosest first.
    enum Precedence: Int, Comparable {
        case range, comparison, additive, multiplicative, unary, postfix
        static func < (a: Precedence, b: Precedence) -> Bool { a.rawValue < b.rawValue }
    }

    private static func precedence(of expr: Expr) -> Precedence {
        switch expr.kind {
        case .range: return .range
        case .binary(let op, _, _): return level(of: op)
        case .unary: return .unary
        // Its value ends the text: as the base of `.name` or `[…]` it needs parentheses.
        case .method: return .unary
        case .layer, .command: return .range
        default: return .postfix
        }
    }

    private static func level(of op: BinaryOperator) -> Precedence {
        if op.isComparison { return .comparison }
        return op == .add || op == .subtract ? .additive : .multiplicative
    }

    /// `expr` printed where it must bind at least as tightly as `minimum`, in parentheses if not.
    /// Layer specs and commands are always parenthesised here: they would swallow what follows.
    static func operand(_ expr: Expr, minimum: Precedence) -> String {
        switch expr.kind {
        case .layer(let spec): return "(" + render(spec) + ")"
        case .command(let command): return "(" + render(command) + ")"
        default: break
        }
        let text = bare(expr)
        return precedence(of: expr) < minimum ? "(" + text + ")" : text
    }

    private static func bare(_ expr: Expr) -> String {
        switch expr.kind {
        case .integer(let value): return String(value)
        case .float(let value): return floatText(value)
        case .string(let value): return quoted(value)
        case .size(let axes): return axes.map(String.init).joined(separator: "x")
        // `in` after a value reads as the membership test: `plot h, in` prints `plot h (in)`. A
        // layer word parses as a name only where it stands bare (an option's value, `on
        // activation`): in parentheses it would start a layer.
        case .name(let name):
            return (optionWords.contains(name) && Vocabulary.layers[name] == nil) || name == "in" ? "(" + name + ")" : name
        case .list(let elements): return "[" + elements.map { operand($0, minimum: .range) }.joined(separator: ", ") + "]"
        case .member(let base, let name): return operand(base, minimum: .postfix) + "." + name.name
        case .method(let base, let name, let argument):
            let value: String
            switch argument.kind {
            case .integer, .size, .list: value = bare(argument)
            default: value = "(" + bare(argument) + ")"
            }
            return operand(base, minimum: .postfix) + "." + name.name + " " + value
        case .index(let base, let indices):
            return operand(base, minimum: .postfix) + "[" + indices.map { operand($0, minimum: .range) }.joined(separator: ", ") + "]"
        case .range(let lower, let upper, let closed):
            let op = closed ? "..." : "..<"
            return (lower.map { operand($0, minimum: .additive) } ?? "") + op + (upper.map { operand($0, minimum: .additive) } ?? "")
        case .unary(let op, let operandExpr):
            return op.rawValue + operand(operandExpr, minimum: .unary)
        case .binary(let op, let left, let right):
            let level = level(of: op)
            let rightLevel = Precedence(rawValue: level.rawValue + 1) ?? .postfix
            return operand(left, minimum: level) + " " + op.rawValue + " " + operand(right, minimum: rightLevel)
        case .layer(let spec): return render(spec)
        case .command(let command): return render(command)
        }
    }

    /// Shortest text that reads back as the same Double, always with a '.' or an exponent so
    /// it stays a float.
    private static func floatText(_ value: Double) -> String {
        var text = "\(value)"
        if !text.contains(".") && !text.contains("e") { text += ".0" }
        return text
    }

    static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\0": out += "\\0"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
