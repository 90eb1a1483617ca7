import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Progress of a download: the file's name, bytes received so far and the total when the
/// server says it. Called on a background thread; the caller draws the bar.
public typealias DownloadProgress = @Sendable (_ file: String, _ received: Int64, _ total: Int64?) -> Void

/// Fetches one URL into a file with URLSession, streaming the body to disk and reporting progress.
enum HTTPDownload {
    /// A transfer abandoned because `shouldStop` said so.
    struct Stopped: Error { var file: String }

    /// `shouldStop` is asked every 100 ms while the body arrives, on the calling thread (the
    /// one the session's interrupt check belongs to): true cancels the transfer.
    static func fetch(_ url: URL, to path: String, progress: DownloadProgress?,
                      shouldStop: () -> Bool = { false }) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let output = FileHandle(forWritingAtPath: path) else {
            throw DataError("cannot create \(path)", hint: "check that \((path as NSString).deletingLastPathComponent) is writable")
        }
        defer { try? output.close() }
        let receiver = Receiver(output: output, name: url.lastPathComponent, progress: progress)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        let session = URLSession(configuration: configuration, delegate: receiver, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        if shouldStop() { throw Stopped(file: url.lastPathComponent) }
        let task = session.dataTask(with: url)
        task.resume()
        while receiver.done.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
            guard shouldStop() else { continue }
            receiver.stop()
            task.cancel()
            // The delegate's last call closes the file; a stalled transfer is not waited for long.
            _ = receiver.done.wait(timeout: .now() + .seconds(2))
            throw Stopped(file: url.lastPathComponent)
        }
        if let failure = receiver.failure { throw failure }
    }

    /// Writes the body as it arrives; records the first failure.
    private final class Receiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        let output: FileHandle
        let name: String
        let progress: DownloadProgress?
        let done = DispatchSemaphore(value: 0)
        var received: Int64 = 0
        var total: Int64?
        var failure: DataError?
        private let lock = NSLock()
        private var stopped = false

        /// After this, arriving data is neither written nor reported.
        func stop() { lock.lock(); stopped = true; lock.unlock() }
        private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

        init(output: FileHandle, name: String, progress: DownloadProgress?) {
            self.output = output
            self.name = name
            self.progress = progress
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
            if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                failure = DataError("\(response.url?.absoluteString ?? name) answered HTTP \(http.statusCode)")
                completionHandler(.cancel)
                return
            }
            total = response.expectedContentLength >= 0 ? response.expectedContentLength : nil
            progress?(name, 0, total)
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            guard failure == nil, !isStopped else { return }
            do {
                try output.write(contentsOf: data)
            } catch {
                failure = DataError("cannot write the download of \(name): \(error.localizedDescription)",
                                    hint: "check the free space of the cache folder")
                dataTask.cancel()
                return
            }
            received += Int64(data.count)
            progress?(name, received, total)
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
            if failure == nil, let error {
                failure = DataError("downloading \(task.originalRequest?.url?.absoluteString ?? name) failed: \(error.localizedDescription)")
            }
            if failure == nil, let total, received != total {
                failure = DataError("downloading \(name) stopped after \(received) of \(total) bytes")
            }
            done.signal()
        }
    }
}
