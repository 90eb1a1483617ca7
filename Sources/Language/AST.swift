/// The syntax tree of cnnb: what the parser produces and the interpreter walks. Every node
/// carries the span of the source it came from. Parentheses leave no node of their own.

/// A word in the source with its place: a variable, an option name, a keyword.
public struct Identifier: Hashable, Sendable {
    public var name: String
    public var span: SourceSpan
    public init(_ name: String, span: SourceSpan) {
        self.name = name
        self.span = span
    }
}

public struct Statement: Hashable, Sendable {
    public var kind: StatementKind
    public var span: SourceSpan
    public init(_ kind: StatementKind, span: SourceSpan) {
        self.kind = kind
        self.span = span
    }
}

public enum StatementKind: Hashable, Sendable {
    /// `name = EXPR`
    case assignment(name: Identifier, value: Expr)
    /// `model NAME { item; item … }`; items are layers, named and reading named outputs, and
    /// at most one `outputs` line.
    case model(name: Identifier, items: [BlockItem])
    /// `KEYWORD argument* (option value?)*`: `fit cnn on data.train epochs 5`, `layer conv 32 3x3`.
    case command(Command)
    /// Any other expression, shown when evaluated: `data.train`, `conv 32 3x3`, `x[0]`.
    case expression(Expr)
}

/// One line of a model block: `stem = conv 16 3x3 relu`, `c1 = conv 8 1x1 from p`,
/// `add stem, b`, `base` (a model applied as a layer), or `outputs digit, odd`.
public struct BlockItem: Hashable, Sendable {
    /// `stem = …`: the name later lines read this output by.
    public var name: Identifier?
    /// The layer: a spec, or an expression naming a layer or model defined earlier; nil for
    /// an `outputs` line.
    public var value: Expr?
    /// What the layer reads (`from a, b`, or a merge's inputs `add a, b`); empty for the
    /// previous line's output.
    public var inputs: [Identifier]
    /// `outputs a, b`: the block's outputs (then `value` is nil).
    public var outputs: [Identifier]
    public var span: SourceSpan

    public init(name: Identifier? = nil, value: Expr?, inputs: [Identifier] = [], outputs: [Identifier] = [], span: SourceSpan) {
        self.name = name
        self.value = value
        self.inputs = inputs
        self.outputs = outputs
        self.span = span
    }
}

/// A statement keyword with its positional arguments and options, in source order. Also an
/// expression: `history = fit cnn on data.train epochs 5`.
public struct Command: Hashable, Sendable {
    public var keyword: Identifier
    public var arguments: [Expr]
    public var options: [NamedOption]
    public var span: SourceSpan
    public init(keyword: Identifier, arguments: [Expr], options: [NamedOption], span: SourceSpan) {
        self.keyword = keyword
        self.arguments = arguments
        self.options = options
        self.span = span
    }

    /// The option with this name, if given (the parser rejects repeated options).
    public func option(_ name: String) -> NamedOption? { options.first { $0.name.name == name } }
}

/// `stride 2`, `padding same`, or a flag without value (`labels`); an option that may be given
/// per output has either a `value` or `perOutput` values (`loss digit mse, odd mae`).
public struct NamedOption: Hashable, Sendable {
    public var name: Identifier
    public var value: Expr?
    /// `NAME VALUE` pairs, one per output named, in source order; empty for the one-value form.
    public var perOutput: [OutputValue]
    public var span: SourceSpan
    public init(name: Identifier, value: Expr?, perOutput: [OutputValue] = [], span: SourceSpan) {
        self.name = name
        self.value = value
        self.perOutput = perOutput
        self.span = span
    }
}

/// One output's value of a per-output option: `odd binary_crossentropy`.
public struct OutputValue: Hashable, Sendable {
    public var output: Identifier
    public var value: Expr
    public init(output: Identifier, value: Expr) {
        self.output = output
        self.value = value
    }
}

