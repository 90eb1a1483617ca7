import ArgumentParser
import Datasets
import Foundation
import Kernel
import Language
import REPL
import Render
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct CNNB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cnnb",
        abstract: "A notebook language for building, training and looking inside convolutional networks.",
        discussion: """
            With no subcommand, cnnb opens an interactive session.

            ENVIRONMENT
              CNNB_DATA          folder holding the datasets (before ~/.cache/cnnb/datasets)
              CNNB_DATA_URL      address to download datasets from instead of their official one
              XDG_CACHE_HOME     cache root for downloaded datasets (default ~/.cache)
              CNNB_LIMIT         keep the first N training images (and N/5 test images) of every dataset
              CNNB_EPOCHS        cap every fit at this many epochs
              CNNB_HISTORY       the session's history file (default ~/.cnnb_history; empty: none)
              CNNB_HISTORY_SIZE  entries the history keeps (default 1000)
              CNNB_IMAGES        inline figures: kitty, iterm, sixel, blocks or none (default: what the terminal says)
              NO_COLOR           set and not empty: no colour unless --color always (no-color.org)
              TERM               dumb: no colour; TERM, TERM_PROGRAM and COLORTERM choose how figures show
            """,
        version: CNNBVersion.string,
        subcommands: [Run.self, Check.self, Repl.self, KernelCommand.self, Convert.self],
        defaultSubcommand: Repl.self)
}

extension ColourChoice: ExpressibleByArgument {}

/// `--color`, which every subcommand takes.
struct ColourOption: ParsableArguments {
    @Option(name: .customLong("color"),
            help: "Colour in messages, progress and figures; auto means on a terminal, unless NO_COLOR is set or TERM=dumb.")
    var choice: ColourChoice = .auto

    /// Whether text written to `descriptor` gets ANSI colour.
    func isOn(for descriptor: Int32) -> Bool {
        choice.isOn(isTerminal: isatty(descriptor) == 1, environment: ProcessInfo.processInfo.environment)
    }
}

/// Options every subcommand that runs statements shares.
struct SessionOptions: ParsableArguments {
    @Option(help: "Folder holding the datasets (default: $CNNB_DATA, then ~/.cache/cnnb/datasets).")
    var data: String?
    @Option(name: .customLong("allow-write"), help: ArgumentHelp("Let statements write files in this folder too (repeatable); by default they write only in the output folder.", valueName: "dir"))
    var allowWrite: [String] = []

