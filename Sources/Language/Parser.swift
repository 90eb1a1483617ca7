/// Parses tokens into statements (see Grammar/cnnb.ebnf). Errors become diagnostics; the parser
/// then skips to the next statement (or the next layer inside a model block) and goes on, so one
/// run reports every independent mistake.
public struct Parser {
    /// Thrown inside the parser to abandon the current statement; caught at statement level.
    private struct Failure: Error {
        let diagnostic: Diagnostic
        /// The current token already starts the next statement: do not skip it.
        var resume = false
    }

    /// Where the expression being parsed sits, which decides where juxtaposed arguments stop.
    private struct Context {
        /// Option words of the enclosing statements: an argument list ends at them, so
        /// `layer conv 64 3x3 on 32x32x3` gives `on` to `layer`, not to `conv`.
        var stopWords: Set<String> = []
        /// Inside `[ ]` a comma ends an argument list instead of separating arguments.
        var commaEnds = false
        /// Inside an index `[ ]`, ranges may leave out a bound: `x[..<5]`, `x[5...]`.
        var inIndex = false
    }

    private static let maximumDepth = 64

    private func tooDeep() -> Failure {
        fail("expression nested too deeply", at: current.span,
             hint: "split it with intermediate names; each parenthesis, operator in a row, '.' and '[ ]' is a level, and 64 is the most")
    }

    /// Option names of each keyword and layer word, as sets (built once).
    private static let commandOptionNames: [String: Set<String>] =
        Vocabulary.commands.mapValues { Set($0.optionNames) }
    private static let layerOptionNames: [String: Set<String>] =
        Vocabulary.layers.mapValues { Set($0.options.map(\.name)) }

    /// The stop words of `outer` with `own` added, without copying when either is empty.
    private static func joined(_ outer: Set<String>, _ own: Set<String>) -> Set<String> {
        if outer.isEmpty { return own }
        if own.isEmpty { return outer }
        return outer.union(own)
    }

    private var tokens: [Token]
    /// The kind of each token without its payload: comparing these is what the parser does most.
    private let tags: [Tag]
    private var position = 0
    private var previousEnd = 0
    private var context = Context()
    private var depth = 0
    public private(set) var diagnostics: [Diagnostic] = []
    /// For each diagnostic, the source the parser had read when it gave up (from the start of
    /// the failed statement or layer to the token it stopped at), or nil.
    private var skipped: [Range<Int>?] = []

    public init(tokens: [Token]) {
        precondition(tokens.last?.kind == .end, "token streams end with .end")
        self.tokens = tokens
        self.tags = tokens.map { Tag($0.kind) }
        self.previousEnd = tokens.first?.span.offset ?? 0
    }

    /// Parses `source` (a REPL entry or a cell's text) into statements. `firstLine` numbers its
    /// first line.
    public static func parseStatements(_ source: String, file: String = "<input>", firstLine: Int = 1) -> ([Statement], [Diagnostic]) {
        let (tokens, lexical) = Lexer.tokenize(source, file: file, firstLine: firstLine)
        var parser = Parser(tokens: tokens)
        let statements = parser.parseStatements()
        return (statements, merge(lexical, parser))
    }

    /// Lexer and parser diagnostics in source order. A parser error is a consequence, not news,
    /// and is dropped, when it sits on the very span the lexer reported or when the statement it
    /// abandoned holds a lexical error: `x = 3×3` reports the '×', not the stray '3' after it.
    static func merge(_ lexical: [Diagnostic], _ parser: Parser) -> [Diagnostic] {
        let lexicalOffsets = lexical.map(\.span.offset).sorted()
        let offsetSet = Set(lexicalOffsets)
        /// Whether a lexical error starts in `range` (binary search: inputs may hold thousands).
        func holdsLexicalError(_ range: Range<Int>) -> Bool {
            var low = 0
            var high = lexicalOffsets.count
            while low < high {
                let middle = (low + high) / 2
                if lexicalOffsets[middle] < range.lowerBound { low = middle + 1 } else { high = middle }
            }
            return low < lexicalOffsets.count && lexicalOffsets[low] < range.upperBound
        }
        var kept: [Diagnostic] = []
        for (diagnostic, skipped) in zip(parser.diagnostics, parser.skipped) {
            if offsetSet.contains(diagnostic.span.offset) { continue }
            if let skipped, holdsLexicalError(skipped) { continue }
            kept.append(diagnostic)
        }
        return (lexical + kept).sorted { $0.span.offset < $1.span.offset }
    }

    /// Records `failure`, then skips to where parsing can go on (unless the failure says the
    /// current token already starts the next statement).
    private mutating func recover(from failure: Failure, statementStart start: Int, insideBlock: Bool) {
        diagnostics.append(failure.diagnostic)
        if failure.resume {
            skipped.append(nil)
            return
        }
        let reached = max(current.span.end, failure.diagnostic.span.end, start + 1)
        skipped.append(start..<reached)
        synchronize(insideBlock: insideBlock)
    }

    // MARK: - Tokens

