import Basics
import Engine

/// The layer registry: each layer kind defined once — its words, positional arguments,
/// options and builder — in `LayerCatalog`. The parser's checks and hints, `:help`, completion,
/// the grammar's table test, `makeLayer` and `explain` all read it.
///
/// Adding a layer = its Engine file, one `LayerDefinition` in `LayerCatalog.definitions`, its
/// row in Grammar/cnnb.ebnf, and tests.
public struct LayerDefinition: @unchecked Sendable {
    /// One word of the kind and what it implies: `conv1d` is rank 1, Keras's `Conv1D`.
    public struct Form: Sendable {
        public let word: String
        /// Spatial axes the word implies; nil for layers that take any input rank (`dense`).
        public let rank: Int?
        public let kerasClass: String
    }

    /// A positional argument: `FILTERS` (`32`), `KERNEL` (`3x3`, one side per spatial axis).
    public struct Argument: Sendable {
        public let name: String
        let example: String
        /// The example is a size, written once per spatial axis (`3` → `3x3` for rank 2).
        let perAxis: Bool
        public let optional: Bool

        public static func required(_ name: String, _ example: String, perAxis: Bool = false) -> Argument {
            Argument(name: name, example: example, perAxis: perAxis, optional: false)
        }
        public static func optional(_ name: String, _ example: String, perAxis: Bool = false) -> Argument {
            Argument(name: name, example: example, perAxis: perAxis, optional: true)
        }

        func example(rank: Int?) -> String {
            perAxis ? Array(repeating: example, count: rank ?? 1).joined(separator: "x") : example
        }
    }

    /// Whether a bare activation name may stand among the arguments (`conv 32 3x3 relu`), and
    /// whether one is required (`activation relu`).
    public enum ActivationUse: Sendable { case none, optional, required }

    /// Short name used in messages and help: `conv`.
    public let id: String
    public let forms: [Form]
    public let arguments: [Argument]
    public let activation: ActivationUse
    /// Bare words (besides activations) an argument may be: `randomflip horizontal`.
    public let words: [String]
    /// The layer's own options; `activation` (when it takes one) and `name` are added to every form.
    public let ownOptions: [OptionSyntax]
    /// What the layer does, one line, for `:help`.
    public let summary: String
    /// Makes the engine layer from evaluated arguments.
    let build: (LayerArguments) throws -> any Layer
    /// Sentences `explain` adds after the generic window and parameter lines.
    let explain: ((any Layer, Explanation) -> [String])?
    /// A merge layer: it joins the outputs named after its word (`add a, b`) inside a model block.
    public let isMerge: Bool

    init(_ id: String, forms: [Form], arguments: [Argument] = [], activation: ActivationUse = .none,
                words: [String] = [], options: [OptionSyntax] = [], summary: String,
                build: @escaping (LayerArguments) throws -> any Layer,
                explain: ((any Layer, Explanation) -> [String])? = nil, isMerge: Bool = false) {
        self.id = id
        self.forms = forms
        self.arguments = arguments
        self.activation = activation
        self.words = words
        self.ownOptions = options
        self.summary = summary
        self.build = build
        self.explain = explain
        self.isMerge = isMerge
    }

    /// `input` starts a model and is no layer of its own.
    public var isInput: Bool { id == "input" }

    /// `conv`, `conv1d`, `conv2d`, `conv3d`: Keras's `Conv{N}D` under a plain word (rank 2)
    /// and one word per suffix.
    public static func ranked(_ stem: String, keras: (Int) -> String, ranks: [Int] = [1, 2, 3],
                              plain: Int? = 2) -> [Form] {
        var forms: [Form] = []
        if let plain { forms.append(Form(word: stem, rank: plain, kerasClass: keras(plain))) }
        for rank in ranks { forms.append(Form(word: "\(stem)\(rank)d", rank: rank, kerasClass: keras(rank))) }
        return forms
    }

    /// A word of a layer that takes any input rank.
    public static func single(_ word: String, keras: String) -> [Form] {
        [Form(word: word, rank: nil, kerasClass: keras)]
    }
}

/// One layer word as the parser and help see it: the form, its definition, and the options
/// and argument counts that follow from both.
public struct LayerSyntax: Sendable {
    public let form: LayerDefinition.Form
    public let definition: LayerDefinition
    public var word: String { form.word }
    public var rank: Int? { form.rank }
    public let options: [OptionSyntax]
    /// Positional arguments as written, a bare activation included.
    public let minArguments: Int
    public let maxArguments: Int
    /// `conv1d FILTERS KERNEL [ACTIVATION] [stride S] … (e.g. conv1d 32 3 relu)`.
    public let usage: String
    /// The example in `usage`: `conv1d 32 3 relu`.
    public let example: String
    /// Bare words an argument may be: activation names (when it takes one) and its own words.
    public let bareWords: [String]

