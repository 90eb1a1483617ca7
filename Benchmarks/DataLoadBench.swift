import Datasets
import Foundation

/// Time and memory to load all of CIFAR-10 (50,000 + 10,000 images) from
/// `<dataDirectory>/cifar-10-batches-bin`: `cifar_load_s` is the wall time of the load,
/// `cifar_load_rss_mb` the process's peak resident memory during it (the peak is reset just
/// before on Linux, so earlier benchmarks do not count), `cifar_load_cpu_s` the CPU time of
/// all threads (user + system), which other processes on the machine do not inflate.
/// Empty when the folder is absent.
func measureCIFARLoad(dataDirectory: String? = ProcessInfo.processInfo.environment["CNNB_DATA"])
    -> [(key: String, value: String)] {
    guard let root = dataDirectory, FileManager.default.fileExists(atPath: root + "/" + CIFAR10.folderName) else {
        FileHandle.standardError.write(Data("cifar_load: no \(CIFAR10.folderName) under \(dataDirectory ?? "$CNNB_DATA (unset)"); skipped\n".utf8))
        return []
    }
    resetPeakMemory()
    let cpuStart = cpuSeconds()
    let start = DispatchTime.now().uptimeNanoseconds
    let dataset: Dataset
    do {
        dataset = try DataLoader.load(.cifar10, options: DataOptions(directory: root, allowDownload: false))
    } catch {
        FileHandle.standardError.write(Data("cifar_load: \(error)\n".utf8))
        return []
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let cpu = cpuSeconds() - cpuStart
    let peak = peakMemoryMB()
    precondition(dataset.train.count + dataset.test.count == 60_000, "CIFAR-10 is 60,000 images")
    return [("cifar_load_s", String(format: "%.3f", seconds)),
            ("cifar_load_rss_mb", peak.map { String(format: "%.0f", $0) } ?? "unknown"),
            ("cifar_load_cpu_s", String(format: "%.3f", cpu))]
}

/// Peak resident memory (VmHWM) in MB (10^6 bytes), from /proc/self/status.
private func peakMemoryMB() -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first
        return kilobytes.map { $0 * 1024 / 1e6 }
    }
    return nil
}

/// Sets the peak back to the current resident memory ("5" in /proc/self/clear_refs, Linux 4.0+).
private func resetPeakMemory() {
    guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return }
    handle.write(Data("5".utf8))
    try? handle.close()
}

/// User and system CPU time of the whole process so far.
private func cpuSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}
