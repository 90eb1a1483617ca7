import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The text progress bar of a download. On a terminal it is redrawn in place on one line, with
/// the speed and the time left once there is a clock to measure them:
///
///     cifar-10-binary.tar.gz 45.2/162.6 MB [========>.....................]  27% 5.1 MB/s 0:23 left
///
/// Into a file or a pipe (a CI log) it writes one finished line per tenth of the file instead of
/// hundreds of carriage returns. A line is drawn only when its text changes, and the bar ends
/// with a newline once the whole file has arrived.
public final class DownloadProgressBar: @unchecked Sendable {
    private let write: @Sendable (String) -> Void
    private let isTerminal: Bool
    private let clock: (@Sendable () -> Double)?
    private let lock = NSLock()
    private var lastLine = ""
    private var finished: Set<String> = []
    private var started: [String: Double] = [:]
    private var tenthsWritten: [String: Int64] = [:]

    /// A bar that hands each piece of text (starting with "\r", or a final "\n") to `write`;
    /// with `isTerminal` false, whole lines at each tenth. `clock` (seconds) adds speed and time left.
    public init(isTerminal: Bool = true, clock: (@Sendable () -> Double)? = nil, write: @escaping @Sendable (String) -> Void) {
        self.isTerminal = isTerminal
        self.clock = clock
        self.write = write
    }

    /// A bar drawn on standard error, in place when it is a terminal.
    public static func standardError() -> DownloadProgressBar {
        DownloadProgressBar(isTerminal: isatty(STDERR_FILENO) == 1,
                            clock: { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) { text in
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
        // A transfer of the same file that starts again (a load after a failed one) is drawn again.
        if received == 0 && finished.remove(file) != nil {
            started[file] = nil
            tenthsWritten[file] = nil
        }
        guard !finished.contains(file) else { return }
        let now = clock?()
        if let now, started[file] == nil { started[file] = now }
        guard isTerminal else {
            // A tenth of the file (or 10 MB when its size is unknown) per line.
            let tenth = total.map { $0 > 0 ? received * 10 / $0 : 0 } ?? received / 10_000_000
            if tenth > (tenthsWritten[file] ?? -1) {
                write(Self.line(file: file, received: received, total: total) + "\n")
                tenthsWritten[file] = tenth
            }
            if let total, received >= total { finished.insert(file) }
            return
        }
        var line = Self.line(file: file, received: received, total: total)
        if let now, let start = started[file], total.map({ received < $0 }) ?? true {
            line += Self.rate(received: received, total: total, seconds: now - start)
        }
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

    /// ` 5.1 MB/s 0:23 left` after `seconds` (empty before there is a speed to tell).
    public static func rate(received: Int64, total: Int64?, seconds: Double) -> String {
        guard seconds >= 0.5, received > 0 else { return "" }
        let perSecond = Double(received) / seconds
        var text = " " + megabytes(Int64(perSecond)) + " MB/s"
        if let total, total > received {
            let left = Int((Double(total - received) / perSecond).rounded(.up))
            text += " " + (left >= 3600 ? "\(left / 3600):" + twoDigits(left / 60 % 60) : "\(left / 60)") + ":" + twoDigits(left % 60) + " left"
        }
        return text
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// Bytes as megabytes (10^6) with one decimal.
    public static func megabytes(_ bytes: Int64) -> String {
        let tenths = (bytes + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10)"
    }
}