    private var current: Token { tokens[position] }
    private var tag: Tag { tags[position] }
    private func peekTag(_ ahead: Int = 1) -> Tag { tags[min(position + ahead, tags.count - 1)] }

    private func peek(_ ahead: Int = 1) -> Token { tokens[min(position + ahead, tokens.count - 1)] }

    @discardableResult
    private mutating func advance() -> Token {
        let token = tokens[position]
        if position < tokens.count - 1 {
            position += 1
            previousEnd = token.span.end
        }
        return token
    }

    private func fail(_ message: String, at span: SourceSpan, hint: String? = nil, notes: [Diagnostic.Note] = []) -> Failure {
        Failure(diagnostic: .error(message, at: span, hint: hint, notes: notes))
    }

    private func isSeparator(_ kind: TokenKind) -> Bool {
        switch kind {
        case .newline, .semicolon, .end: return true
        default: return false
        }
    }

    private var atSeparator: Bool { tag == .newline || tag == .semicolon || tag == .end }

    private mutating func skipSeparators() {
        while tag == .newline || tag == .semicolon { advance() }
    }

    /// Tokens that can begin an expression.
    private func startsExpression(_ token: Token) -> Bool {
        switch token.kind {
        case .identifier, .integer, .float, .size, .string, .leftParen, .leftBracket, .minus: return true
        case .halfOpenRange, .closedRange: return context.inIndex
        default: return false
        }
    }

    // MARK: - Statements

    /// Statements up to the end of the tokens, separated by line breaks or `;`.
    public mutating func parseStatements() -> [Statement] {
        var statements: [Statement] = []
        while true {
            skipSeparators()
            if tag == .end { break }
            let start = current.span.offset
            do {
                let statement = try parseStatement()
                statements.append(statement)
                try expectStatementEnd()
            } catch let failure as Failure {
                recover(from: failure, statementStart: start, insideBlock: false)
            } catch {
                preconditionFailure("the parser only throws Failure")
            }
        }
        return statements
    }

    /// Skips to the next statement (or the next layer, or the closing brace, inside a block),
    /// stepping over whole `{ }` blocks.
    private mutating func synchronize(insideBlock: Bool) {
        var braces = 0
        while current.kind != .end {
            switch current.kind {
            case .leftBrace: braces += 1
            case .rightBrace:
                if braces == 0 {
                    if insideBlock { return }
                    advance()
                    continue
                }
                braces -= 1
            case .newline, .semicolon:
                if braces == 0 { return }
            default: break
            }
            advance()
        }
    }

    private mutating func expectStatementEnd() throws {
        if atSeparator { return }
        if tag == .rightBrace {
            throw fail("unexpected '}'", at: current.span, hint: "there is no open '{' for it to close")
        }
        if tag == .equals {
            throw fail("only a name can be assigned to", at: current.span, hint: "write: name = value")
        }
        throw fail("unexpected \(current.kind.described) after the statement", at: current.span,
                   hint: "put one statement per line, or separate statements with ';'")
    }

    private mutating func parseStatement() throws -> Statement {
        let token = current
        guard case .identifier(let word) = token.kind else {
            if token.kind == .rightBrace {
                throw fail("unexpected '}'", at: token.span, hint: "there is no open '{' for it to close")
            }
            let expr = try parseExpression()
            return Statement(.expression(expr), span: expr.span)
        }
        if peekTag() == .equals {
            let name = Identifier(word, span: token.span)
            if Vocabulary.isReserved(word) {
                let what = Vocabulary.layers[word] != nil ? "a layer kind" : "a keyword"
                throw fail("'\(word)' is \(what) and cannot be a variable name", at: token.span,
                           hint: "choose another name, such as '\(word)_1'")
            }
            advance()
            let equals = advance()
            guard startsExpression(current) else {
                throw fail("expected a value after '='", at: atSeparator ? equals.span : current.span,
                           hint: "write: \(word) = VALUE")
            }
            let value = try parseExpression()
            return Statement(.assignment(name: name, value: value), span: token.span.through(end: previousEnd))
        }
        if word == "model" {
            return try parseModel()
        }
        if Vocabulary.commands[word] != nil {
            let command = try parseCommand()
            return Statement(.command(command), span: command.span)
        }
        let expr = try parseExpression()
        if case .name(let name) = expr.kind, startsExpression(current), !atSeparator {
            if let kerasHint = Vocabulary.kerasLayerSuggestion(for: name) {
                throw fail("unknown layer kind '\(name)'", at: expr.span, hint: kerasHint)
            }
            let suggestion = nearestWord(to: name, among: Vocabulary.statementWords)
            let nearLayer = suggestion.map { Vocabulary.layers[$0] != nil } ?? false
            throw fail(nearLayer ? "unknown layer kind '\(name)'" : "unknown command '\(name)'", at: expr.span,
                       hint: suggestion.map { "did you mean '\($0)'?" }
                           ?? "statements start with one of: " + Vocabulary.commandList.map(\.keyword).joined(separator: ", ") + ", model")
        }
        return Statement(.expression(expr), span: expr.span)
    }

