import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP/1.1 server on 127.0.0.1 and a free port, serving fixed bodies by path, so
/// download tests never touch the real network.
final class LocalHTTPServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let files: [String: [UInt8]]
    /// Content-Length announced instead of the body's size (to cut a transfer short).
    private let announced: [String: Int]
    /// When set, bodies go out this many bytes at a time with a pause after each (a slow link).
    private let pace: (bytes: Int, pause: TimeInterval)?
    private let lock = NSLock()
    private var served: [String] = []

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var requests: [String] { lock.lock(); defer { lock.unlock() }; return served }

    init(files: [String: [UInt8]], announcedLengths: [String: Int] = [:],
         pace: (bytes: Int, pause: TimeInterval)? = nil) throws {
        self.files = files
        announced = announcedLengths
        self.pace = pace
        #if canImport(Glibc)
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let listener = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard listener >= 0 else { throw NSError(domain: "socket", code: Int(errno)) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 8) == 0 else { close(listener); throw NSError(domain: "bind", code: Int(errno)) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        self.listener = listener
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            answer(client)
            close(client)
        }
    }

    private func answer(_ client: Int32) {
        var request: [UInt8] = []
        var byte = [UInt8](repeating: 0, count: 4096)
        while !request.suffix(4).elementsEqual([13, 10, 13, 10]) {
            let n = recv(client, &byte, byte.count, 0)
            if n <= 0 { return }
            request += byte[0..<n]
        }
        let line = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
        let path = line.count > 1 ? String(line[1]) : "/"
        lock.lock(); served.append(path); lock.unlock()
        let body = files[path]
        let head = body == nil
            ? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            : "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: \(announced[path] ?? body!.count)\r\nConnection: close\r\n\r\n"
        let reply = Array(head.utf8) + (body ?? [])
        var sent = 0
        while sent < reply.count {
            let end = pace.map { min(sent + $0.bytes, reply.count) } ?? reply.count
            let n = reply[sent..<end].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }  // the client went away
            sent += n
            if let pace { Thread.sleep(forTimeInterval: pace.pause) }
        }
    }
}