    init(form: LayerDefinition.Form, definition: LayerDefinition) {
        self.form = form
        self.definition = definition
        var options = definition.ownOptions
        if definition.activation == .optional { options.append(Vocabulary.activationOption) }
        options.append(Vocabulary.nameOption)
        self.options = options
        let required = definition.arguments.filter { !$0.optional }.count
        minArguments = required + (definition.activation == .required ? 1 : 0)
        maxArguments = definition.arguments.count + (definition.activation == .none ? 0 : 1)
        bareWords = (definition.activation == .none ? [] : Vocabulary.activations) + definition.words
        var pattern = [form.word]
        var example = [form.word]
        for argument in definition.arguments {
            pattern.append(argument.optional ? "[\(argument.name)]" : argument.name)
            example.append(argument.example(rank: form.rank))
        }
        switch definition.activation {
        case .none: break
        case .optional: pattern.append("[ACTIVATION]"); example.append("relu")
        case .required: pattern.append("NAME"); example.append("relu")
        }
        pattern += definition.ownOptions.map { "[\($0.usage)]" }
        self.example = example.joined(separator: " ")
        usage = pattern.joined(separator: " ") + (example.count > 1 ? " (e.g. \(self.example))" : "")
    }

    public func option(_ name: String) -> OptionSyntax? { options.first { $0.name == name } }
}

/// The evaluated arguments of one layer spec, handed to a definition's builder. Errors name
/// the argument's position in the source.
public final class LayerArguments {
    public let spec: LayerSpec
    public let syntax: LayerSyntax
    /// Positional arguments without the bare activation.
    public let positionals: [Expr]
    /// The activation given bare or as `activation NAME`; linear when none.
    public let activation: Activation
    let interpreter: Interpreter
    var outputs: [Output] = []

    init(spec: LayerSpec, syntax: LayerSyntax, positionals: [Expr], activation: Activation, interpreter: Interpreter) {
        self.spec = spec
        self.syntax = syntax
        self.positionals = positionals
        self.activation = activation
        self.interpreter = interpreter
    }

    /// Spatial axes of the word (`conv1d`: 1); 2 for rank-free words.
    public var rank: Int { syntax.rank ?? 2 }
    public var count: Int { positionals.count }
    public var word: String { syntax.word }

    func value(_ index: Int) throws -> Value { try interpreter.evaluate(positionals[index], outputs: &outputs) }

    func integer(_ index: Int, what: String, minimum: Int = 1) throws -> Int {
        try interpreter.integer(try value(index), at: positionals[index].span, what: what, minimum: minimum)
    }

    func number(_ index: Int, what: String) throws -> Double {
        guard case .number(let x) = try value(index) else {
            throw Diagnostic.error("\(what) must be a number, got \(try value(index).brief)", at: positionals[index].span,
                                   hint: "usage: \(syntax.usage)")
        }
        return x
    }

    /// A bare word among the arguments (`horizontal`), or nil.
    func bareWord(_ index: Int) -> String? {
        guard index < count, case .name(let n) = positionals[index].kind, syntax.bareWords.contains(n) else { return nil }
        return n
    }

    /// A size with one side per spatial axis (`3x3`), or one number for every axis.
    func sizes(_ index: Int, what: String, rank: Int? = nil) throws -> [Int] {
        try interpreter.layerSizes(try value(index), at: positionals[index].span, rank: rank ?? self.rank, what: what)
    }

    func option(_ name: String) -> NamedOption? { spec.option(name) }

    func optionValue(_ name: String) throws -> (Value, Expr)? {
        guard let option = spec.option(name), let expr = option.value else { return nil }
        return (try interpreter.evaluate(expr, outputs: &outputs), expr)
    }

    func sizesOption(_ name: String, what: String) throws -> [Int]? {
        guard let (value, expr) = try optionValue(name) else { return nil }
        return try interpreter.layerSizes(value, at: expr.span, rank: rank, what: what)
    }

    func numberOption(_ name: String, what: String) throws -> Double? {
        guard let (value, expr) = try optionValue(name) else { return nil }
        guard case .number(let x) = value else {
            throw Diagnostic.error("\(what) must be a number, got \(value.brief)", at: expr.span)
        }
        return x
    }

    func integerOption(_ name: String, what: String, minimum: Int = 1) throws -> Int? {
        guard let (value, expr) = try optionValue(name) else { return nil }
        return try interpreter.integer(value, at: expr.span, what: what, minimum: minimum)
    }

    /// `padding valid|same`, valid when not given.
    func padding() throws -> Padding {
        guard let (value, expr) = try optionValue("padding") else { return .valid }
        let w = try interpreter.word(value, at: expr.span, what: "the padding")
        guard let p = Padding(rawValue: w) else {
            throw Diagnostic.error("padding must be valid or same, got '\(w)'", at: expr.span)
        }
        return p
    }

    /// A fresh seed from the session, for layers with randomness of their own.
    func seed() -> UInt64 { interpreter.nextSeed() }
}

public enum LayerRegistry {
    /// Every layer word, in the order help and hints list them.
    public static let syntaxes: [LayerSyntax] = LayerCatalog.definitions.flatMap { definition in
        definition.forms.map { LayerSyntax(form: $0, definition: definition) }
    }

    public static let byWord: [String: LayerSyntax] = Dictionary(uniqueKeysWithValues: syntaxes.map { ($0.word, $0) })

    /// Keras's class names, lower-cased, to the cnnb word that makes them: `batchnormalization` →
    /// `batchnorm`, `conv2d` → `conv`. Used to answer a Keras name with "did you mean".
    public static let kerasNames: [String: String] = {
        var names: [String: String] = [:]
        for syntax in syntaxes {
            // The first word listed for a class is its usual one: `conv` for Conv2D, `maxpool` for MaxPooling2D.
            let key = syntax.form.kerasClass.lowercased()
            if names[key] == nil { names[key] = syntax.word }
        }
        return names
    }()
}