    /// `model NAME { item; item … }`; the block may span lines.
    private mutating func parseModel() throws -> Statement {
        let keyword = advance()
        guard case .identifier(let word) = current.kind, !Vocabulary.isReserved(word) else {
            let found = current
            if case .identifier(let word) = found.kind {
                throw fail("'\(word)' is a keyword and cannot name a model", at: found.span,
                           hint: "choose another name: model cnn { … }")
            }
            throw fail("expected a model name after 'model'", at: found.kind == .end || found.kind == .newline ? keyword.span : found.span,
                       hint: "write: model cnn { input 32x32x3; conv 32 3x3 relu; … }")
        }
        let name = Identifier(word, span: advance().span)
        var lookahead = 0
        while peekTag(lookahead) == .newline { lookahead += 1 }
        guard peekTag(lookahead) == .leftBrace else {
            throw fail("expected '{' after 'model \(word)'", at: tag == .end || tag == .newline ? name.span : current.span,
                       hint: "list the layers in braces: model \(word) { input 32x32x3; conv 32 3x3 relu; … }")
        }
        for _ in 0..<lookahead { advance() }
        let brace = advance()
        var items: [BlockItem] = []
        while true {
            skipSeparators()
            if tag == .rightBrace {
                advance()
                break
            }
            // A line starting a statement that cannot be an item (`fit …`, `model …`, `x = …`)
            // means the block was left open.
            let startsStatement = current.startsLine && current.kind.identifier.map {
                $0 == "model" || Vocabulary.commands[$0] != nil || (peekTag() == .equals && !namesBlockOutput)
            } == true
            if tag == .end || startsStatement {
                var failure = fail("unclosed '{' of model '\(word)'", at: brace.span,
                                   hint: "add '}' after the last layer")
                failure.resume = true
                throw failure
            }
            let start = current.span.offset
            do {
                items.append(try parseBlockItem())
                if !(atSeparator || tag == .rightBrace) {
                    throw fail("unexpected \(current.kind.described) after the layer", at: current.span,
                               hint: "separate layers with ';' or line breaks")
                }
            } catch let failure as Failure {
                recover(from: failure, statementStart: start, insideBlock: true)
            }
        }
        return Statement(.model(name: name, items: items), span: keyword.span.through(end: previousEnd))
    }

    /// `NAME = LAYER` inside a block: a name, '=' and a layer word (any other `x = …` line
    /// starts a statement, so the block was left open).
    private var namesBlockOutput: Bool {
        guard peekTag() == .equals, case .identifier(let word) = peek(2).kind else { return false }
        return Vocabulary.layers[word] != nil
    }

    /// One line of a model block: `[NAME =] ITEM [from A, B]`, `MERGE A, B [options]`, or
    /// `outputs A, B`. An item is a layer spec, or an expression naming a layer or model.
    private mutating func parseBlockItem() throws -> BlockItem {
        let start = current.span
        if case .identifier("outputs") = current.kind, peekTag() != .equals {
            advance()
            let names = try parseNameList(after: "outputs")
            return BlockItem(value: nil, outputs: names, span: start.through(end: previousEnd))
        }
        var name: Identifier?
        if case .identifier(let word) = current.kind, namesBlockOutput {
            name = Identifier(word, span: advance().span)
            advance()
        }
        let outer = context
        defer { context = outer }
        context = Context(stopWords: outer.stopWords.union(["from"]), commaEnds: outer.commaEnds, inIndex: false)
        let value: Expr
        var inputs: [Identifier] = []
        if case .identifier(let word) = current.kind, let syntax = Vocabulary.layers[word], syntax.definition.isMerge {
            // `add a, b`: the inputs stand where a layer's arguments would.
            let kindToken = advance()
            if case .identifier(let first) = current.kind, syntax.option(first) == nil, first != "from" {
                inputs = try parseNameList(after: word)
            }
            var options: [NamedOption] = []
            while case .identifier(let option) = current.kind, let optionSyntax = syntax.option(option) {
                options.append(try parseOption(optionSyntax, existing: options, owner: word, stopWords: ["from"]))
            }
            let spec = LayerSpec(kind: Identifier(word, span: kindToken.span), arguments: [], options: options,
                                 span: kindToken.span.through(end: previousEnd))
            value = Expr(.layer(spec), span: spec.span)
        } else {
            value = try parseBlockValue()
        }
        if case .identifier("from") = current.kind {
            let fromToken = advance()
            guard inputs.isEmpty else {
                throw fail("the inputs of this layer are given twice", at: fromToken.span,
                           hint: "list them once: either after the merge word or after 'from'")
            }
            inputs = try parseNameList(after: "from")
        }
        return BlockItem(name: name, value: value, inputs: inputs, span: start.through(end: previousEnd))
    }

