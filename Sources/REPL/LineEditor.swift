import CReadline
import Foundation
import Language

/// Reads lines with GNU readline: editing, a size-bounded history file, reverse search (readline's
/// own Ctrl-R) and tab completion from a provider. Ctrl-C at the prompt clears the line.
public final class LineEditor {
    /// The GNU readline library in use, as `rl_library_version` reports it.
    public static var readlineVersion: String { String(cString: rl_library_version) }

    /// Completions for the word being typed: given the whole line and the word, the candidates,
    /// or nil to complete a file name.
    public typealias CompletionProvider = (_ line: String, _ word: String) -> [String]?

    public let historyPath: String?
    public let historyLimit: Int

    public init(historyPath: String?, historyLimit: Int = 1000, completion: @escaping CompletionProvider) {
        self.historyPath = historyPath
        self.historyLimit = historyLimit
        LineEditor.provider = completion
        LineEditor.current = self
        rl_readline_name = UnsafePointer(strdup("cnnb"))
        // Quotes delimit file paths, which readline completes itself.
        rl_completer_quote_characters = UnsafePointer(strdup("\""))
        rl_attempted_completion_function = LineEditor.complete
        rl_completion_word_break_hook = LineEditor.wordBreaks
        // Readline returns from read() on SIGINT (see `Interrupt`); this hook clears the line.
        rl_signal_event_hook = LineEditor.signalEvent
        // A block typed over several lines stays one entry: the file marks where each entry
        // starts with a `#TIME` line, and readline reads a line without one as part of the
        // entry before (in files that start with a time line).
        history_comment_char = CChar(UInt8(ascii: "#"))
        history_write_timestamps = 1
        stifle_history(Int32(historyLimit))
        if let historyPath { read_history(historyPath) }
    }

    /// The prompt of the entry's first line, shown again after Ctrl-C abandons a block.
    public var firstPrompt = "cnnb> "

    /// One line, or nil at end of input (Ctrl-D on an empty line). `interrupted` is true when
    /// Ctrl-C was pressed while the line was typed: the text before it is gone, and so should be
    /// the lines of the block it continued.
    public func readLine(prompt: String) -> (line: String, interrupted: Bool)? {
        LineEditor.interrupted = false
        guard let raw = readline(prompt) else { return nil }
        defer { free(raw) }
        return (String(cString: raw), LineEditor.interrupted)
    }

    /// Remembers an entry (one or several lines) in the history and the history file, which is
    /// kept to the last `historyLimit` entries.
    public func remember(_ entry: String) {
        guard !entry.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
        add_history(entry)
        guard let historyPath else { return }
        // Appended while the list is short; once it is full, the oldest entry has just been
        // dropped and the file is written again from the list (readline writes a temporary
        // file and renames it). Readline's own trimming counts lines, which would split blocks.
        if Int(history_length) >= historyLimit || append_history(1, historyPath) != 0 {
            write_history(historyPath)
        }
    }

    nonisolated(unsafe) private static weak var current: LineEditor?
    nonisolated(unsafe) private static var provider: CompletionProvider = { _, _ in [] }
    nonisolated(unsafe) private static var matches: [String] = []

    private static let complete: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { text, start, _ in
        let word = text.map { String(cString: $0) } ?? ""
        let line = rl_line_buffer.map { String(cString: $0) } ?? ""
        let before = String(line.utf8.prefix(Int(start))) ?? ""
        // Inside an open string: leave it to readline's file name completion.
        if before.filter({ $0 == "\"" }).count % 2 == 1 { return nil }
        guard let candidates = provider(line, word) else { return nil }
        rl_attempted_completion_over = 1
        matches = candidates.filter { $0.hasPrefix(word) }
        if matches.isEmpty { return nil }
        return rl_completion_matches(text, LineEditor.nextMatch)
    }

    /// Where words start: after spaces and the language's punctuation, but only after spaces
    /// in a `:command` line, whose arguments are file names.
    private static let statementBreaks = UnsafeMutablePointer(mutating: strdup(" \t\n;{}[](),=+-*/")!)
    private static let commandBreaks = UnsafeMutablePointer(mutating: strdup(" \t\n")!)

    private static let wordBreaks: @convention(c) () -> UnsafeMutablePointer<CChar>? = {
        let line = rl_line_buffer.map { String(cString: $0) } ?? ""
        return line.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix(":") ? commandBreaks : statementBreaks
    }

    private static let nextMatch: @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>? = { _, state in
        let index = Int(state)
        return index < matches.count ? strdup(matches[index]) : nil
    }

    nonisolated(unsafe) private static var interrupted = false
    nonisolated(unsafe) private static var promptStorage: UnsafeMutablePointer<CChar>?

    private static let signalEvent: @convention(c) () -> Int32 = {
        if Interrupt.takeAtPrompt() {
            interrupted = true
            // A block being typed is abandoned too: back to the first prompt.
            if let editor = current {
                free(promptStorage)
                promptStorage = strdup(editor.firstPrompt)
                rl_set_prompt(promptStorage)
            }
            rl_replace_line("", 0)
            rl_crlf()
            rl_on_new_line()
            rl_redisplay()
        }
        return 0
    }
}
