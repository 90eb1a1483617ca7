import Basics
import Datasets
import Engine
import Foundation
import Interop
import Render

/// Evaluates statements against a `Session`. Commands live in the `Interpreter+…` files, one
/// per area (layers, data, models, pictures, teaching).
final class Interpreter {
    let session: Session
    /// The split being indexed, whose labels a bare `labels` names inside the brackets:
    /// `data.train[labels == 3]`.
    var indexedSplit: DatasetSplit?

    init(session: Session) { self.session = session }

    /// Commands that print their own results (training progress, evaluation): their value is
    /// kept when assigned but not shown again.
    static let selfReporting: Set<String> = ["fit", "evaluate"]

    /// Any error met while running a statement as a diagnostic: the engine's, data's and
    /// renderer's errors point at the statement and keep their hints.
    static func diagnostic(for error: any Error, at span: SourceSpan) -> Diagnostic {
        switch error {
        case let d as Diagnostic: return d
        case let e as any ExplainedError: return .error(e.message, at: span, hint: e.hint)
        case let e as RenderError: return .error("\(e)", at: span)
        default: return .error("\(error)", at: span)
        }
    }

    /// What `cnnb check` runs: everything that needs no data and no training.
    static let checkedKeywords: Set<String> = ["layer", "explain", "submodel", "layers", "weights", "summary"]

    /// Thrown while checking when a statement uses a name that a skipped statement defines:
    /// its value is unknown, so the statement is skipped too rather than reported.
    struct Unchecked: Error {}

    func execute(_ statement: Statement) throws -> [Output] {
        guard session.checkOnly else { return try perform(statement) }
        switch statement.kind {
        case .command(let c) where !Interpreter.checkedKeywords.contains(c.keyword.name): return []
        case .assignment(let name, let e) where !isCheckable(e):
            session.uncheckedNames.insert(name.name)
            return []
        case .expression(let e) where !isCheckable(e): return []
        default: break
        }
        do {
            return try perform(statement)
        } catch is Unchecked {
            switch statement.kind {
            case .assignment(let name, _), .model(let name, _): session.uncheckedNames.insert(name.name)
            default: break
            }
            return []
        }
    }

    private func perform(_ statement: Statement) throws -> [Output] {
        switch statement.kind {
        case .assignment(let name, let expr):
            if Vocabulary.isReserved(name.name) {
                throw Diagnostic.error("'\(name.name)' is a keyword and cannot name a value", at: name.span,
                                       hint: "choose another name, such as my_\(name.name)")
            }
            var outputs: [Output] = []
            let value = try statementValue(expr, outputs: &outputs)
            session.set(name.name, value)
            return outputs
        case .model(let name, let items):
            var warnings: [Diagnostic] = []
            let model = try buildModel(name: name, items: items, warnings: &warnings)
            session.set(name.name, .model(model))
            return warnings.map { warning($0.message, at: $0.span, hint: $0.hint) }
        case .command(let command):
            var outputs: [Output] = []
            let value = try run(command, outputs: &outputs)
            if case .none = value { return outputs }
            if Interpreter.selfReporting.contains(command.keyword.name) { return outputs }
            return outputs + (try display(value, at: command.span))
        case .expression(let expr):
            var outputs: [Output] = []
            let value = try statementValue(expr, outputs: &outputs)
            return outputs + (try display(value, at: expr.span))
        }
    }

    /// The value of a statement's expression: a bare word there must name a value (`z = dat`
    /// is a misspelt name, not the word 'dat').
    private func statementValue(_ expr: Expr, outputs: inout [Output]) throws -> Value {
        if case .name = expr.kind { return try require(expr, outputs: &outputs) }
        return try evaluate(expr, outputs: &outputs)
    }

    private func isCheckable(_ expr: Expr) -> Bool {
        switch expr.kind {
        case .command(let c): return Interpreter.checkedKeywords.contains(c.keyword.name)
        case .layer, .integer, .float, .string, .size, .list: return true
        default: return false
        }
    }

    // MARK: - Expressions