/// A layer written out: `conv 32 3x3 relu stride 2 padding same`.
///
/// `kind` is the word as written (`conv2d`, `pool`, …); `syntax` is what it means. Arguments
/// are positional in source order; a bare activation name among them is a `.name` expression
/// (the parser only lets activation names through bare).
public struct LayerSpec: Hashable, Sendable {
    public var kind: Identifier
    public var arguments: [Expr]
    public var options: [NamedOption]
    public var span: SourceSpan
    public init(kind: Identifier, arguments: [Expr], options: [NamedOption], span: SourceSpan) {
        self.kind = kind
        self.arguments = arguments
        self.options = options
        self.span = span
    }

    /// The meaning of `kind` in the layer registry; the parser only builds specs with known words.
    public var syntax: LayerSyntax? { LayerRegistry.byWord[kind.name] }
    public func option(_ name: String) -> NamedOption? { options.first { $0.name.name == name } }
}

public struct Expr: Hashable, Sendable {
    public var kind: ExprKind
    public var span: SourceSpan
    public init(_ kind: ExprKind, span: SourceSpan) {
        self.kind = kind
        self.span = span
    }
}

public enum UnaryOperator: String, Hashable, Sendable {
    case negate = "-"
}

public enum BinaryOperator: String, Hashable, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%"
    /// Python's `//`: the quotient rounded down.
    case floorDivide = "//"
    /// Comparisons select items: `data.train[data.train.labels == 3]`, `labels in [3, 5]`.
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case isIn = "in"

    public var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .isIn: return true
        default: return false
        }
    }
}

public indirect enum ExprKind: Hashable, Sendable {
    case integer(Int)
    case float(Double)
    case string(String)
    /// `32x32x3`, `3x3`: two or more axes (a single number is an `integer`).
    case size([Int])
    /// A variable or a bare word (dataset name, metric, activation): `data`, `cifar10`, `relu`.
    case name(String)
    /// `[1, 3, 5]`; nested lists are matrix literals: `[[1, 2], [3, 4]]`.
    case list([Expr])
    /// `data.train`
    case member(Expr, Identifier)
    /// `x.reshape 500x1`: a member that takes a value (`Vocabulary.methods`).
    case method(Expr, Identifier, Expr)
    /// `x[0]`, `x[0..<25]`, `cnn.layers[1, 3, 5]`
    case index(Expr, [Expr])
    /// `a..<b` (closed: false) or `a...b` (closed: true); either bound may be missing inside `[ ]`.
    case range(lower: Expr?, upper: Expr?, closed: Bool)
    case unary(UnaryOperator, Expr)
    case binary(BinaryOperator, Expr, Expr)
    /// A layer spec as a value: `c = conv 32 3x3 relu`.
    case layer(LayerSpec)
    /// A statement used as a value: `history = fit cnn on data.train epochs 5`.
    case command(Command)
}

/// A `.cnnb` file split into cells.
public struct Notebook: Hashable, Sendable {
    public var fileName: String
    public var cells: [Cell]
    public init(fileName: String, cells: [Cell]) {
        self.fileName = fileName
        self.cells = cells
    }
}

public enum CellKind: String, Hashable, Sendable {
    case code, markdown
}

public struct Cell: Hashable, Sendable {
    public var kind: CellKind
    /// The cell's text as written, from the line after its marker to the next marker.
    public var source: String
    /// File line of the cell's first source line (1-based).
    public var line: Int
    /// UTF-8 offset of `source` in the file.
    public var offset: Int
    /// Line of the `%%` marker; nil for code written before the first marker.
    public var markerLine: Int?
    /// The parsed statements of a code cell (those that parsed; see the diagnostics); empty for
    /// Markdown.
    public var statements: [Statement]

    public init(kind: CellKind, source: String, line: Int, offset: Int, markerLine: Int?, statements: [Statement]) {
        self.kind = kind
        self.source = source
        self.line = line
        self.offset = offset
        self.markerLine = markerLine
        self.statements = statements
    }

    /// `source` without trailing blank lines and spaces: the Markdown text, or the code as shown
    /// in a report.
    public var text: String {
        var scalars = Substring(source)
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
