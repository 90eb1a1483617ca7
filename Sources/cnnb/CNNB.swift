import ArgumentParser
import Datasets
import Foundation
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
        subcommands: [Run.self, Check.self, Repl.self],
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

    func makeSession(outputDirectory: String) -> Session {
        var options = DataOptions()
        options.directory = nil
        if let data { options.environment["CNNB_DATA"] = (data as NSString).expandingTildeInPath }
        return Session(outputDirectory: outputDirectory, dataOptions: options)
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the cells of a .cnnb notebook and write its figures and report.")
    @Argument(help: "The .cnnb file to run.") var file: String
    @Option(help: "Folder for the report and figures (default: out/NAME).") var out: String?
    @Flag(help: "Go on after a failing cell.") var keepGoing = false
    @Flag(help: "Open the report (index.html) when the run ends.") var open = false
    @OptionGroup var sessionOptions: SessionOptions
    @OptionGroup var colour: ColourOption

    func run() throws {
        let source = try readSource(file)
        let name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        let folder = out ?? ("out" as NSString).appendingPathComponent(name)
        // Figures of an earlier run of this notebook would mix with this run's.
        try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent("figures"))
        let session = sessionOptions.makeSession(outputDirectory: folder)
        let terminal = TerminalOutput(colour: colour.choice)
        session.trainingObserver = terminal
        let runner = NotebookRunner(source: source, fileName: file)
        let color = colour.isOn(for: STDERR_FILENO)
        let results = runner.run(in: session, keepGoing: keepGoing, color: color,
                                 willRun: { index, cell in
                                     terminal.write("── [\(index + 1)] \(file):\(cell.line) " + String(repeating: "─", count: 30) + "\n")
                                 },
                                 onOutput: terminal.show,
                                 onError: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
        try ReportWriter.write(results: results, to: folder, name: name)
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
            let source = try readSource(file)
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
        let status = InteractiveSession(session: sessionOptions.makeSession(outputDirectory: out), colour: colour.choice).run()
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

func readSource(_ file: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: file) else {
        throw ValidationError("cannot read \(file): no such file or not readable")
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw ValidationError("\(file) is not UTF-8 text")
    }
    return text
}