    func evaluate(_ expr: Expr, outputs: inout [Output]) throws -> Value {
        switch expr.kind {
        case .integer(let n): return .number(Double(n))
        case .float(let x): return .number(x)
        case .string(let s): return .string(s)
        case .size(let s): return .size(s)
        case .name(let n):
            if session[n] == nil && session.checkOnly && session.uncheckedNames.contains(n) { throw Unchecked() }
            if n == "labels", session[n] == nil, let split = indexedSplit { return .labels(split) }
            return session[n] ?? .word(n)
        case .list(let items): return .list(try items.map { try evaluate($0, outputs: &outputs) })
        case .layer(let spec): return .layerSpec(spec)
        case .command(let command): return try run(command, outputs: &outputs)
        case .unary(.negate, let operand):
            let value = try evaluate(operand, outputs: &outputs)
            guard case .number(let x) = value else {
                throw Diagnostic.error("cannot negate \(value.kindName)", at: expr.span, hint: "'-' applies to numbers")
            }
            return .number(-x)
        case .binary(let op, let lhs, let rhs):
            return try arithmetic(op, try evaluate(lhs, outputs: &outputs), try evaluate(rhs, outputs: &outputs), expr: expr)
        case .member(let base, let member):
            return try self.member(try evaluate(base, outputs: &outputs), member, base: base)
        case .method(let base, _, let argument):
            let value = try evaluate(base, outputs: &outputs)
            if case .word(let word) = value { throw unknownName(word, at: base.span) }
            return try reshape(value, to: try evaluate(argument, outputs: &outputs), base: base, argument: argument, expr: expr)
        case .index(let base, let indices):
            return try index(try evaluate(base, outputs: &outputs), indices, base: base, expr: expr, outputs: &outputs)
        case .range:
            throw Diagnostic.error("a range is only meaningful inside [ ]", at: expr.span, hint: "write data.train[0..<25]")
        }
    }

    /// The value of `expr`, which must be defined: a bare word that names nothing is an error
    /// listing the names that exist.
    func require(_ expr: Expr, outputs: inout [Output]) throws -> Value {
        let value = try evaluate(expr, outputs: &outputs)
        if case .word(let word) = value { throw unknownName(word, at: expr.span) }
        return value
    }

    func unknownName(_ word: String, at span: SourceSpan) -> Diagnostic {
        let known = session.definitionOrder
        var hint = known.isEmpty ? "nothing is defined yet; define it first, e.g. \(word) = load cifar10"
                                 : "defined names: " + known.joined(separator: ", ")
        if let near = nearestWord(to: word, among: known) { hint = "did you mean '\(near)'? " + hint }
        // What someone new types first at a prompt.
        if word == "help" { hint = "type :help for the statements and layers" }
        if word == "quit" || word == "exit" { hint = "type :quit (or Ctrl-D) to leave" }
        return .error("'\(word)' is not defined", at: span, hint: hint)
    }

    private func arithmetic(_ op: BinaryOperator, _ a: Value, _ b: Value, expr: Expr) throws -> Value {
        if op.isComparison { return try comparison(op, a, b, expr: expr) }
        switch (a, b) {
        case (.number(let x), .number(let y)):
            switch op {
            case .add: return .number(x + y)
            case .subtract: return .number(x - y)
            case .multiply: return .number(x * y)
            case .divide:
                guard y != 0 else { throw Diagnostic.error("division by zero", at: expr.span) }
                return .number(x / y)
            case .remainder:
                guard y != 0 else { throw Diagnostic.error("division by zero", at: expr.span) }
                // Python's %: the result takes the divisor's sign.
                let r = x.truncatingRemainder(dividingBy: y)
                return .number(r != 0 && (r < 0) != (y < 0) ? r + y : r)
            case .floorDivide:
                guard y != 0 else { throw Diagnostic.error("division by zero", at: expr.span) }
                return .number((x / y).rounded(.down))
            default: break
            }
        case (.labels(let split), .number), (.number, .labels(let split)):
            // NumPy's arithmetic on each integer label: `labels % 2` is whether a digit is odd.
            var values: [Double] = []
            values.reserveCapacity(split.count)
            let labelFirst: Bool = { if case .labels = a { return true } else { return false } }()
            for label in split.labels {
                let x = Value.number(Double(label))
                guard case .number(let v) = try arithmetic(op, labelFirst ? x : a, labelFirst ? b : x, expr: expr) else { break }
                values.append(v)
            }
            return labels(values, of: split)
        case (.dataset, .number(let y)), (.images, .number(let y)), (.image, .number(let y)):
            // Each step is NumPy's on a float32 array with a float32 operand; no image is copied.
            let step: DatasetSplit.Arithmetic
            switch op {
            case .divide:
                guard y != 0 else { throw Diagnostic.error("division by zero", at: expr.span) }
                step = .divide(Float(y))
            case .multiply: step = .multiply(Float(y))
            case .subtract: step = .add(-Float(y))
            case .add: step = .add(Float(y))
            default:
                throw Diagnostic.error("'\(op.rawValue)' does not apply to images", at: expr.span, hint: "scale with / or *, shift with + or -")
            }
            switch a {
            case .dataset(let d): return .dataset(d.applying(step))
            case .images(let s): return .images(s.applying(step))
            case .image(let s): return .image(s.applying(step))
            default: break
            }
        case (.number(let y), .dataset), (.number(let y), .images), (.number(let y), .image):
            // As NumPy reads them: 2 * data is data * 2, and 1 - data is data * -1 + 1.
            switch op {
            case .multiply, .add: return try arithmetic(op, b, a, expr: expr)
            case .subtract: return try arithmetic(.add, try arithmetic(.multiply, b, .number(-1), expr: expr), .number(y), expr: expr)
            default: break
            }
        default: break
        }
        throw Diagnostic.error("cannot compute \(a.kindName) \(op.rawValue) \(b.kindName)", at: expr.span,
                               hint: "arithmetic works on numbers, on labels with a number (labels % 2), and on datasets or images with a number (data / 255)")
    }

