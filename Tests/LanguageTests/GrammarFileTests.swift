import Foundation
import Language
import XCTest

/// Grammar/cnnb.ebnf is the definition of the syntax: it must be well-formed EBNF whose every
/// rule is defined, and its vocabulary tables must say what Vocabulary.swift says.
final class GrammarFileTests: XCTestCase {
    static let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Grammar/cnnb.ebnf")

    private func grammar() throws -> String {
        try String(contentsOf: Self.url, encoding: .utf8)
    }

    /// The text with comments removed, and the comments' text.
    private func split(_ text: String) throws -> (rules: String, comments: String) {
        var rules = ""
        var comments = ""
        var rest = Substring(text)
        while let open = rest.range(of: "(*") {
            rules += rest[..<open.lowerBound]
            let body = rest[open.upperBound...]
            let close = try XCTUnwrap(body.range(of: "*)"), "unclosed comment")
            let comment = body[..<close.lowerBound]
            XCTAssertFalse(comment.contains("(*"), "nested comment: \(comment.prefix(60))")
            comments += comment + "\n"
            rest = body[close.upperBound...]
        }
        rules += rest
        return (rules, comments)
    }

    /// Rule name → right-hand side, with quoted literals and ? … ? descriptions removed.
    private func rules(_ text: String) throws -> [(name: String, body: String)] {
        // Rules end at ';' outside quotes and ? … ?.
        var pieces: [String] = []
        var piece = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" || character == "?" {
                quote = character
            } else if character == ";" {
                pieces.append(piece)
                piece = ""
                continue
            }
            piece.append(character)
        }
        XCTAssertNil(quote, "unclosed quote")
        XCTAssertEqual(piece.trimmingCharacters(in: .whitespacesAndNewlines), "", "text after the last rule")
        var result: [(String, String)] = []
        for raw in pieces {
            let rule = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if rule.isEmpty { continue }
            let parts = rule.split(separator: "=", maxSplits: 1)
            XCTAssertEqual(parts.count, 2, "not a rule: \(rule)")
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            XCTAssertNotNil(name.range(of: #"^[A-Za-z][A-Za-z-]*$"#, options: .regularExpression), "rule name '\(name)'")
            result.append((name, String(parts[1])))
        }
        return result
    }

    /// Words a rule body refers to: everything outside quotes and ? … ?.
    private func references(_ body: String) -> [String] {
        var out: [String] = []
        var word = ""
        var quote: Character?
        for character in body + " " {
            if let open = quote {
                if character == open { quote = nil }
                continue
            }
            if character == "\"" || character == "'" || character == "?" {
                quote = character
                continue
            }
            if character.isLetter || (character == "-" && !word.isEmpty) {
                word.append(character)
            } else {
                if !word.isEmpty { out.append(word) }
                word = ""
            }
        }
        return out
    }

    func testEveryRuleIsDefinedOnceAndEveryReferenceResolves() throws {
        let (text, _) = try split(grammar())
        let all = try rules(text)
        let names = all.map(\.name)
        XCTAssertEqual(Set(names).count, names.count, "a rule is defined twice")
        let defined = Set(names)
        for (name, body) in all {
            XCTAssertEqual(body.filter { $0 == "(" }.count, body.filter { $0 == ")" }.count, "unbalanced ( ) in \(name)")
            XCTAssertEqual(body.filter { $0 == "[" }.count, body.filter { $0 == "]" }.count, "unbalanced [ ] in \(name)")
            XCTAssertEqual(body.filter { $0 == "{" }.count, body.filter { $0 == "}" }.count, "unbalanced { } in \(name)")
            for reference in references(body) {
                XCTAssertTrue(defined.contains(reference), "rule '\(name)' refers to undefined '\(reference)'")
            }
        }
        // Every rule the parser has is written down, and every rule is reachable from the top.
        for rule in ["notebook", "cell", "code-marker", "markdown-marker", "statements", "statement", "assignment", "model-definition", "block-item",
                     "command", "option", "layer-spec", "layer-argument", "expression", "additive",
                     "multiplicative", "unary", "postfix", "member", "index", "primary", "list", "SIZE", "STRING",
                     "FLOAT", "INTEGER", "COMMENT"] {
            XCTAssertTrue(defined.contains(rule), "missing rule \(rule)")
        }
        var reached: Set<String> = ["notebook"]
        var frontier = ["notebook"]
        let bodies = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0.body) })
        while let next = frontier.popLast() {
            for reference in references(bodies[next] ?? "") where !reached.contains(reference) {
                reached.insert(reference)
                frontier.append(reference)
            }
        }
        // Tokens and vocabulary are reached through the lexer's description, not from the top.
        let unreached = defined.subtracting(reached).filter { $0.first!.isLowercase && $0 != "activation-name" && $0 != "padding-name" && $0 != "colour-map-name" }
        XCTAssertEqual(unreached, [], "rules nothing refers to")
    }

    func testActivationAndPaddingRulesMatchTheVocabulary() throws {
        let all = try rules(split(grammar()).rules)
        func literals(_ name: String) -> [String] {
            guard let body = all.first(where: { $0.name == name })?.body else { return [] }
            return body.split(separator: "\"").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        }
        XCTAssertEqual(literals("activation-name"), Vocabulary.activations)
        XCTAssertEqual(literals("padding-name"), Vocabulary.paddings)
        XCTAssertEqual(literals("code-marker"), ["%%", "code"])
        XCTAssertEqual(literals("markdown-marker"), ["%%", "md", "markdown"])
    }

    /// The `| word | arguments | options` rows of the two tables, keyed by word.
    /// Rows of the keyword table (`| keyword | arguments | options`) and of the layer table
    /// (`| layer word | arguments | bare words | options`).
    private func tableRows() throws -> [String: (arguments: String, bareWords: String?, options: [String])] {
        var rows: [String: (String, String?, [String])] = [:]
        for line in try split(grammar()).comments.split(separator: "\n") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 4 || cells.count == 5, cells[0].isEmpty, cells[1] != "keyword", cells[1] != "layer word" else { continue }
            XCTAssertNil(rows[cells[1]], "row \(cells[1]) given twice")
            let options = cells[cells.count - 1]
            rows[cells[1]] = (cells[2], cells.count == 5 ? cells[3] : nil,
                              options == "-" ? [] : options.split(separator: " ").map(String.init))
        }
        return rows
    }

    private func arguments(_ minimum: Int, _ maximum: Int?) -> String {
        guard let maximum else { return "\(minimum)+" }
        return minimum == maximum ? "\(minimum)" : "\(minimum)-\(maximum)"
    }

    private func options(_ list: [OptionSyntax]) -> [String] {
        list.map { option in
            var text = option.name
            if !option.takesValue { text += "!" }
            if option.perOutput { text += "@" }
            if let words = option.allowedWords {
                text += words == Vocabulary.activations ? "=activation-name" : words == Vocabulary.paddings ? "=padding-name"
                    : words == Vocabulary.colourMaps ? "=colour-map-name" : "=" + words.joined(separator: "|")
            }
            return text
        }
    }

    private func bareWords(_ layer: LayerSyntax) -> String {
        var words = layer.definition.activation == .none ? [] : ["activation-name"]
        words += layer.definition.words
        return words.isEmpty ? "-" : words.joined(separator: " ")
    }

    func testKeywordAndLayerTablesMatchTheVocabulary() throws {
        let rows = try tableRows()
        XCTAssertEqual(rows.count, Vocabulary.commandList.count + Vocabulary.layerList.count)
        for command in Vocabulary.commandList {
            guard let row = rows[command.keyword] else {
                XCTFail("keyword \(command.keyword) missing from the grammar's table")
                continue
            }
            XCTAssertEqual(row.arguments, arguments(command.minArguments, command.maxArguments) + (command.takesLayer ? " layer" : ""), command.keyword)
            XCTAssertEqual(row.options, options(command.options), command.keyword)
        }
        for layer in Vocabulary.layerList {
            guard let row = rows[layer.word] else {
                XCTFail("layer word \(layer.word) missing from the grammar's table")
                continue
            }
            XCTAssertEqual(row.arguments, arguments(layer.minArguments, layer.maxArguments), layer.word)
            XCTAssertEqual(row.options, options(layer.options), layer.word)
            XCTAssertEqual(row.bareWords, bareWords(layer), layer.word)
        }
    }
}
