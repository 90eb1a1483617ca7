import Foundation
import Language
import XCTest

/// Programs generated from the rules of Grammar/cnnb.ebnf (and its vocabulary tables) must parse
/// without a diagnostic, into as many statements as were generated, and survive printing. This
/// checks the grammar against the parser from the other side than the fuzz test does.
final class GrammarGenerationTests: XCTestCase {
    func testGeneratedProgramsParse() {
        // CNNB_FUZZ_SEED explores other programs; the default keeps CI reproducible.
        let seed = ProcessInfo.processInfo.environment["CNNB_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0xC0FFEE
        var generator = ProgramGenerator(seed: seed)
        for round in 0..<3_000 {
            let (source, count) = generator.program()
            let (statements, diagnostics) = Parser.parseStatements(source)
            if !diagnostics.isEmpty {
                return XCTFail("program #\(round) rejected:\n\(source)\n" + renderDiagnostics(diagnostics, source: source))
            }
            XCTAssertEqual(statements.count, count, "program #\(round):\n\(source)\n\(statements.map(\.treeDescription))")
            let text = printed(statements)
            let (again, againDiagnostics) = Parser.parseStatements(text)
            XCTAssertEqual(againDiagnostics.map(\.description), [], "program #\(round) printed:\n\(text)")
            XCTAssertEqual(again.map(Unspanned.statement), statements.map(Unspanned.statement), "program #\(round):\n\(source)\nprinted:\n\(text)")
            if againDiagnostics.count + (again.count == statements.count ? 0 : 1) > 0 { return }
        }
    }
}

/// Writes random programs by the grammar's rules.
struct ProgramGenerator {
    var random: SplitMix64
    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    /// Variable names: not reserved, and not option words (which end arguments when bare).
    static let names = ["a", "b", "data", "cnn", "x1", "_t", "history", "kernel", "pics"]
    static let optionWords = Set(Vocabulary.commandList.flatMap(\.optionNames) + Vocabulary.layerList.flatMap { $0.options.map(\.name) })

