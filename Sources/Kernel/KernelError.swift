import Basics

/// What stops the kernel from starting or serving, written for the person who started it.
public enum KernelError: ExplainedError {
    case connectionFile(path: String, reason: String)
    case zmq(String, String)
    case kernelSpec(String)

    public var message: String {
        switch self {
        case .connectionFile(let path, let reason): return "cannot use the connection file \(path): \(reason)"
        case .zmq(let what, let reason): return "\(what): \(reason)"
        case .kernelSpec(let reason): return reason
        }
    }

    public var hint: String? {
        switch self {
        case .connectionFile: return "Jupyter writes this file when it starts the kernel: cnnb kernel -f {connection_file}"
        case .zmq(_, let reason) where reason.lowercased().contains("in use"):
            return "another program holds the port; let Jupyter pick free ports, or change them in the connection file"
        case .zmq: return nil
        case .kernelSpec: return nil
        }
    }
}
