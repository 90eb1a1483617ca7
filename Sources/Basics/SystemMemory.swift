import Foundation

/// How much memory the machine can give now, for refusing work that would not fit before it
/// allocates anything.
public enum SystemMemory {
    /// Bytes available without swapping: Linux's `MemAvailable`, else the physical memory.
    public static func available() -> Int {
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
                let fields = line.split(separator: " ")
                if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes * 1024 }
            }
        }
        return Int(clamping: ProcessInfo.processInfo.physicalMemory)
    }
}