    private func member(_ value: Value, _ member: Identifier, base: Expr) throws -> Value {
        let name = member.name
        if name == "reshape", !isWord(value) {
            throw Diagnostic.error("reshape needs the new shape after it", at: member.span,
                                   hint: "write \(sourceText(base)).reshape 500x1 (a list such as [-1, 1] lets one axis follow)")
        }
        switch value {
        case .word(let word):
            throw unknownName(word, at: base.span)
        case .dataset(let d):
            switch name {
            case "train": return .images(d.train)
            case "test": return .images(d.test)
            case "classes": return .list(d.classNames.map { .string($0) })
            default: break
            }
            throw noMember(name, of: value, at: member.span, members: ["train", "test", "classes"])
        case .images(let s), .image(let s):
            switch name {
            case "labels": return .labels(s)
            case "classes": return .list(s.classNames.map { .string($0) })
            case "count": return .number(Double(s.count))
            default: break
            }
            throw noMember(name, of: value, at: member.span, members: ["labels", "classes", "count"])
        case .model(let m):
            switch name {
            case "layers": return .layers(m, Array(m.layers.indices))
            case "name": return .string(m.name)
            default: break
            }
            throw noMember(name, of: value, at: member.span, members: ["layers", "name"])
        case .history(let h):
            if let series = h[name] { return .list(series.map { .number($0) }) }
            throw noMember(name, of: value, at: member.span, members: h.keys)
        case .layers(let m, let indices) where indices.count == 1:
            let layer = m.layers[indices[0]]
            if let parameter = layer.parameters.first(where: { $0.name == name }) { return .tensor(parameter.value) }
            if name == "name" { return .string(layer.name) }
            throw noMember(name, of: value, at: member.span, members: layer.parameters.map(\.name) + ["name"])
        case .layers(let m, let indices):
            // Several layers have no weights of their own to name: one must be picked first.
            throw Diagnostic.error("\(value.kindName) has no member '\(name)'", at: member.span,
                                   hint: "pick one layer first, such as \(m.name).layers[\(indices.first ?? 0)].\(name)")
        default:
            throw Diagnostic.error("\(value.kindName) has no member '\(name)'", at: member.span)
        }
    }

    private func noMember(_ name: String, of value: Value, at span: SourceSpan, members: [String]) -> Diagnostic {
        var hint = "it has: " + members.joined(separator: ", ")
        if let near = nearestWord(to: name, among: members) { hint = "did you mean '\(near)'? " + hint }
        return .error("\(value.kindName) has no member '\(name)'", at: span, hint: hint)
    }

    // MARK: - Indexing

