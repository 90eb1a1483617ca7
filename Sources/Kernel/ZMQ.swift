import CZMQ
import Foundation

/// A ZeroMQ socket of the real libzmq: multipart messages as arrays of frames. Each socket is
/// used by one thread only, as ZeroMQ requires.
final class ZMQSocket {
    let handle: UnsafeMutableRawPointer
    let role: String

    init(context: UnsafeMutableRawPointer, type: Int32, role: String) throws {
        guard let handle = zmq_socket(context, type) else { throw KernelError.zmq("cannot make the \(role) socket", ZMQSocket.lastError) }
        self.handle = handle
        self.role = role
        // A reply still queued when the kernel stops gets a second to leave.
        var linger: Int32 = 1000
        zmq_setsockopt(handle, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        if type == ZMQ_ROUTER {
            // A client that reconnects under its old identity (jupyter_client's clients of one
            // kernel manager share it) takes the connection over, as with ipykernel.
            var handover: Int32 = 1
            zmq_setsockopt(handle, ZMQ_ROUTER_HANDOVER, &handover, MemoryLayout<Int32>.size)
        }
    }

    static var lastError: String { String(cString: zmq_strerror(zmq_errno())) }

    func bind(_ endpoint: String) throws {
        if zmq_bind(handle, endpoint) != 0 {
            throw KernelError.zmq("cannot listen on \(endpoint) (\(role))", ZMQSocket.lastError)
        }
    }

    /// Sends every frame; false when libzmq refused (the context is closing).
    @discardableResult
    func send(_ frames: [[UInt8]]) -> Bool {
        for (index, frame) in frames.enumerated() {
            let flags = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            var sent: Int32
            repeat {
                sent = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            } while sent < 0 && zmq_errno() == EINTR
            if sent < 0 { return false }
        }
        return true
    }

    /// Receives one multipart message, waiting for it; nil when the context is closing.
    func receive() -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        while true {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            var size: Int32
            repeat { size = zmq_msg_recv(&message, handle, 0) } while size < 0 && zmq_errno() == EINTR
            if size < 0 { return nil }
            let count = zmq_msg_size(&message)
            if let data = zmq_msg_data(&message), count > 0 {
                frames.append(Array(UnsafeRawBufferPointer(start: data, count: count)))
            } else {
                frames.append([])
            }
            if zmq_msg_more(&message) == 0 { return frames }
        }
    }

    /// Waits up to `milliseconds` for a message on any of `sockets`; the indices that have one.
    static func poll(_ sockets: [ZMQSocket], milliseconds: Int) -> [Int] {
        var items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        let count = zmq_poll(&items, Int32(items.count), milliseconds)
        guard count > 0 else { return [] }  // a timeout, or EINTR from a Ctrl-C: poll again
        return items.indices.filter { items[$0].revents & Int16(ZMQ_POLLIN) != 0 }
    }

    func close() { zmq_close(handle) }
}
