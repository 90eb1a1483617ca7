import CReadline
import Foundation

/// Reads lines with GNU readline: editing, a size-bounded history file, reverse search (readline's
/// own Ctrl-R) and tab completion from a provider. Ctrl-C at the prompt clears the line.
public final class LineEditor {
    /// The GNU readline library in use, as `rl_library_version` reports it.
    public static var readlineVersion: String { String(cString: rl_library_version) }

    /// Completions for the word being typed: given the whole line and the word, the candidates.
    public typealias CompletionProvider = (_ line: String, _ word: String) -> [String]

    public let historyPath: String?
    public let historyLimit: Int

    public init(historyPath: String?, historyLimit: Int = 1000, completion: @escaping CompletionProvider) {
        self.historyPath = historyPath
        self.historyLimit = historyLimit
        LineEditor.provider = completion
        rl_readline_name = UnsafePointer(strdup("cnnb"))
        // Quotes delimit file paths, which readline completes itself.
        rl_completer_quote_characters = UnsafePointer(strdup("\""))
        rl_completer_word_break_characters = UnsafePointer(strdup(" \t\n;{}[](),=+-*/"))
        rl_attempted_completion_function = LineEditor.complete
        // Readline returns from read() on SIGINT (see `Interrupt`); this hook clears the line.
        rl_signal_event_hook = LineEditor.signalEvent
        stifle_history(Int32(historyLimit))
        if let historyPath { read_history(historyPath) }
    }

    /// One line, or nil at end of input (Ctrl-D on an empty line).
    public func readLine(prompt: String) -> String? {
        guard let raw = readline(prompt) else { return nil }
        defer { free(raw) }
        return String(cString: raw)
    }

    /// Remembers a line in the history and the history file (trimmed to `historyLimit`).
    public func remember(_ line: String) {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        add_history(line)
        if let historyPath {
            if append_history(1, historyPath) != 0 { write_history(historyPath) }
            history_truncate_file(historyPath, Int32(historyLimit))
        }
    }

    nonisolated(unsafe) private static var provider: CompletionProvider = { _, _ in [] }
    nonisolated(unsafe) private static var matches: [String] = []

    private static let complete: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { text, start, _ in
        let word = text.map { String(cString: $0) } ?? ""
        let line = rl_line_buffer.map { String(cString: $0) } ?? ""
        let before = String(line.utf8.prefix(Int(start))) ?? ""
        // Inside an open string: leave it to readline's file name completion.
        if before.filter({ $0 == "\"" }).count % 2 == 1 { return nil }
        rl_attempted_completion_over = 1
        matches = provider(line, word).filter { $0.hasPrefix(word) }
        if matches.isEmpty { return nil }
        return rl_completion_matches(text, LineEditor.nextMatch)
    }

    private static let nextMatch: @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>? = { _, state in
        let index = Int(state)
        return index < matches.count ? strdup(matches[index]) : nil
    }

    private static let signalEvent: @convention(c) () -> Int32 = {
        if Interrupt.takeAtPrompt() {
            rl_replace_line("", 0)
            rl_crlf()
            rl_on_new_line()
            rl_redisplay()
        }
        return 0
    }
}
