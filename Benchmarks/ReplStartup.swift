import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `cnnb` executable built next to this benchmark (`swift build -c release --product cnnb`
/// puts both in the same folder), or nil when it is not there.
func siblingCnnbBinary() -> String? {
    let folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    let path = folder.appendingPathComponent("cnnb").path
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}

/// Start-up of the interactive session: the time from starting `binary` on a pseudo-terminal
/// until its `cnnb> ` prompt appears (median and fastest of `runs`), with a history file of
/// 1000 entries to read; and the time for `echo :quit | cnnb` to start and finish.
/// Keys: `repl_startup_ms`, `repl_startup_min_ms`, `repl_piped_quit_ms`.
func measureReplStartup(binary: String, runs: Int = 15) -> [(String, String)] {
    let folder = (NSTemporaryDirectory() as NSString).appendingPathComponent("cnnb-startup-\(getpid())")
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let history = (folder as NSString).appendingPathComponent("history")
    let entries = (0..<1000).map { "#\(1_700_000_000 + $0)\nx = \($0) * 2\n" }.joined()
    _ = FileManager.default.createFile(atPath: history, contents: Data(entries.utf8))
    var environment = ProcessInfo.processInfo.environment
    environment["HOME"] = folder
    environment["CNNB_HISTORY"] = history
    environment["TERM"] = "xterm"

    var prompt: [Double] = []
    for _ in 0..<runs {
        guard let ms = timeToPrompt(binary: binary, environment: environment, folder: folder) else {
            return [("repl_startup_ms", "failed")]
        }
        prompt.append(ms)
    }
    var piped: [Double] = []
    for _ in 0..<runs {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        let start = DispatchTime.now().uptimeNanoseconds
        guard (try? process.run()) != nil else { return [("repl_startup_ms", "failed")] }
        input.fileHandleForWriting.write(Data(":quit\n".utf8))
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        piped.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    prompt.sort()
    piped.sort()
    return [("repl_startup_ms", String(format: "%.1f", prompt[prompt.count / 2])),
            ("repl_startup_min_ms", String(format: "%.1f", prompt[0])),
            ("repl_piped_quit_ms", String(format: "%.1f", piped[piped.count / 2]))]
}

/// Milliseconds from starting `binary` with a pseudo-terminal as its standard streams until
/// the prompt is on the terminal; then it is sent `:quit` and waited for. Nil on failure.
private func timeToPrompt(binary: String, environment: [String: String], folder: String) -> Double? {
    var master: Int32 = -1, slave: Int32 = -1
    var size = winsize(ws_row: 40, ws_col: 120, ws_xpixel: 0, ws_ypixel: 0)
    guard openpty(&master, &slave, nil, nil, &size) == 0 else { return nil }
    defer { close(master) }
    let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.environment = environment
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    process.standardInput = terminal
    process.standardOutput = terminal
    process.standardError = terminal
    let start = DispatchTime.now().uptimeNanoseconds
    guard (try? process.run()) != nil else { return nil }
    try? terminal.close()

    var seen = [UInt8]()
    let marker = Array("cnnb> ".utf8)
    var elapsed: Double?
    var buffer = [UInt8](repeating: 0, count: 4096)
    while elapsed == nil {
        var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 10_000) > 0 else { break }
        let count = read(master, &buffer, buffer.count)
        guard count > 0 else { break }
        seen += buffer[0..<count]
        if seen.count >= marker.count, (0...(seen.count - marker.count)).contains(where: { seen[$0..<($0 + marker.count)].elementsEqual(marker) }) {
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        }
    }
    let quit = Array(":quit\r".utf8)
    _ = quit.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    // Drain the terminal so the session can finish writing, then wait for it.
    while true {
        var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 5_000) > 0, read(master, &buffer, buffer.count) > 0 else { break }
    }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    return elapsed
}