    /// `a, b, c`: names of outputs defined earlier in the block.
    private mutating func parseNameList(after word: String) throws -> [Identifier] {
        var names: [Identifier] = []
        while true {
            guard case .identifier(let name) = current.kind else {
                throw fail("expected a name after \(names.isEmpty ? "'\(word)'" : "','")", at: current.span,
                           hint: "name outputs with NAME = LAYER, then list them: \(word) a, b")
            }
            names.append(Identifier(name, span: advance().span))
            guard tag == .comma else { return names }
            advance()
        }
    }

    /// A layer spec, or an expression naming a layer or model.
    private mutating func parseBlockValue() throws -> Expr {
        let token = current
        if case .identifier(let word) = token.kind {
            if Vocabulary.layers[word] != nil {
                return try parseExpression()
            }
            if word == "model" || Vocabulary.commands[word] != nil {
                throw fail("'\(word)' cannot appear inside a model block", at: token.span,
                           hint: "a model block lists layers, such as conv 32 3x3 relu; close the block with '}' first")
            }
            let next = peek()
            let nextIsFrom = next.kind.identifier == "from"
            if startsExpression(next) && !isSeparator(next.kind) && !nextIsFrom && !(next.kind == .leftBracket && !next.precededBySpace) {
                throw fail("unknown layer kind '\(word)'", at: token.span,
                           hint: Vocabulary.layerSuggestion(for: word) ?? "layer kinds are: " + Vocabulary.layerKindsForHint)
            }
        }
        return try parseExpression()
    }

    // MARK: - Commands and layers

    /// `KEYWORD argument* (option value?)*`, with arguments and options in any order; commas may
    /// separate arguments (`shape a, b`).
    private mutating func parseCommand() throws -> Command {
        let keywordToken = advance()
        let keyword = Identifier(keywordToken.kind.identifier ?? "", span: keywordToken.span)
        guard let syntax = Vocabulary.commands[keyword.name] else {
            throw fail("unknown command '\(keyword.name)'", at: keyword.span)
        }
        let outer = context
        defer { context = outer }
        let stopWords = Self.joined(outer.stopWords, Self.commandOptionNames[keyword.name] ?? [])
        var arguments: [Expr] = []
        var options: [NamedOption] = []
        while true {
            let token = current
            if atSeparator { break }
            if tag == .comma {
                if outer.commaEnds { break }
                guard !arguments.isEmpty else {
                    throw fail("unexpected ','", at: token.span, hint: "usage: \(syntax.usage)")
                }
                advance()
                guard startsExpression(current), !atSeparator else {
                    throw fail("expected a value after ','", at: token.span, hint: "usage: \(syntax.usage)")
                }
                continue
            }
            if case .identifier(let word) = token.kind {
                if let option = syntax.option(word) {
                    // Before the arguments are complete, `loss a b` is a value and an argument.
                    let argumentsDone = syntax.maxArguments.map { arguments.count >= $0 } ?? false
                    options.append(try parseOption(option, existing: options, owner: keyword.name,
                                                   stopWords: stopWords, pairsAllowed: argumentsDone))
                    continue
                }
                if outer.stopWords.contains(word) { break }
            }
            guard startsExpression(token) else { break }
            if syntax.takesLayer, case .identifier(let word) = token.kind, let first = arguments.first,
               case .layer(let spec) = first.kind, spec.syntax != nil,
               Vocabulary.layers[spec.kind.name]?.option(word) != nil, let last = options.last {
                // `layer dense 3 on 10 name "d"`: the layer's own option after the statement's.
                throw fail("'\(word)' is an option of \(spec.kind.name), not of \(keyword.name)", at: token.span,
                           hint: "give the layer's options before '\(last.name.name)': \(keyword.name) \(spec.kind.name) … \(word) … \(last.name.name) …")
            }
            if case .identifier(let word) = token.kind,
               (!options.isEmpty || (syntax.maxArguments.map { arguments.count >= $0 } ?? false)),
               Vocabulary.layers[word] == nil, Vocabulary.commands[word] == nil,
               let suggestion = nearestWord(to: word, among: syntax.optionNames) {
                throw fail("unknown option '\(word)' for \(keyword.name)", at: token.span,
                           hint: "did you mean '\(suggestion)'?")
            }
            if syntax.takesLayer && arguments.isEmpty {
                guard case .identifier(let word) = token.kind, Vocabulary.layers[word] != nil else {
                    let typed = token.kind.identifier
                    throw fail(typed.map { "unknown layer kind '\($0)'" } ?? "expected a layer kind after '\(keyword.name)'",
                               at: token.span,
                               hint: typed.flatMap { Vocabulary.layerSuggestion(for: $0) }
                                   ?? "write: \(syntax.usage), e.g. \(keyword.name) conv 32 3x3 relu on 32x32x3")
                }
            }
            context = Context(stopWords: stopWords, commaEnds: outer.commaEnds, inIndex: false)
            let argument: Expr
            if syntax.takesLayer && arguments.isEmpty {
                // The layer spec itself, not an expression starting with one: `layer conv 3 3 + 1`
                // is an error rather than a sum.
                let spec = try parseLayerSpec()
                argument = Expr(.layer(spec), span: spec.span)
            } else {
                argument = try parseExpression()
            }
            context = outer
            if let maximum = syntax.maxArguments, arguments.count >= maximum {
                throw fail("too many arguments for \(keyword.name)", at: argument.span,
                           hint: "usage: \(syntax.usage)")
            }
            arguments.append(argument)
        }
        if arguments.count < syntax.minArguments {
            let what = syntax.minArguments == 1 ? "an argument" : "\(syntax.minArguments) arguments"
            throw fail("\(keyword.name) needs \(what)", at: keyword.span, hint: "usage: \(syntax.usage)")
        }
        return Command(keyword: keyword, arguments: arguments, options: options,
                       span: keyword.span.through(end: previousEnd))
    }

