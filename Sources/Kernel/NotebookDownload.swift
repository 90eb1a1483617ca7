import Datasets
import Foundation

/// A dataset's download shown in a notebook as the terminal shows it: the progress bar (with
/// speed and time left) in one display updated in place at most every 100 ms, each finished
/// file's line kept above the running one. Reports arrive on the download's own thread.
final class NotebookDownload: @unchecked Sendable {
    private let lock = NSLock()
    private let display: LiveDisplay
    private var bar: DownloadProgressBar!
    private var lines: [String] = []
    private var running: String?
    private var lastShown = Date.distantPast

    init(publish: @escaping (_ type: String, _ content: [String: Any]) -> Void) {
        display = LiveDisplay(publish: publish)
        bar = DownloadProgressBar(isTerminal: true, clock: { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) { [unowned self] text in
            self.draw(text)
        }
    }

    /// What `DataOptions.progress` calls.
    var callback: DownloadProgress { bar.callback }

    /// Called before each cell: a download in it starts a display of its own.
    func reset() {
        lock.lock(); defer { lock.unlock() }
        display.reset()
        lines.removeAll()
        running = nil
        lastShown = .distantPast
    }

    /// The bar's pieces: "\rLINE" redraws the running line, "\n" finishes it.
    private func draw(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        if text == "\n" {
            if let running { lines.append(running) }
            running = nil
        } else {
            running = String(text.drop { $0 == "\r" })
            guard Date().timeIntervalSince(lastShown) >= NotebookTraining.interval else { return }
        }
        lastShown = Date()
        display.show(LiveDisplay.text((lines + (running.map { [$0] } ?? [])).joined(separator: "\n")))
    }
}
