import Foundation

/// The connection file Jupyter writes for a kernel it starts: where to listen and the key that
/// signs messages.
public struct ConnectionInfo: Decodable {
    public var transport: String
    public var ip: String
    public var shellPort: Int
    public var iopubPort: Int
    public var stdinPort: Int
    public var controlPort: Int
    public var hbPort: Int
    public var key: String
    public var signatureScheme: String

    enum CodingKeys: String, CodingKey {
        case transport, ip, key
        case shellPort = "shell_port", iopubPort = "iopub_port", stdinPort = "stdin_port"
        case controlPort = "control_port", hbPort = "hb_port", signatureScheme = "signature_scheme"
    }

    public static func read(_ path: String) throws -> ConnectionInfo {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KernelError.connectionFile(path: path, reason: "no such file or not readable")
        }
        let info: ConnectionInfo
        do {
            info = try JSONDecoder().decode(ConnectionInfo.self, from: data)
        } catch DecodingError.keyNotFound(let key, _) {
            throw KernelError.connectionFile(path: path, reason: "it has no \"\(key.stringValue)\"")
        } catch DecodingError.typeMismatch(_, let context) {
            let key = context.codingPath.last?.stringValue ?? "a value"
            throw KernelError.connectionFile(path: path, reason: "\"\(key)\" has the wrong type")
        } catch {
            throw KernelError.connectionFile(path: path, reason: "it is not JSON")
        }
        guard info.signatureScheme == "hmac-sha256" else {
            throw KernelError.connectionFile(path: path, reason: "signature scheme \"\(info.signatureScheme)\" is not hmac-sha256, the one cnnb signs with")
        }
        guard info.transport == "tcp" || info.transport == "ipc" else {
            throw KernelError.connectionFile(path: path, reason: "transport \"\(info.transport)\" is neither tcp nor ipc")
        }
        for (name, port) in [("shell_port", info.shellPort), ("iopub_port", info.iopubPort), ("stdin_port", info.stdinPort),
                             ("control_port", info.controlPort), ("hb_port", info.hbPort)] where !(1...65535).contains(port) {
            throw KernelError.connectionFile(path: path, reason: "\(name) \(port) is not a port number")
        }
        return info
    }

    /// `tcp://127.0.0.1:PORT`, or for ipc `ipc://IP-PORT` as jupyter_client names it.
    func endpoint(_ port: Int) -> String {
        transport == "ipc" ? "ipc://\(ip)-\(port)" : "tcp://\(ip):\(port)"
    }
}
