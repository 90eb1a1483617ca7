import ArgumentParser
import Datasets
import Foundation
import Language
import REPL
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
        discussion: "With no subcommand, cnnb opens an interactive session.",
        version: CNNBVersion.string,
        subcommands: [Run.self, Check.self, Repl.self],
        defaultSubcommand: Repl.self)
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
    static let configuration = CommandConfiguration(abstract: "Run the cells of a .cnnb notebook and write its figures and report.")
    @Argument(help: "The .cnnb file to run.") var file: String
    @Option(help: "Folder for the report and figures (default: out/NAME).") var out: String?
    @Flag(help: "Go on after a failing cell.") var keepGoing = false
    @OptionGroup var sessionOptions: SessionOptions

    func run() throws {
        let source = try readSource(file)
        let name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        let folder = out ?? ("out" as NSString).appendingPathComponent(name)
        let session = try sessionOptions.makeSession(outputDirectory: folder)
        // Only what an earlier run wrote goes (its manifest lists it); the person's files stay.
        try session.startRun()
        let terminal = TerminalOutput()
        session.trainingObserver = terminal
        let runner = NotebookRunner(source: source, fileName: file)
        let color = isatty(STDERR_FILENO) == 1
        let results = runner.run(in: session, keepGoing: keepGoing, color: color,
                                 willRun: { index, cell in
                                     terminal.write("── [\(index + 1)] \(file):\(cell.line) " + String(repeating: "─", count: 30) + "\n")
                                 },
                                 onOutput: terminal.show,
                                 onError: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
        for path in try ReportWriter.write(results: results, to: folder, name: name) { session.recordWritten(path) }
        let failed = results.filter { $0.error != nil }.count
        let skipped = results.filter { !$0.ran }.count
        terminal.write("\(file): \(results.count) cells, \(failed) failed\(skipped > 0 ? ", \(skipped) not run" : ""); output in \(folder)\n")
        if failed > 0 { throw ExitCode(1) }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Parse a .cnnb notebook and check its layers and models without data or training.")
    @Argument(help: "The .cnnb files to check.") var files: [String]

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
            let color = isatty(STDERR_FILENO) == 1
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

    func run() throws {
        let status = InteractiveSession(session: try sessionOptions.makeSession(outputDirectory: out)).run()
        if status != 0 { throw ExitCode(status) }
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
