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

    public init(session: Session, isTerminal: Bool = isatty(STDIN_FILENO) == 1) {
        self.session = session
        self.isTerminal = isTerminal
        output = TerminalOutput(isTerminal: isTerminal && isatty(STDOUT_FILENO) == 1)
        session.trainingObserver = output
        session.shouldStop = { Interrupt.take() }
    }

    /// Reads and runs entries until end of input or `:quit`.
    public func run() {
        if isTerminal {
            Interrupt.install()
            let home = ProcessInfo.processInfo.environment["HOME"] ?? NSTemporaryDirectory()
            let history = ProcessInfo.processInfo.environment["CNNB_HISTORY"] ?? (home as NSString).appendingPathComponent(".cnnb_history")
            editor = LineEditor(historyPath: history, historyLimit: 1000) { [unowned self] line, word in
                Completion.candidates(line: line, word: word, session: self.session)
            }
            output.write("cnnb \(CNNBVersion.string) — type :help for help, :quit to leave\n")
        }
        while let entry = readEntry() {
            let trimmed = entry.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix(":") {
                if !command(trimmed) { break }
                continue
            }
            Interrupt.clear()
            let (_, error) = session.run(entry, file: "<input>", onOutput: output.show)
            if let error {
                output.write(error.rendered(source: entry, color: isTerminal) + "\n")
            } else {
                succeeded.append(entry)
            }
        }
    }

    /// One entry: a line, continued on `...` prompts while a block or bracket is open.
    private func readEntry() -> String? {
        var text = ""
        var prompt = "cnnb> "
        while true {
            let line: String?
            if let editor {
                line = editor.readLine(prompt: prompt)
            } else {
                line = Swift.readLine(strippingNewline: true)
            }
            guard let line else { return text.isEmpty ? nil : text }
            text += (text.isEmpty ? "" : "\n") + line
            let continuing = !text.isEmpty && needsMoreInput(text)
            if !continuing || (line.trimmingCharacters(in: .whitespaces).isEmpty && !text.contains("{")) {
                editor?.remember(text.replacingOccurrences(of: "\n", with: " "))
                return text
            }
            if line.trimmingCharacters(in: .whitespaces).isEmpty && text.contains("{") {
                // An empty line closes an open block.
                editor?.remember(text)
                return text
            }
            prompt = "  ... "
        }
    }

    /// Runs a `:command`; false for `:quit`.
    private func command(_ line: String) -> Bool {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        switch parts[0] {
        case ":quit", ":q", ":exit": return false
        case ":help", ":h": output.write(Help.text(topic: argument) + "\n")
        case ":vars":
            if session.definitionOrder.isEmpty { output.write("nothing is defined yet\n") }
            for name in session.definitionOrder {
                if let value = session[name] { output.write("\(name)  \(value.brief)\n") }
            }
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
        case ":load":
            guard !argument.isEmpty, let source = try? String(contentsOfFile: argument, encoding: .utf8) else {
                output.write("error: cannot read '\(argument)'\nhint: write :load FILE.cnnb\n")
                return true
            }
            let runner = NotebookRunner(source: source, fileName: argument)
            let results = runner.run(in: session, keepGoing: false, color: isTerminal, onOutput: output.show,
                                     onError: { self.output.write($0 + "\n") })
            if results.allSatisfy({ $0.error == nil }) {
                succeeded += runner.notebook.cells.filter { $0.kind == .code }.map(\.text)
            }
        case ":save":
            guard !argument.isEmpty else {
                output.write("error: :save needs a file name\nhint: write :save session.cnnb\n")
                return true
            }
            let text = succeeded.map { "%%\n" + $0 + "\n" }.joined(separator: "\n")
            do {
                try AtomicFile.write(text, to: argument)
                output.write("saved \(succeeded.count) cells to \(argument)\n")
            } catch {
                output.write("error: cannot write \(argument): \(error.localizedDescription)\n")
            }
        default:
            output.write("error: unknown command \(parts[0])\nhint: the commands are :help :vars :reset :load :save :out :quit\n")
        }
        return true
    }
}