    /// `name value` or a flag `name`. The value is one expression; it stops at the next option.
    /// With `pairsAllowed` (the command's arguments are complete), an option given per output
    /// may take `NAME VALUE` pairs instead.
    private mutating func parseOption(_ syntax: OptionSyntax, existing: [NamedOption], owner: String,
                                      stopWords: Set<String>, pairsAllowed: Bool = false) throws -> NamedOption {
        let nameToken = advance()
        let name = Identifier(syntax.name, span: nameToken.span)
        if let earlier = existing.first(where: { $0.name.name == syntax.name }) {
            throw fail("option '\(syntax.name)' is given twice", at: name.span,
                       hint: "keep one '\(syntax.name)'",
                       notes: [Diagnostic.Note("first given here", span: earlier.name.span)])
        }
        guard syntax.takesValue else {
            return NamedOption(name: name, value: nil, span: name.span)
        }
        let next = current
        // `epochs epochs`: an option's own name after it is a variable holding its value, as
        // Keras's `epochs=epochs`; any other option word there starts the next option.
        let nextIsWord = next.kind.identifier.map { stopWords.contains($0) && $0 != syntax.name } ?? false
        guard startsExpression(next), !nextIsWord else {
            throw fail("missing value after '\(syntax.name)'", at: name.span, hint: "write e.g. '\(syntax.example)'")
        }
        let outer = context
        context = Context(stopWords: stopWords, commaEnds: outer.commaEnds, inIndex: false)
        defer { context = outer }
        if syntax.perOutput, pairsAllowed, startsOutputValue(at: 0, stopWords: stopWords) {
            // `loss digit sparse_categorical_crossentropy, odd binary_crossentropy`: each value
            // ends at a comma, which starts the next pair.
            context.commaEnds = true
            var pairs: [OutputValue] = []
            repeat {
                if !pairs.isEmpty { advance() }
                let outputToken = advance()
                let output = Identifier(outputToken.kind.identifier ?? "", span: outputToken.span)
                if let earlier = pairs.first(where: { $0.output.name == output.name }) {
                    throw fail("output '\(output.name)' is given twice in \(syntax.name)", at: output.span,
                               hint: "give each output once", notes: [Diagnostic.Note("first given here", span: earlier.output.span)])
                }
                pairs.append(OutputValue(output: output, value: try optionValue()))
            } while tag == .comma && startsOutputValue(at: 1, stopWords: stopWords)
            if tag == .comma, let word = peek(1).kind.identifier, !stopWords.contains(word), !Vocabulary.isReserved(word),
               isSeparator(peek(2).kind) || peekTag(2) == .comma {
                throw fail("missing the \(syntax.name) of output '\(word)'", at: peek(1).span,
                           hint: "each output's name is followed by its value: …, \(word) VALUE")
            }
            return NamedOption(name: name, value: nil, perOutput: pairs, span: name.span.through(end: previousEnd))
        }
        let value = try optionValue()
        try checkAllowedWord(value, syntax, owner: owner)
        return NamedOption(name: name, value: value, span: name.span.through(end: previousEnd))
    }

    /// An option's value. It is never a layer: in `activation relu` and `stride relu` the layer
    /// word stands for itself.
    private mutating func optionValue() throws -> Expr {
        let next = current
        if let word = next.kind.identifier, Vocabulary.layers[word] != nil {
            advance()
            return Expr(.name(word), span: next.span)
        }
        return try parseExpression()
    }

    /// Whether the tokens `ahead` of the current one read `NAME VALUE`: an output's name (not an
    /// option word) followed, after a blank, by the start of a value other than '-' (`loss mse - 1`
    /// stays one value).
    private func startsOutputValue(at ahead: Int, stopWords: Set<String>) -> Bool {
        let first = peek(ahead), second = peek(ahead + 1)
        guard let word = first.kind.identifier, !stopWords.contains(word), !Vocabulary.isReserved(word) else { return false }
        if case .identifier(let next) = second.kind { return !stopWords.contains(next) }
        switch second.kind {
        case .integer, .float, .size, .string, .leftParen: return true
        case .leftBracket: return second.span.offset > first.span.end
        default: return false
        }
    }