    mutating func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }
    mutating func below(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// statements = { separator } , [ statement , { separator , { separator } , statement } , … ]
    mutating func program() -> (String, Int) {
        let count = 1 + below(5)
        var out = pick(["", "\n", "; ", "\n\n"])
        for index in 0..<count {
            if index > 0 { out += pick(["\n", " ; ", ";", "\n\n", " # note\n", ";;\n"]) }
            out += statement()
        }
        out += pick(["", "\n", " ;", " # end"])
        return (out, count)
    }

    mutating func name() -> String { pick(Self.names) }

    /// statement = assignment | model-definition | command | expression
    mutating func statement() -> String {
        switch below(6) {
        case 0: return name() + " = " + pick([expression(3), command(2), layerSpec(2)])
        case 1: return model()
        case 2, 3: return command(3)
        case 4: return layerSpec(3)
        default:
            // An expression statement must not read as `NAME VALUE`; a leading name stands alone
            // or with an operator after it.
            return pick([expression(3) + " + 1", "(" + expression(3) + ")", name() + "[" + expression(1) + "]", integer()])
        }
    }

    /// model-definition = "model" , NAME , { NEWLINE } , "{" , items , "}"
    mutating func model() -> String {
        var out = "model " + name() + pick([" ", "\n", "\n\n"]) + "{" + pick(["", " ", "\n", "\n  "])
        let items = below(5)
        for index in 0..<items {
            if index > 0 { out += pick(["; ", "\n  ", " ;\n  ", "\n\n  "]) }
            out += chance(80) ? layerSpec(2) : pick([name(), name() + ".layers[" + integer() + "]", "(" + expression(2) + ")"])
        }
        return out + pick([" }", "\n}", "; }", "\n;}"])
    }

    /// command = KEYWORD , { option } , [ argument , { [ "," ] , ( argument | option ) } ]
    mutating func command(_ depth: Int) -> String {
        let syntax = pick(Vocabulary.commandList)
        let count = syntax.minArguments + below((syntax.maxArguments ?? syntax.minArguments + 2) - syntax.minArguments + 1)
        var arguments: [String] = []
        for index in 0..<count {
            if index == 0 && syntax.takesLayer {
                arguments.append(layerSpec(depth - 1))
            } else {
                arguments.append(argument(depth - 1))
            }
        }
        let chosen = syntax.options.filter { _ in chance(50) }
        var options = chosen.filter { !$0.perOutput }.map { option(syntax: $0, depth: depth - 1) }
        options.shuffle(using: &random)
        // A per-output option's value followed by an argument reads as an (output, value) pair
        // ("targets cnn 251"): those options come last, where nothing follows them.
        let perOutput = chosen.filter(\.perOutput).map { option(syntax: $0, depth: depth - 1) }
        // Interleave: options anywhere, arguments in order; a comma may precede any item after
        // the first argument.
        var out = syntax.keyword
        var seenArgument = false
        var afterValue = false
        var a = 0, o = 0
        while a < arguments.count || o < options.count {
            // A layer spec given as the first argument must come first: before it an option
            // would be taken for a layer's.
            let takeArgument = o == options.count || (a < arguments.count && (syntax.takesLayer && a == 0 || chance(50)))
            var item = takeArgument ? arguments[a] : options[o].text
            // After an argument or an option's value, '-' would continue it as a subtraction:
            // a comma separates (allowed once an argument was given), else parentheses.
            var comma = seenArgument && chance(15)
            if takeArgument && item.hasPrefix("-") && (seenArgument || afterValue) {
                if seenArgument { comma = true } else { item = "(" + item + ")" }
            }
            if comma { out += "," }
            out += " " + item
            if takeArgument {
                a += 1
                seenArgument = true
                afterValue = false
            } else {
                afterValue = options[o].hasValue
                o += 1
            }
        }
        for option in perOutput { out += " " + option.text }
        return out
    }

    /// An argument of a command: any expression, commands and layers in parentheses.
    mutating func argument(_ depth: Int) -> String {
        switch below(8) {
        case 0 where depth > 0: return "(" + command(depth - 1) + ")"
        case 1 where depth > 0: return "(" + layerSpec(depth - 1) + ")"
        default: return expression(depth)
        }
    }

    /// option = OPTION-WORD , [ expression ]
    mutating func option(syntax: OptionSyntax, depth: Int) -> (text: String, hasValue: Bool) {
        guard syntax.takesValue else { return (syntax.name, false) }
        if let words = syntax.allowedWords {
            let word = pick(words)
            return (syntax.name + " " + (chance(20) ? "\"" + word + "\"" : word), true)
        }
        return (syntax.name + " " + expression(depth), true)
    }

    /// layer-spec = LAYER-WORD , { layer-argument | option }
    mutating func layerSpec(_ depth: Int) -> String {
        let syntax = pick(Vocabulary.layerList)
        let count = syntax.minArguments + below(syntax.maxArguments - syntax.minArguments + 1)
        var out = syntax.word
        var afterValue = false
        var options = syntax.options.filter { _ in chance(40) }
        options.shuffle(using: &random)
        var a = 0
        while a < count || !options.isEmpty {
            if a < count && (options.isEmpty || chance(60)) {
                var argument = layerArgument(depth, bareWords: syntax.bareWords)
                // After an option's value, '-' would continue the value: use parentheses.
                if afterValue && argument.hasPrefix("-") { argument = "(" + argument + ")" }
                out += " " + argument
                a += 1
                afterValue = false
            } else {
                let (text, hasValue) = option(syntax: options.removeLast(), depth: max(depth - 1, 0))
                out += " " + text
                afterValue = hasValue
            }
        }
        return out
    }

    /// layer-argument = LAYER-BARE-WORD | "-" , unary | layer-operand , { member | index }
    mutating func layerArgument(_ depth: Int, bareWords: [String]) -> String {
        switch below(7) {
        case 0 where !bareWords.isEmpty: return pick(bareWords)
        case 1: return "-" + unary(depth)
        case 2: return size()
        case 3: return "(" + expression(depth) + ")" + (chance(20) ? ".units" : "")
        case 4: return "[" + integer() + ", " + integer() + "]" + (chance(30) ? "[0]" : "")
        case 5: return float()
        default: return integer()
        }
    }

    /// expression = additive , [ range-operator , additive ]
    mutating func expression(_ depth: Int) -> String {
        let left = additive(depth)
        if depth > 0 && chance(10) { return left + pick(["..<", "...", " ..< "]) + additive(depth - 1) }
        return left
    }

    mutating func additive(_ depth: Int) -> String {
        var out = multiplicative(depth)
        while depth > 0 && chance(20) { out += pick([" + ", " - ", "+", " -"]) + multiplicative(depth - 1) }
        return out
    }

    mutating func multiplicative(_ depth: Int) -> String {
        var out = unary(depth)
        while depth > 0 && chance(20) { out += pick([" * ", " / ", " % ", "*"]) + unary(depth - 1) }
        return out
    }

    /// unary = "-" , unary | postfix
    mutating func unary(_ depth: Int) -> String {
        if depth > 0 && chance(10) { return "-" + unary(depth - 1) }
        return postfix(depth)
    }

    /// postfix = primary , { member | index }, touching.
    mutating func postfix(_ depth: Int) -> String {
        var out = primary(depth)
        while depth > 0 && chance(15) {
            out += chance(50) ? "." + pick(["train", "test", "layers", "shape", "fit"]) : "[" + indexElements(depth - 1) + "]"
        }
        return out
    }

    mutating func indexElements(_ depth: Int) -> String {
        let count = 1 + below(3)
        var parts: [String] = []
        for _ in 0..<count {
            switch below(6) {
            case 0: parts.append("..<" + additive(depth))
            case 1: parts.append(additive(depth) + "...")
            case 2: parts.append("...")
            default: parts.append(expression(depth))
            }
        }
        return parts.joined(separator: pick([", ", ",", " ,\n "])) + (chance(10) ? "," : "")
    }

    /// primary = INTEGER | FLOAT | SIZE | STRING | NAME | "(" expression ")" | list, and layer
    /// specs or commands in parentheses.
    mutating func primary(_ depth: Int) -> String {
        switch below(depth > 0 ? 11 : 6) {
        case 0: return integer()
        case 1: return float()
        case 2: return size()
        case 3: return pick(["\"s\"", "'q'", "\"a\\n\\\"b\\\"\"", "\"\"", "\"# not a comment\""])
        case 4, 5: return name()
        case 6: return "(" + expression(depth - 1) + ")"
        case 7: return "(" + layerSpec(depth - 1) + ")"
        case 8: return "(" + command(depth - 1) + ")"
        default:
            let count = below(4)
            let elements = (0..<count).map { _ in expression(depth - 1) }
            return "[" + elements.joined(separator: pick([", ", ",\n  "])) + (count > 0 && chance(10) ? "," : "") + "]"
        }
    }

    mutating func integer() -> String { String(below(300)) }
    mutating func float() -> String { pick(["0.5", "1e-3", "2.5E+2", "0.001", "3.0"]) }
    mutating func size() -> String { (0..<(2 + below(2))).map { _ in String(1 + below(64)) }.joined(separator: "x") }
}
