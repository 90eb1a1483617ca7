import Foundation
import Render
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Prints a statement's outputs on standard output as they come: text as is, figures as the
/// path written, training progress redrawn on one line when standard output is a terminal and
/// one line per epoch otherwise.
public final class TerminalOutput: TrainingObserver {
    public let isLive: Bool
    private var liveShown = false

    /// Whether figures are also drawn inline (a terminal with 24-bit colour).
    public let previewsFigures: Bool

    public init(isTerminal: Bool = isatty(STDOUT_FILENO) == 1,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        isLive = isTerminal
        previewsFigures = TerminalPreview.isSupported(environment: environment, isTerminal: isTerminal)
    }

    public func show(_ output: Output) {
        switch output {
        case .text(let text), .table(let text, _): write(text + "\n")
        case .figure(let figure, let path):
            write("\(figure.summary) → \(path)\n")
            // Pictures of images are previewed; charts and graphs are read better in the file.
            if previewsFigures, case .imageGrid = figure.content, let lines = try? TerminalPreview.lines(for: figure),
               lines.count <= 40 {
                write(lines.joined(separator: "\n") + "\n")
            }
        case .progress: break  // already shown while training
        }
    }

    public func line(_ text: String) {
        write((liveShown ? "\r\u{1B}[K" : "") + text + "\n")
        liveShown = false
    }

    public func live(_ text: String) {
        guard isLive else { return }
        write("\r\u{1B}[K" + fitted(text))
        liveShown = true
    }

    /// The live line cut to the terminal's width: a line that wrapped could not be redrawn in
    /// place, and each redraw would leave a line behind.
    private func fitted(_ text: String) -> String {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 1 else { return text }
        let width = Int(size.ws_col) - 1
        return text.count > width ? String(text.prefix(width)) : text
    }

    public func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