    private func checkAllowedWord(_ value: Expr, _ syntax: OptionSyntax, owner: String) throws {
        if let allowed = syntax.allowedWords {
            let word: String?
            switch value.kind {
            case .name(let text), .string(let text): word = text
            default: word = nil
            }
            if let word, !allowed.contains(word) {
                let suggestion = nearestWord(to: word, among: allowed)
                throw fail("unknown \(syntax.name) '\(word)' for \(owner)", at: value.span,
                           hint: suggestion.map { "did you mean '\($0)'?" } ?? "\(syntax.name) is one of: " + allowed.joined(separator: ", "))
            }
        }
    }

    /// `KIND argument* (option value?)*`: `conv 32 3x3 relu stride 2 padding same`. A bare word
    /// among the arguments must be an activation; other values go in parentheses: `dense (n)`.
    private mutating func parseLayerSpec() throws -> LayerSpec {
        let kindToken = advance()
        let kind = Identifier(kindToken.kind.identifier ?? "", span: kindToken.span)
        guard let syntax = Vocabulary.layers[kind.name] else {
            throw fail("unknown layer kind '\(kind.name)'", at: kind.span)
        }
        let outer = context
        defer { context = outer }
        let stopWords = Self.joined(outer.stopWords, Self.layerOptionNames[kind.name] ?? [])
        var arguments: [Expr] = []
        var options: [NamedOption] = []
        while true {
            let token = current
            if atSeparator || tag == .comma { break }
            if case .identifier(let word) = token.kind {
                if let option = syntax.option(word) {
                    options.append(try parseOption(option, existing: options, owner: kind.name, stopWords: stopWords))
                    continue
                }
                // A word the layer takes bare (`conv 32 3x3 relu`, `randomflip horizontal`) comes
                // before reserved words: `relu` and `softmax` are layer words too.
                if syntax.bareWords.contains(word) && !outer.stopWords.contains(word) {
                    advance()
                    try addLayerArgument(Expr(.name(word), span: token.span), to: &arguments, syntax: syntax)
                    continue
                }
                if outer.stopWords.contains(word) || Vocabulary.isReserved(word) { break }
                if word == "on" {
                    throw fail("'on' is not an option of \(kind.name)", at: token.span,
                               hint: "to see a layer on an input shape, write: layer \(kind.name) … on SHAPE")
                }
                let candidates = syntax.options.map(\.name) + syntax.bareWords
                let suggestion = nearestWord(to: word, among: candidates)
                let what = syntax.definition.activation != .none ? " or activation" : syntax.bareWords.isEmpty ? "" : " or word"
                throw fail("'\(word)' is not an option\(what) of \(kind.name)", at: token.span,
                           hint: suggestion.map { "did you mean '\($0)'?" } ?? "usage: \(syntax.usage); a variable as argument goes in parentheses: (\(word))")
            }
            guard startsExpression(token) else { break }
            context = Context(stopWords: stopWords, commaEnds: true, inIndex: false)
            let argument = try parseUnary()
            context = outer
            try addLayerArgument(argument, to: &arguments, syntax: syntax)
        }
        if arguments.count < syntax.minArguments {
            throw fail("\(kind.name) needs \(syntax.minArguments == 1 ? "an argument" : "\(syntax.minArguments) arguments")",
                       at: kind.span, hint: "usage: \(syntax.usage)")
        }
        return LayerSpec(kind: kind, arguments: arguments, options: options, span: kind.span.through(end: previousEnd))
    }

    private func addLayerArgument(_ argument: Expr, to arguments: inout [Expr], syntax: LayerSyntax) throws {
        if arguments.count >= syntax.maxArguments {
            throw fail(syntax.maxArguments == 0 ? "\(syntax.word) takes no arguments" : "too many arguments for \(syntax.word)",
                       at: argument.span, hint: "usage: \(syntax.usage)")
        }
        arguments.append(argument)
    }

    // MARK: - Expressions

    /// range := additive [('..<' | '...') additive]
    public mutating func parseExpression() throws -> Expr {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maximumDepth {
            throw tooDeep()
        }
        if context.inIndex, tag == .halfOpenRange || tag == .closedRange {
            let op = advance()
            let upper = try rangeBound(after: op)
            return Expr(.range(lower: nil, upper: upper, closed: op.kind == .closedRange),
                        span: op.span.through(end: previousEnd))
        }
        let lower = try parseComparison()
        guard tag == .halfOpenRange || tag == .closedRange else { return lower }
        let op = advance()
        let upper = try rangeBound(after: op)
        return Expr(.range(lower: lower, upper: upper, closed: op.kind == .closedRange),
                    span: lower.span.through(end: previousEnd))
    }

    private mutating func rangeBound(after op: Token) throws -> Expr? {
        if context.inIndex && (tag == .comma || tag == .rightBracket) { return nil }
        guard startsExpression(current) else {
            throw fail("expected a bound after \(op.kind.described)", at: op.span, hint: "write a range as 0..<25")
        }
        return try parseAdditive()
    }