    private func index(_ value: Value, _ indices: [Expr], base: Expr, expr: Expr, outputs: inout [Output]) throws -> Value {
        if case .word(let word) = value { throw unknownName(word, at: base.span) }
        switch value {
        case .images(let split), .labels(let split):
            guard indices.count == 1 else {
                throw Diagnostic.error("images take one index or range, got \(indices.count)", at: expr.span,
                                       hint: "write data.train[7] or data.train[0..<25]")
            }
            let isLabels: Bool = { if case .labels = value { return true } else { return false } }()
            if let chosen = try selection(indices[0], of: split, outputs: &outputs) {
                let picked = split.selecting(chosen)
                return isLabels ? .labels(picked) : .images(picked)
            }
            switch try position(indices[0], count: split.count, outputs: &outputs) {
            case .single(let i):
                let one = try split.slice(i)
                return isLabels ? .number(Double(one.label(at: 0))) : .image(one)
            case .range(let r):
                let part = try split.slice(r)
                return isLabels ? .labels(part) : .images(part)
            }
        case .layers(let model, let available):
            var chosen: [Int] = []
            for indexExpr in indices {
                switch try position(indexExpr, count: available.count, outputs: &outputs) {
                case .single(let i): chosen.append(available[i])
                case .range(let r): chosen += available[r]
                }
            }
            return .layers(model, chosen)
        case .list(let items):
            guard indices.count == 1 else {
                throw Diagnostic.error("a list takes one index", at: expr.span)
            }
            switch try position(indices[0], count: items.count, outputs: &outputs) {
            case .single(let i): return items[i]
            case .range(let r): return .list(Array(items[r]))
            }
        case .tensor(let t):
            guard indices.count == 1, t.rank >= 1 else {
                throw Diagnostic.error("a tensor takes one index along its first axis here", at: expr.span)
            }
            switch try position(indices[0], count: t.shape[0], outputs: &outputs) {
            case .single(let i): return .tensor(t.slice(i..<(i + 1)).reshaped(Array(t.shape.dropFirst())))
            case .range(let r): return .tensor(t.slice(r))
            }
        default:
            throw Diagnostic.error("\(value.kindName) cannot be indexed", at: expr.span,
                                   hint: "index images (data.train[7]), labels, lists, tensors or a model's layers")
        }
    }

    enum Position { case single(Int), range(Range<Int>) }

    /// `there are 3 items`, `there is 1 item`.
    func itemCount(_ count: Int) -> String { count == 1 ? "there is 1 item" : "there are \(count) items" }

    /// An index or a range, checked against `count`; negative indices count from the end.
    func position(_ expr: Expr, count: Int, outputs: inout [Output]) throws -> Position {
        func bound(_ e: Expr?, default value: Int) throws -> Int {
            guard let e else { return value }
            guard case .number(let x) = try require(e, outputs: &outputs), x.rounded() == x else {
                throw Diagnostic.error("an index must be a whole number", at: e.span)
            }
            guard abs(x) < 1e15 else {  // beyond any count, and beyond what Int(x) converts safely
                throw Diagnostic.error("index \(formatNumber(x)) is out of range: \(itemCount(count))", at: e.span,
                                       hint: count > 1 ? "use 0 to \(count - 1)" : count == 1 ? "use 0" : nil)
            }
            return Int(x) < 0 ? Int(x) + count : Int(x)
        }
        if case .range(let lower, let upper, let closed) = expr.kind {
            let low = try bound(lower, default: 0)
            var high = try bound(upper, default: closed ? count - 1 : count)
            if closed { high += 1 }
            guard low >= 0, low <= high, high <= count else {
                throw Diagnostic.error("range \(low)..<\(high) is outside 0..<\(count)", at: expr.span,
                                       hint: "\(itemCount(count))")
            }
            return .range(low..<high)
        }
        let i = try bound(expr, default: 0)
        guard i >= 0 && i < count else {
            throw Diagnostic.error("index \(i) is out of range: \(itemCount(count))", at: expr.span,
                                   hint: count > 1 ? "use 0 to \(count - 1)" : count == 1 ? "use 0" : nil)
        }
        return .single(i)
    }

    // MARK: - Commands

    func run(_ command: Command, outputs: inout [Output]) throws -> Value {
        switch command.keyword.name {
        case "layer": return try layerCommand(command)
        case "explain": return try explainCommand(command)
        case "load": return try loadCommand(command, outputs: &outputs)
        case "save": return try saveCommand(command, outputs: &outputs)
        case "shape": return try shapeCommand(command, outputs: &outputs)
        case "print":
            // As Python's print: the values on one line, a space apart; figures stay figures.
            var line: [String] = []
            for argument in command.arguments {
                for output in try display(try require(argument, outputs: &outputs), at: argument.span) {
                    if case .text(let text) = output {
                        line.append(text)
                    } else {
                        if !line.isEmpty { outputs.append(.text(line.joined(separator: " "))) }
                        line = []
                        outputs.append(output)
                    }
                }
            }
            if !line.isEmpty { outputs.append(.text(line.joined(separator: " "))) }
            return .none
        case "show": return try showCommand(command, outputs: &outputs)
        case "summary": return try summaryCommand(command, outputs: &outputs)
        case "plot": return try plotCommand(command, outputs: &outputs)
        case "compile": return try compileCommand(command, outputs: &outputs)
        case "fit": return try fitCommand(command, outputs: &outputs)
        case "evaluate": return try evaluateCommand(command, outputs: &outputs)
        case "predict": return try predictCommand(command, outputs: &outputs)
        case "submodel": return try submodelCommand(command, outputs: &outputs)
        case "layers": return try layersCommand(command, outputs: &outputs)
        case "freeze", "unfreeze": return try freezeCommand(command, outputs: &outputs)
        case "weights": return try weightsCommand(command, outputs: &outputs)
        case "filters": return try filtersCommand(command, outputs: &outputs)
        case "features": return try featuresCommand(command, outputs: &outputs)
        case "apply": return try applyCommand(command, outputs: &outputs)
        case "export": return try exportCommand(command, outputs: &outputs)
        case "onehot": return try onehotCommand(command, outputs: &outputs)
        case "relabel": return try relabelCommand(command, outputs: &outputs)
        case "floor": return try floorCommand(command, outputs: &outputs)
        default:
            throw Diagnostic.error("'\(command.keyword.name)' is not a statement cnnb knows", at: command.keyword.span)
        }
    }