    func makeSession(outputDirectory: String) throws -> Session {
        var options = DataOptions()
        options.directory = nil
        if let data { options.environment["CNNB_DATA"] = (data as NSString).expandingTildeInPath }
        let session = Session(outputDirectory: outputDirectory, dataOptions: options)
        for folder in allowWrite {
            do { try session.allowWrites(in: folder) } catch { throw ValidationError("\(error)") }
        }
        return session
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the cells of a .cnnb notebook (or the code cells of an .ipynb) and write its figures and report.")
    @Argument(help: "The .cnnb or .ipynb file to run.") var file: String
    @Option(help: "Folder for the report and figures (default: out/NAME).") var out: String?
    @Flag(help: "Go on after a failing cell.") var keepGoing = false
    @Flag(help: "Open the report (index.html) when the run ends.") var open = false
    @OptionGroup var sessionOptions: SessionOptions
    @OptionGroup var colour: ColourOption

    func run() throws {
        let source = try notebookSource(file)
        let name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        let folder = out ?? ("out" as NSString).appendingPathComponent(name)
        let session = try sessionOptions.makeSession(outputDirectory: folder)
        // Only what an earlier run wrote goes (its manifest lists it); the person's files stay.
        try session.startRun()
        let terminal = TerminalOutput(colour: colour.choice)
        session.trainingObserver = terminal
        let runner = {
            var runner = NotebookRunner(source: source, fileName: file)
            runner.numbersCells = file.lowercased().hasSuffix(".ipynb")
            return runner
        }()
        let color = colour.isOn(for: STDERR_FILENO)
        let results = runner.run(in: session, keepGoing: keepGoing, color: color,
                                 willRun: { index, cell in
                                     terminal.write("── [\(index + 1)] \(runner.location(of: cell)) " + String(repeating: "─", count: 30) + "\n")
                                 },
                                 onOutput: terminal.show,
                                 onError: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
        for path in try ReportWriter.write(results: results, to: folder, name: name) { session.recordWritten(path) }
        let failed = results.filter { $0.error != nil }.count
        let skipped = results.filter { !$0.ran }.count
        terminal.write("\(file): \(results.count) cells, \(failed) failed\(skipped > 0 ? ", \(skipped) not run" : ""); output in \(folder)\n")
        // The page as a link a terminal can open.
        let page = URL(fileURLWithPath: (folder as NSString).appendingPathComponent("index.html")).standardizedFileURL
        terminal.write(page.absoluteString + "\n")
        if open { openInBrowser(page) }
        if failed > 0 { throw ExitCode(1) }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Parse a .cnnb notebook and check its layers and models without data or training.")
    @Argument(help: "The .cnnb files to check.") var files: [String]
    @OptionGroup var colour: ColourOption

    func run() throws {
        var failures = 0
        for file in files {
            let source: String
            do {
                source = try readSource(file)
            } catch is ExitCode {
                // Not text: the diagnostic is shown; the other files are still checked.
                print("\(file): 1 error")
                failures += 1
                continue
            }
            let runner = NotebookRunner(source: source, fileName: file)
            let session = Session(outputDirectory: NSTemporaryDirectory())
            session.checkOnly = true
            let color = colour.isOn(for: STDERR_FILENO)
            var errors = runner.syntaxErrors.map { runner.rendered($0, color: color) }
            if errors.isEmpty {
                let results = runner.run(in: session, keepGoing: true, color: color)
                errors = results.compactMap(\.error)
            }
            for error in errors { FileHandle.standardError.write(Data((error + "\n").utf8)) }
            print("\(file): \(errors.isEmpty ? "ok" : "\(errors.count) error\(errors.count == 1 ? "" : "s")")")
            failures += errors.count
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

struct Repl: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "repl", abstract: "Open an interactive session (the default).")
    @Option(help: "Folder for figures.") var out: String = "out/session"
    @OptionGroup var sessionOptions: SessionOptions
    @OptionGroup var colour: ColourOption

    func run() throws {
        let status = InteractiveSession(session: try sessionOptions.makeSession(outputDirectory: out), colour: colour.choice).run()
        if status != 0 { throw ExitCode(status) }
    }
}

/// Hands `page` to the desktop's opener (xdg-open, or open on macOS) without waiting for it.
func openInBrowser(_ page: URL) {
    #if os(macOS)
    let opener = "/usr/bin/open"
    #else
    let opener = "/usr/bin/xdg-open"
    #endif
    let process = Process()
    process.executableURL = URL(fileURLWithPath: opener)
    process.arguments = [page.absoluteString]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    do {
        try process.run()
    } catch {
        FileHandle.standardError.write(Data("cannot open \(page.absoluteString): \(opener) did not start\n".utf8))
    }
}

/// A `.cnnb` file's text, or an `.ipynb`'s cells as `.cnnb` text.
func notebookSource(_ file: String) throws -> String {
    guard file.lowercased().hasSuffix(".ipynb") else { return try readSource(file) }
    do {
        return try NotebookConversion.cnnbSource(ofFile: file)
    } catch let error as NotebookConversion.ConversionError {
        throw ValidationError(error.description)
    }
}

func readSource(_ file: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: file) else {
        throw ValidationError("cannot read \(file): no such file or not readable")
    }
    switch SourceText.decode([UInt8](data), file: file) {
    case .success(let text): return text
    case .failure(let failure):
        FileHandle.standardError.write(Data((failure.rendered(color: isatty(STDERR_FILENO) == 1) + "\n").utf8))
        throw ExitCode(1)
    }
}