    /// Each operator of a chain (`a + b + c`, `x.a[0].b`) nests the tree one level deeper, so
    /// it counts against the depth limit like a parenthesis: a tree too deep to walk (or to free)
    /// recursively is never built.
    private mutating func deepenChain(_ chain: inout Int) throws {
        chain += 1
        depth += 1
        if depth > Self.maximumDepth {
            throw tooDeep()
        }
    }

    /// comparison := additive [('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in') additive]
    private mutating func parseComparison() throws -> Expr {
        let left = try parseAdditive()
        guard tag == .comparison || (tag == .identifier && current.kind == .identifier("in")) else { return left }
        let op: BinaryOperator
        switch current.kind {
        case .equalEqual: op = .equal
        case .notEqual: op = .notEqual
        case .less: op = .less
        case .lessEqual: op = .lessEqual
        case .greater: op = .greater
        case .greaterEqual: op = .greaterEqual
        case .identifier("in"): op = .isIn
        default: return left
        }
        let opToken = advance()
        let right = try operand(after: opToken, unary: false, parse: { try $0.parseAdditive() })
        return Expr(.binary(op, left, right), span: left.span.through(right.span))
    }

    private mutating func parseAdditive() throws -> Expr {
        var left = try parseMultiplicative()
        var chain = 0
        defer { depth -= chain }
        while tag == .plus || tag == .minus {
            try deepenChain(&chain)
            let op: BinaryOperator = tag == .plus ? .add : .subtract
            let opToken = advance()
            let right = try operand(after: opToken, unary: false, parse: { try $0.parseMultiplicative() })
            left = Expr(.binary(op, left, right), span: left.span.through(right.span))
        }
        return left
    }

    private mutating func parseMultiplicative() throws -> Expr {
        var left = try parseUnary()
        var chain = 0
        defer { depth -= chain }
        while tag == .star || tag == .slash || tag == .percent || tag == .doubleSlash {
            try deepenChain(&chain)
            let op: BinaryOperator = tag == .star ? .multiply : tag == .slash ? .divide : tag == .doubleSlash ? .floorDivide : .remainder
            let opToken = advance()
            let right = try operand(after: opToken, unary: false, parse: { try $0.parseUnary() })
            left = Expr(.binary(op, left, right), span: left.span.through(right.span))
        }
        return left
    }

    private mutating func operand(after op: Token, unary: Bool, parse: (inout Parser) throws -> Expr) throws -> Expr {
        guard startsExpression(current), current.kind != .halfOpenRange, current.kind != .closedRange else {
            throw fail("expected a value after \(op.kind.described)", at: op.span,
                       hint: unary ? "write the value to negate right after '-', as in -1" : "an operator needs a value on each side, as in data / 255")
        }
        return try parse(&self)
    }

    private mutating func parseUnary() throws -> Expr {
        guard tag == .minus else { return try parsePostfix() }
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maximumDepth {
            throw tooDeep()
        }
        let op = advance()
        let operand = try operand(after: op, unary: true, parse: { try $0.parseUnary() })
        return Expr(.unary(.negate, operand), span: op.span.through(operand.span))
    }

    /// primary ('.' NAME | '[' index ']')*, where '.' and '[' touch what precedes them.
    private mutating func parsePostfix() throws -> Expr {
        var expr = try parsePrimary()
        var chain = 0
        defer { depth -= chain }
        while !current.precededBySpace && (tag == .dot || tag == .leftBracket) {
            try deepenChain(&chain)
            if tag == .dot {
                let dot = advance()
                guard case .identifier(let member) = current.kind, !current.precededBySpace else {
                    throw fail("expected a name after '.'", at: dot.span, hint: "write e.g. data.train")
                }
                let name = Identifier(member, span: advance().span)
                expr = Expr(.member(expr, name), span: expr.span.through(name.span))
                // `x.reshape 500x1`: the value follows after a space, on the same line.
                if Vocabulary.methods.contains(member), current.precededBySpace, !current.startsLine,
                   tag == .size || tag == .integer || tag == .leftBracket || tag == .leftParen {
                    let argument = try parsePrimary()
                    expr = Expr(.method(Self.methodBase(expr), name, argument), span: expr.span.through(argument.span))
                }
            } else if tag == .leftBracket {
                let open = advance()
                let indices = try parseElements(open: open, inIndex: true, what: "index")
                guard !indices.isEmpty else {
                    throw fail("expected an index inside '[ ]'", at: open.span, hint: "write e.g. x[0] or x[0..<25]")
                }
                expr = Expr(.index(expr, indices), span: expr.span.through(end: previousEnd))
            } else {
                break
            }
        }
        return expr
    }

    /// The base of `x.reshape` (a member expression just built).
    private static func methodBase(_ expr: Expr) -> Expr {
        if case .member(let base, _) = expr.kind { return base }
        return expr
    }

