import Foundation
import Language
import XCTest

/// Syntax trees with every span replaced by one placeholder, so trees parsed from different
/// text (a program and its printed form) compare equal when only their layout differs.
enum Unspanned {
    static let span = SourceSpan(file: "", line: 0, column: 0, offset: 0, length: 0)

    static func identifier(_ id: Identifier) -> Identifier { Identifier(id.name, span: span) }

    static func statement(_ s: Statement) -> Statement {
        switch s.kind {
        case .assignment(let name, let value):
            return Statement(.assignment(name: identifier(name), value: expr(value)), span: span)
        case .model(let name, let items):
            return Statement(.model(name: identifier(name), items: items.map { item in
                BlockItem(name: item.name.map(identifier), value: item.value.map(expr), inputs: item.inputs.map(identifier),
                          outputs: item.outputs.map(identifier), span: span)
            }), span: span)
        case .command(let c):
            return Statement(.command(command(c)), span: span)
        case .expression(let e):
            return Statement(.expression(expr(e)), span: span)
        }
    }

    static func command(_ c: Command) -> Command {
        Command(keyword: identifier(c.keyword), arguments: c.arguments.map(expr), options: c.options.map(option), span: span)
    }

    static func option(_ o: NamedOption) -> NamedOption {
        NamedOption(name: identifier(o.name), value: o.value.map(expr), span: span)
    }

    static func layer(_ l: LayerSpec) -> LayerSpec {
        LayerSpec(kind: identifier(l.kind), arguments: l.arguments.map(expr), options: l.options.map(option), span: span)
    }

    static func expr(_ e: Expr) -> Expr {
        let kind: ExprKind
        switch e.kind {
        case .integer, .float, .string, .size, .name: kind = e.kind
        case .list(let elements): kind = .list(elements.map(expr))
        case .member(let base, let name): kind = .member(expr(base), identifier(name))
        case .method(let base, let name, let argument): kind = .method(expr(base), identifier(name), expr(argument))
        case .index(let base, let indices): kind = .index(expr(base), indices.map(expr))
        case .range(let lower, let upper, let closed): kind = .range(lower: lower.map(expr), upper: upper.map(expr), closed: closed)
        case .unary(let op, let operand): kind = .unary(op, expr(operand))
        case .binary(let op, let left, let right): kind = .binary(op, expr(left), expr(right))
        case .layer(let spec): kind = .layer(layer(spec))
        case .command(let c): kind = .command(command(c))
        }
        return Expr(kind, span: span)
    }
}

/// Parses `source` as statements and returns their tree dumps, failing on any diagnostic.
func trees(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
    let (statements, diagnostics) = Parser.parseStatements(source)
    XCTAssertEqual(diagnostics.map(\.description), [], "diagnostics for: \(source)", file: file, line: line)
    return statements.map(\.treeDescription)
}

/// The one statement `source` holds, failing when there is not exactly one or any diagnostic.
func single(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> Statement? {
    let (statements, diagnostics) = Parser.parseStatements(source)
    XCTAssertEqual(diagnostics.map(\.description), [], "diagnostics for: \(source)", file: file, line: line)
    XCTAssertEqual(statements.count, 1, "statements of: \(source)", file: file, line: line)
    return statements.first
}

/// The text a span covers.
func text(of span: SourceSpan, in source: String) -> String {
    let bytes = Array(source.utf8)
    return String(decoding: bytes[span.offset..<min(span.end, bytes.count)], as: UTF8.self)
}

/// Prints `statements` back as source, one per line.
func printed(_ statements: [Statement]) -> String {
    statements.map { SourcePrinter.render($0) + "\n" }.joined()
}

/// Why a parse result breaks the parser's contract, or nil when it keeps it:
/// - every character of the input that is not blank or a comment lies in a token, and every token
///   in a statement (inside a model block: in one of its items), unless an error was reported;
/// - spans point inside the input;
/// - an input parsed without diagnostics prints as text that parses to the same trees.
func contractViolation(source: String, statements: [Statement], diagnostics: [Diagnostic],
                       tokens makeTokens: () -> [Token], range: Range<Int>) -> String? {
    let bytes = Array(source.utf8)
    for statement in statements where statement.span.offset < range.lowerBound || statement.span.end > range.upperBound {
        return "statement span \(statement.span) outside the input"
    }
    for diagnostic in diagnostics where diagnostic.span.offset < 0 || diagnostic.span.offset > bytes.count
        || diagnostic.span.line < 1 || diagnostic.span.column < 1 {
        return "diagnostic span \(diagnostic.span) outside the input"
    }
    let hasError = diagnostics.contains { $0.severity == .error }
    if hasError { return nil }
    let tokens = makeTokens()

    // Characters outside tokens must be blanks or comments.
    var inToken = [Bool](repeating: false, count: bytes.count)
    for token in tokens where token.kind != .end {
        for i in token.span.offset..<min(token.span.end, bytes.count) { inToken[i] = true }
    }
    var i = range.lowerBound
    while i < range.upperBound {
        if !inToken[i] {
            let byte = bytes[i]
            if byte == UInt8(ascii: "#") {
                while i < range.upperBound && bytes[i] != UInt8(ascii: "\n") { i += 1 }
                continue
            }
            if byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") && byte != UInt8(ascii: "\r") && byte != UInt8(ascii: "\n") {
                return "byte \(i) ('\(Character(Unicode.Scalar(byte)))') dropped without an error"
            }
        }
        i += 1
    }

    // Tokens outside statements (or outside a block's items) were dropped.
    var inStatement = [Bool](repeating: false, count: bytes.count + 1)
    var inBlock = [Bool](repeating: false, count: bytes.count + 1)
    func mark(_ mask: inout [Bool], _ from: Int, _ to: Int) {
        var i = max(from, 0)
        while i < min(to, bytes.count) { mask[i] = true; i += 1 }
    }
    for statement in statements {
        if case .model(let name, let items) = statement.kind {
            mark(&inStatement, statement.span.offset, name.span.end)
            for item in items { mark(&inStatement, item.span.offset, item.span.end) }
            mark(&inBlock, statement.span.offset, statement.span.end)
        } else {
            mark(&inStatement, statement.span.offset, statement.span.end)
        }
    }
    for token in tokens {
        switch token.kind {
        case .newline, .semicolon, .end: continue
        case .leftBrace, .rightBrace:
            if inBlock[token.span.offset] { continue }
        default: break
        }
        if !inStatement[token.span.offset] {
            return "token \(token.kind) at \(token.span) dropped without an error"
        }
    }

    // Round trip through the printer.
    let text = printed(statements)
    let (again, againDiagnostics) = Parser.parseStatements(text)
    if !againDiagnostics.isEmpty {
        return "printed text does not parse:\n\(text)\n" + renderDiagnostics(againDiagnostics, source: text)
    }
    let before = statements.map(Unspanned.statement)
    let after = again.map(Unspanned.statement)
    if before != after {
        return "printed text parses differently:\n\(text)\nbefore: \(statements.map(\.treeDescription))\nafter:  \(again.map(\.treeDescription))"
    }
    return nil
}

/// The notebooks shipped in Notebooks/, as (file name, text).
func shippedNotebooks() throws -> [(name: String, text: String)] {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Notebooks")
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".cnnb") }.sorted()
    return try names.map { ($0, try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8)) }
}
