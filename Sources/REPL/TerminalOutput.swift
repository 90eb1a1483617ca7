import Foundation
import Language
import Render
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Prints a statement's outputs on standard output as they come: text as is, figures as the
/// path written (and drawn inline where the terminal can show pictures), training progress
/// redrawn on one line when standard output is a terminal and one line per epoch otherwise.
public final class TerminalOutput: TrainingObserver {
    public let isLive: Bool
    /// ANSI colour in the live progress line (the front end's decision).
    public let colour: Bool
    /// How figures are drawn inline, or nil for the file name alone.
    public let images: InlineImages.Kind?
    private var liveShown = false

    public init(isTerminal: Bool, colour: Bool, images: InlineImages.Kind?) {
        isLive = isTerminal
        self.colour = colour
        self.images = isTerminal ? images : nil
    }

    /// Standard output's own terminal, colour and picture support under `choice`.
    public convenience init(colour choice: ColourChoice,
                            environment: [String: String] = ProcessInfo.processInfo.environment) {
        let isTerminal = isatty(STDOUT_FILENO) == 1
        let colour = choice.isOn(isTerminal: isTerminal, environment: environment)
        self.init(isTerminal: isTerminal, colour: colour,
                  images: TerminalStyle.inlineImages(environment: environment, colour: colour))
    }

    public func show(_ output: Output) {
        switch output {
        case .text(let text): write(text + "\n")
        case .figure(let figure, let path):
            write("\(figure.summary) → \(path)\n")
            if let picture = inlinePicture(figure, name: (path as NSString).lastPathComponent) { write(picture) }
        case .progress: break  // already shown while training
        }
    }

    /// The escape sequences that draw `figure` in this terminal, or nil.
    func inlinePicture(_ figure: Figure, name: String) -> String? {
        switch images {
        case nil: return nil
        case .kitty?: return (try? figure.pngData()).map { InlineImages.kitty(png: $0) }
        case .iterm?: return (try? figure.pngData()).map { InlineImages.iterm(png: $0, name: name) }
        case .sixel?: return (try? figure.rasterize()).map { InlineImages.sixel(TerminalPreview.fitted($0, maximumWidth: 1000)) }
        case .blocks?:
            // Half blocks are coarse: pictures of images only; charts and graphs read better in the file.
            guard case .imageGrid = figure.content, let lines = try? TerminalPreview.lines(for: figure), lines.count <= 40 else { return nil }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    public func line(_ text: String) {
        write((liveShown ? clearLine() : "") + text + "\n")
        liveShown = false
        liveWidth = 0
    }

    public func live(_ text: String) {
        guard isLive else { return }
        let shown = fitted(text)
        write(clearLine() + shown)
        liveShown = true
        liveWidth = NotebookReport.stripTerminalCodes(shown).count
    }

    /// Columns the live line covers, so that without escape codes spaces can blank it.
    private var liveWidth = 0

    /// Back to the start of the line, blanked: ESC [K, or with colour off (NO_COLOR asks for
    /// plain text) spaces over what the live line covered.
    private func clearLine() -> String {
        colour ? "\r\u{1B}[K" : "\r" + String(repeating: " ", count: liveWidth) + "\r"
    }

    /// The live line cut to the terminal's width: a line that wrapped could not be redrawn in
    /// place, and each redraw would leave a line behind. Colour codes take no columns.
    private func fitted(_ text: String) -> String {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 1 else { return text }
        let width = Int(size.ws_col) - 1
        let plain = NotebookReport.stripTerminalCodes(text)
        guard plain.count > width else { return text }
        return String(plain.prefix(width))
    }

    public func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