    /// Comma-separated expressions up to the `]` matching `open` (already consumed).
    private mutating func parseElements(open: Token, inIndex: Bool, what: String) throws -> [Expr] {
        let outer = context
        context = Context(stopWords: [], commaEnds: true, inIndex: inIndex)
        defer { context = outer }
        var elements: [Expr] = []
        while true {
            if tag == .rightBracket {
                advance()
                return elements
            }
            if !elements.isEmpty {
                guard tag == .comma else { throw unclosedOrExpected(open: open, closer: "]", what: what) }
                advance()
                if tag == .rightBracket {
                    advance()
                    return elements
                }
            }
            guard startsExpression(current) else { throw unclosedOrExpected(open: open, closer: "]", what: what) }
            elements.append(try parseExpression())
        }
    }

    /// A missing closer: when the next token sits on a later line (or there is none), the bracket
    /// was left open; otherwise something unexpected stands where the closer should be.
    private func unclosedOrExpected(open: Token, closer: String, what: String) -> Failure {
        let opener = open.kind.described
        if tag == .end || current.startsLine || (current.span.line > open.span.line && current.kind.identifier != nil) {
            return fail("unclosed \(opener)", at: open.span, hint: "add '\(closer)' to close the \(what)")
        }
        let expected = closer == "]" ? "',' or ']'" : "')'"
        return fail("expected \(expected) in the \(what), found \(current.kind.described)", at: current.span,
                    hint: closer == "]" ? "separate the elements with ',' and close with ']'" : "close the parenthesis before going on",
                    notes: [Diagnostic.Note("\(opener) opened here", span: open.span)])
    }

    private mutating func parsePrimary() throws -> Expr {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maximumDepth {
            throw tooDeep()
        }
        let token = current
        switch token.kind {
        case .integer(let value):
            advance()
            return Expr(.integer(value), span: token.span)
        case .float(let value):
            advance()
            return Expr(.float(value), span: token.span)
        case .string(let value):
            advance()
            return Expr(.string(value), span: token.span)
        case .size(let axes):
            advance()
            return Expr(.size(axes), span: token.span)
        case .identifier(let word):
            if Vocabulary.layers[word] != nil {
                let spec = try parseLayerSpec()
                return Expr(.layer(spec), span: spec.span)
            }
            if Vocabulary.commands[word] != nil {
                let command = try parseCommand()
                return Expr(.command(command), span: command.span)
            }
            if word == "model", position > 0, tokens[position - 1].kind == .identifier("load") {
                // `load model "m.keras"`: the word says what is loaded.
                advance()
                return Expr(.name(word), span: token.span)
            }
            if word == "model" {
                throw fail("'model' starts a model definition and cannot be used as a value", at: token.span,
                           hint: "define the model on its own line: model cnn { … }")
            }
            advance()
            return Expr(.name(word), span: token.span)
        case .leftParen:
            let open = advance()
            let outer = context
            context = Context()
            defer { context = outer }
            guard startsExpression(current) else {
                if tag == .rightParen {
                    throw fail("expected a value inside '( )'", at: open.span, hint: "write a value between them, as in (n)")
                }
                throw unclosedOrExpected(open: open, closer: ")", what: "parenthesis")
            }
            let inner = try parseExpression()
            guard tag == .rightParen else {
                throw unclosedOrExpected(open: open, closer: ")", what: "parenthesis")
            }
            advance()
            // No node of its own, but the span covers the parentheses: `(a + b) * c` spans it all.
            return Expr(inner.kind, span: open.span.through(end: previousEnd))
        case .leftBracket:
            let open = advance()
            let elements = try parseElements(open: open, inIndex: false, what: "list")
            return Expr(.list(elements), span: open.span.through(end: previousEnd))
        default:
            throw fail("expected a value, found \(token.kind.described)", at: token.span,
                       hint: "a value is a number, a size (3x3), a string, a name, a list [1, 2] or an expression in ( )")
        }
    }
}

/// A token kind without its payload.
private enum Tag: UInt8 {
    case identifier, integer, float, size, string, newline, semicolon, comma, dot
    case leftParen, rightParen, leftBracket, rightBracket, leftBrace, rightBrace
    case plus, minus, star, slash, percent, equals, halfOpenRange, closedRange, end
    case doubleSlash, comparison

    init(_ kind: TokenKind) {
        switch kind {
        case .identifier: self = .identifier
        case .integer: self = .integer
        case .float: self = .float
        case .size: self = .size
        case .string: self = .string
        case .newline: self = .newline
        case .semicolon: self = .semicolon
        case .comma: self = .comma
        case .dot: self = .dot
        case .leftParen: self = .leftParen
        case .rightParen: self = .rightParen
        case .leftBracket: self = .leftBracket
        case .rightBracket: self = .rightBracket
        case .leftBrace: self = .leftBrace
        case .rightBrace: self = .rightBrace
        case .plus: self = .plus
        case .minus: self = .minus
        case .star: self = .star
        case .slash: self = .slash
        case .percent: self = .percent
        case .equals: self = .equals
        case .doubleSlash: self = .doubleSlash
        case .equalEqual, .notEqual, .less, .lessEqual, .greater, .greaterEqual: self = .comparison
        case .halfOpenRange: self = .halfOpenRange
        case .closedRange: self = .closedRange
        case .end: self = .end
        }
    }
}