    // MARK: - Argument helpers

    /// A warning as an output: rendered with its source line and caret when the session knows
    /// the text being run, else with its position alone.
    func warning(_ message: String, at span: SourceSpan, hint: String? = nil) -> Output {
        let diagnostic = Diagnostic(.warning, message, at: span, hint: hint)
        guard let source = session.source, span.end <= source.utf8.count else {
            return .text(diagnostic.description + (hint.map { "\nhint: " + $0 } ?? ""))
        }
        return .text(diagnostic.rendered(source: source))
    }

    /// The source text a span covers, for hints that repeat what was written; nil when the
    /// session does not know the text being run.
    func spanText(_ span: SourceSpan) -> String? {
        guard let source = session.source, span.offset >= 0, span.end <= source.utf8.count else { return nil }
        let bytes = Array(source.utf8)[span.offset..<span.end]
        return String(decoding: bytes, as: UTF8.self)
    }

    func option(_ command: Command, _ name: String, outputs: inout [Output]) throws -> (Value, Expr)? {
        guard let option = command.option(name) else { return nil }
        guard let expr = option.value else { return (.none, Expr(.name(name), span: option.span)) }
        return (try evaluate(expr, outputs: &outputs), expr)
    }

    func integer(_ value: Value, at span: SourceSpan, what: String, minimum: Int = 1) throws -> Int {
        guard case .number(let x) = value, x.rounded() == x, x >= Double(minimum), x < 1e9 else {
            throw Diagnostic.error("\(what) must be a whole number of at least \(minimum), got \(value.brief)", at: span)
        }
        return Int(x)
    }

    /// `8x4` → (8, 4); a single number n → (n, n).
    func gridSize(_ value: Value, at span: SourceSpan) throws -> (rows: Int, columns: Int) {
        switch value {
        case .size(let s) where s.count == 2 && s.allSatisfy({ $0 > 0 && $0 <= 1000 }): return (s[0], s[1])
        case .size(let s) where s.count == 2 && s.allSatisfy({ $0 > 0 }):
            throw Diagnostic.error("a grid has at most 1000 rows and 1000 columns, got \(value.brief)", at: span, hint: "write grid 8x4")
        case .number:
            let n = try integer(value, at: span, what: "a grid size")
            guard n <= 1000 else {
                throw Diagnostic.error("a grid has at most 1000 rows and 1000 columns, got \(n)", at: span, hint: "write grid 8x4")
            }
            return (n, n)
        default:
            throw Diagnostic.error("a grid is written ROWSxCOLUMNS, got \(value.brief)", at: span, hint: "write grid 8x4")
        }
    }

    func word(_ value: Value, at span: SourceSpan, what: String) throws -> String {
        switch value {
        case .word(let w), .string(let w): return w
        default: throw Diagnostic.error("\(what) must be a name, got \(value.kindName)", at: span)
        }
    }

    func model(_ expr: Expr, outputs: inout [Output]) throws -> Model {
        let value = try require(expr, outputs: &outputs)
        guard case .model(let m) = value else {
            throw Diagnostic.error("expected a model, got \(value.kindName)", at: expr.span,
                                   hint: "define one with model NAME { input 32x32x3; … }")
        }
        return m
    }

    func images(_ expr: Expr, outputs: inout [Output]) throws -> DatasetSplit {
        let value = try require(expr, outputs: &outputs)
        switch value {
        case .images(let s), .image(let s): return s
        case .dataset:
            throw Diagnostic.error("expected images, got a whole dataset", at: expr.span, hint: "pick a split: data.train or data.test")
        default:
            throw Diagnostic.error("expected images, got \(value.kindName)", at: expr.span, hint: "for example data.train")
        }
    }
}
