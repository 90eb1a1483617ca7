import Basics
import Datasets
import Engine
import Foundation
import Render

/// What a statement gives back: text, text with an HTML form (a model's summary table), a
/// figure already written to a PNG file, or training progress that a `TrainingObserver` has
/// already shown as it happened.
public enum Output {
    case text(String)
    case table(text: String, html: String)
    case figure(Figure, path: String)
    case progress(String)

    /// The text of `text` and `table` outputs.
    public var plainText: String? {
        switch self {
        case .text(let text), .table(let text, _): return text
        case .figure, .progress: return nil
        }
    }
}

/// Watches training as it happens: `line` gets each finished line (`Epoch 1/5`, the epoch's
/// summary), `live` the redrawn line of the running epoch when `isLive` (a terminal).
public protocol TrainingObserver: AnyObject {
    var isLive: Bool { get }
    /// Whether the live line may carry ANSI colour (the front end's decision, passed in).
    var colour: Bool { get }
    func line(_ text: String)
    func live(_ text: String)
    /// After each epoch: the epoch (from 1) and its metrics in Keras's order, for live charts.
    func epochEnded(_ epoch: Int, metrics: [(String, Double)])
}

extension TrainingObserver {
    public func epochEnded(_ epoch: Int, metrics: [(String, Double)]) {}
}

extension TrainingObserver {
    public var colour: Bool { false }
}

/// The named values that live between cells and REPL lines, and the settings statements share.
/// A failing statement leaves every value as it was: assignments happen only after the
/// right-hand side evaluated without error.
public final class Session {
    public private(set) var variables: [String: Value] = [:]
    /// Order names were first defined, for listings.
    public private(set) var definitionOrder: [String] = []

    /// Where figures are written (`DIR/figures/NN-what.png`), and the only folder statements
    /// write into unless `allowedWriteFolders` names another (see `writablePath`).
    public var outputDirectory: String
    /// Folders outside the output folder that statements may write into (`--allow-write DIR`,
    /// `:allow-write DIR`); every front end passes them here.
    public var allowedWriteFolders: [String] = []
    /// Files this session wrote in the output folder, in order, for the run's manifest.
    public internal(set) var writtenFiles: [String] = []
    /// When set (`cnnb run`), the output folder's manifest is rewritten after every file.
    public var keepsManifest = false
    /// Dataset search settings (`--data DIR`, `$CNNB_DATA`, …).
    public var dataOptions: DataOptions
    /// When set, `load` keeps only the first N training and N/5 test images: quick runs of a
    /// lesson (`CNNB_LIMIT=2000 cnnb run …`).
    public var imageLimit: Int?
    /// When set, `fit` runs at most this many epochs.
    public var epochLimit: Int?
    /// Shown training progress as it happens; nil when nobody watches.
    public var trainingObserver: (any TrainingObserver)?
    /// Polled between training batches; true stops training after the current batch.
    public var shouldStop: () -> Bool = { false }
    /// Bytes of memory free now; work that needs more is refused before it allocates.
    public var availableMemory: () -> Int = SystemMemory.available
    /// The most pixels one figure may have (64 megapixels, 256 MB as RGBA).
    public var figurePixelLimit = 1 << 26
    /// Seeds weights and shuffling; each model takes the next seed so runs repeat exactly.
    public var seed: UInt64 = 1
    /// Checking only (`cnnb check`): statements that build layers and models run, those that
    /// load data, train or draw are skipped.
    public var checkOnly = false
    /// The text the running statements were parsed from (a notebook file, a cell, a REPL
    /// entry), so warnings can show their source line; nil when unknown.
    public var source: String?
    var figureCount = 0
    /// While checking: names that statements skipped would have defined.
    var uncheckedNames: Set<String> = []

    public init(outputDirectory: String = "cnnb-out", dataOptions: DataOptions = DataOptions(),
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.outputDirectory = outputDirectory
        self.dataOptions = dataOptions
        imageLimit = environment["CNNB_LIMIT"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        epochLimit = environment["CNNB_EPOCHS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
    }

    public subscript(name: String) -> Value? { variables[name] }

    public func set(_ name: String, _ value: Value) {
        if variables[name] == nil { definitionOrder.append(name) }
        variables[name] = value
    }

    /// Forgets every value (the REPL's `:reset`).
    public func reset() {
        variables.removeAll()
        definitionOrder.removeAll()
        uncheckedNames.removeAll()
    }

    /// Writes a figure as the next PNG under `outputDirectory/figures`.
    func record(_ figure: Figure, name: String) throws -> Output {
        let size = figure.pixelSize
        guard size.width * size.height <= figurePixelLimit else {
            throw FigureTooLarge(width: size.width, height: size.height, limit: figurePixelLimit)
        }
        figureCount += 1
        let folder = (outputDirectory as NSString).appendingPathComponent("figures")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // `conv2d: 16 filters 3x3` → `conv2d-16-filters-3x3`
        let words = name.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "_") }
        let safe = words.joined(separator: "-").prefix(48)
        let path = (folder as NSString).appendingPathComponent(String(format: "%02d-", figureCount) + String(safe) + ".png")
        try figure.writePNG(to: path)
        recordWritten(path)
        // Charts and model graphs are also written as SVG: they scale without blurring.
        switch figure.content {
        case .lineChart, .modelGraph:
            try figure.writeSVG(to: String(path.dropLast(4)) + ".svg")
            recordWritten(String(path.dropLast(4)) + ".svg")
        default: break
        }
        return .figure(figure, path: path)
    }

    /// Parses and runs `source` (a cell or a REPL entry), statement by statement. Stops at the
    /// first error and returns the outputs so far with that error.
    public func run(_ source: String, file: String = "<input>", firstLine: Int = 1,
                    onOutput: (Output) -> Void = { _ in }) -> (outputs: [Output], error: Diagnostic?) {
        let (statements, diagnostics) = Parser.parseStatements(source, file: file, firstLine: firstLine)
        if let first = diagnostics.first(where: { $0.severity == .error }) { return ([], first) }
        let previous = self.source
        self.source = source
        defer { self.source = previous }
        return run(statements, onOutput: onOutput)
    }

    /// Runs parsed statements in order; each statement's outputs are passed to `onOutput` as
    /// soon as it finishes. A failing statement stops the run and changes no value.
    public func run(_ statements: [Statement], onOutput: (Output) -> Void = { _ in }) -> (outputs: [Output], error: Diagnostic?) {
        var outputs: [Output] = []
        let interpreter = Interpreter(session: self)
        for statement in statements {
            do {
                let produced = try interpreter.execute(statement)
                produced.forEach { onOutput($0) }
                outputs += produced
            } catch {
                return (outputs, Interpreter.diagnostic(for: error, at: statement.span))
            }
        }
        return (outputs, nil)
    }
}

/// A figure past the session's pixel budget, refused before its pixels are allocated.
struct FigureTooLarge: ExplainedError {
    var width: Int
    var height: Int
    var limit: Int
    var message: String {
        "the figure would be \(width)x\(height) pixels (\(Render.ModelSummary.grouped(width * height * 4)) bytes); "
            + "cnnb draws at most \(Render.ModelSummary.grouped(limit)) pixels"
    }
    var hint: String? { "show fewer images or layers at a time" }
}
