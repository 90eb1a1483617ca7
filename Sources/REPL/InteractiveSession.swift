import Basics
import Foundation
import Language
import Render
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `cnnb` with no file: statements read one entry at a time (a line, or several while a block
/// is open), run against one session that survives every error.
public final class InteractiveSession {
    public let session: Session
    private let output: TerminalOutput
    private let isTerminal: Bool
    /// Entries that ran without error, for `:save`.
    private var succeeded: [String] = []
    private var editor: LineEditor?

    /// True when a `fit` of the entry running now was stopped with Ctrl-C.
    private var stoppedEarly = false
    /// Whether an entry or a command failed (the exit status when reading from a pipe).
    private var anyFailed = false

    /// Whether diagnostics carry ANSI colour: decided once from `--color`, `NO_COLOR`, `TERM` and
    /// where errors go (standard output at a terminal, standard error otherwise).
    private let color: Bool

    public init(session: Session, isTerminal: Bool = isatty(STDIN_FILENO) == 1, colour choice: ColourChoice = .auto,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.session = session
        self.isTerminal = isTerminal
        let outputIsTerminal = isTerminal && isatty(STDOUT_FILENO) == 1
        let colour = choice.isOn(isTerminal: outputIsTerminal, environment: environment)
        output = TerminalOutput(isTerminal: outputIsTerminal, colour: colour,
                                images: TerminalStyle.inlineImages(environment: environment, colour: colour))
        color = isTerminal ? colour : choice.isOn(isTerminal: isatty(STDERR_FILENO) == 1, environment: environment)
        session.trainingObserver = output
        session.shouldStop = { [weak self] in
            guard Interrupt.take() else { return false }
            self?.stoppedEarly = true
            return true
        }
    }

    /// Reads and runs entries until end of input or `:quit`. Returns the exit status: 1 when
    /// statements came from a pipe or file and one of them failed, else 0.
    @discardableResult
    public func run() -> Int32 {
        if isTerminal {
            Interrupt.install()
            let environment = ProcessInfo.processInfo.environment
            let home = environment["HOME"] ?? NSTemporaryDirectory()
            // CNNB_HISTORY names the history file; set to nothing, it turns the file off.
            let history = environment["CNNB_HISTORY"].map { $0.isEmpty ? nil : ($0 as NSString).expandingTildeInPath }
                ?? (home as NSString).appendingPathComponent(".cnnb_history")
            // CNNB_HISTORY_SIZE: how many entries the history keeps (1000).
            let limit = environment["CNNB_HISTORY_SIZE"].flatMap { Int($0) }.map { max($0, 1) } ?? 1000
            editor = LineEditor(historyPath: history, historyLimit: limit) { [unowned self] line, word in
                Completion.candidates(line: line, word: word, session: self.session)
            }
            output.write("cnnb \(CNNBVersion.string) — type :help for help, :quit to leave\n")
        }
        while let entry = readEntry() {
            let trimmed = entry.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix(":") {
                if !command(trimmed) { return status }
                continue
            }
            runEntry(entry)
        }
        // Ctrl-D leaves the cursor after the prompt.
        if isTerminal { output.write("\n") }
        return status
    }

    private var status: Int32 { anyFailed && !isTerminal ? 1 : 0 }

    /// Runs an entry's statements in order; those that ran before an error are kept for `:save`.
    private func runEntry(_ entry: String) {
        Interrupt.clear()
        stoppedEarly = false
        let run = session.runCell(entry, onOutput: output.show)
        if let error = run.error {
            fail(error.rendered(source: entry, color: color))
            if !run.ranSources.isEmpty { succeeded.append(run.ranSources.joined(separator: "\n")) }
            return
        }
        guard !run.ranSources.isEmpty else { return }
        // A saved notebook runs training to the end: say where the session stopped it.
        succeeded.append(stoppedEarly ? entry + "  # stopped early with Ctrl-C in the session" : entry)
    }

    /// Shows an error: on the terminal with the rest, else on standard error.
    private func fail(_ text: String) {
        anyFailed = true
        if isTerminal {
            output.write(text + "\n")
        } else {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    /// One entry: a line, continued on `...` prompts while a block or bracket is open. At the
    /// terminal an empty line closes the open blocks, and Ctrl-C while a block is typed abandons
    /// it; from a pipe or file, empty lines inside a block are just empty lines.
    private func readEntry() -> String? {
        var lines: [String] = []
        while true {
            let line: String
            if let editor {
                guard let read = editor.readLine(prompt: lines.isEmpty ? editor.firstPrompt : "  ... ") else { break }
                if read.interrupted { lines.removeAll() }
                line = read.line
            } else {
                guard let read = Swift.readLine(strippingNewline: true) else { break }
                line = read
            }
            if lines.isEmpty && line.trimmingCharacters(in: .whitespaces).isEmpty { return "" }
            lines.append(line)
            var text = lines.joined(separator: "\n")
            if needsMoreInput(text) {
                guard editor != nil, line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
                text = closingOpenBlocks(text)
            }
            editor?.remember(text)
            return text
        }
        // End of input: what was typed of an unfinished block still runs, to show its error.
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    /// Runs a `:command`; false for `:quit`.
    private func command(_ line: String) -> Bool {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        switch parts[0] {
        case ":quit", ":q", ":exit": return false
        case ":help", ":h": output.write(Help.text(topic: argument) + "\n")
        case ":vars": output.write(session.variablesText + "\n")
        case ":reset":
            session.reset()
            succeeded.removeAll()
            output.write("the session is empty\n")
        case ":out":
            if argument.isEmpty {
                output.write("figures go to \(session.outputDirectory)\n")
            } else {
                session.outputDirectory = (argument as NSString).expandingTildeInPath
                output.write("figures now go to \(session.outputDirectory)\n")
            }
        case ":allow-write":
            if argument.isEmpty {
                output.write(session.allowedWriteFolders.isEmpty ? "statements write only in \(session.outputDirectory)\n"
                             : "statements may write in \(session.outputDirectory) and " + session.allowedWriteFolders.joined(separator: ", ") + "\n")
            } else {
                do {
                    output.write("statements may now write in \(try session.allowWrites(in: argument))\n")
                } catch let error as WriteFolderError {
                    fail("error: \(error.message)\nhint: \(error.hint ?? "")")
                } catch {
                    fail("error: \(error)")
                }
            }
        case ":load":
            let path = (argument as NSString).expandingTildeInPath
            guard !argument.isEmpty, let data = FileManager.default.contents(atPath: path) else {
                fail("error: cannot read '\(argument)'\nhint: write :load FILE.cnnb")
                return true
            }
            let source: String
            switch SourceText.decode([UInt8](data), file: argument) {
            case .success(let text): source = text
            case .failure(let failure):
                fail(failure.rendered(color: color))
                return true
            }
            Interrupt.clear()
            let runner = NotebookRunner(source: source, fileName: argument)
            let results = runner.run(in: session, keepGoing: false, color: color, onOutput: output.show,
                                     onError: { self.fail($0) })
            succeeded += results.filter { $0.ran && $0.error == nil && $0.cell.kind == .code }.map(\.cell.text)
        case ":save":
            guard !argument.isEmpty else {
                fail("error: :save needs a file name\nhint: write :save session.cnnb")
                return true
            }
            let path = (argument as NSString).expandingTildeInPath
            let text = succeeded.map { "%%\n" + $0 + "\n" }.joined(separator: "\n")
            do {
                try AtomicFile.write(text, to: path)
                output.write("saved \(succeeded.count) cells to \(argument)\n")
            } catch {
                fail("error: cannot write \(argument): \(error.localizedDescription)")
            }
        default:
            fail("error: unknown command \(parts[0])\nhint: the commands are :help :vars :reset :load :save :out :allow-write :quit")
        }
        return true
    }
}
