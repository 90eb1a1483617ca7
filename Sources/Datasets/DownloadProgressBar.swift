import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The text progress bar of a download, redrawn in place on one terminal line:
///
///     cifar-10-binary.tar.gz   45.2/162.6 MB [========>.....................]  27%
///
/// A line is drawn only when its text changes, and the bar ends with a newline once the whole
/// file has arrived.
public final class DownloadProgressBar: @unchecked Sendable {
    private let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private var lastLine = ""
    private var finished: Set<String> = []

    /// A bar that hands each piece of text (starting with "\r", or a final "\n") to `write`.
    public init(write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    /// A bar drawn on standard error.
    public static func standardError() -> DownloadProgressBar {
        DownloadProgressBar { text in
            fputs(text, stderr)
            fflush(stderr)
        }
    }

    /// The callback to give `DataOptions.progress`.
    public var callback: DownloadProgress {
        { [self] file, received, total in report(file: file, received: received, total: total) }
    }

    public func report(file: String, received: Int64, total: Int64?) {
        lock.lock()
        defer { lock.unlock() }
        guard !finished.contains(file) else { return }
        let line = Self.line(file: file, received: received, total: total)
        if line != lastLine {
            write("\r" + line)
            lastLine = line
        }
        if let total, received >= total {
            write("\n")
            finished.insert(file)
            lastLine = ""
        }
    }

    /// One state of the bar: the file, bytes received (of the total when known), a bar of
    /// `width` cells and the percentage.
    public static func line(file: String, received: Int64, total: Int64?, width: Int = 30) -> String {
        guard let total, total > 0 else {
            return "\(file) \(megabytes(received)) MB"
        }
        let fraction = min(max(Double(received) / Double(total), 0), 1)
        let filled = Int(fraction * Double(width))
        let bar: String
        if filled >= width {
            bar = String(repeating: "=", count: width)
        } else {
            bar = String(repeating: "=", count: filled) + ">" + String(repeating: ".", count: width - filled - 1)
        }
        let percent = Int(fraction * 100)
        let amounts = "\(megabytes(received))/\(megabytes(total)) MB"
        let percentText = String(repeating: " ", count: 3 - String(percent).count) + "\(percent)%"
        return "\(file) \(amounts) [\(bar)] \(percentText)"
    }

    /// Bytes as megabytes (10^6) with one decimal.
    public static func megabytes(_ bytes: Int64) -> String {
        let tenths = (bytes + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10)"
    }
}
