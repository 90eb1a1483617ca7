import Foundation

/// One message of the Jupyter protocol (5.3), as dictionaries of JSON values.
struct Message {
    /// The ROUTER's routing frames, sent back with the reply.
    var identities: [[UInt8]]
    var header: [String: Any]
    var parentHeader: [String: Any]
    var metadata: [String: Any]
    var content: [String: Any]
    /// Set when the content frame was not UTF-8 JSON (the header still names the request).
    var contentProblem: String?

    var type: String { header["msg_type"] as? String ?? "" }
    var id: String { header["msg_id"] as? String ?? "" }

    static let delimiter = Array("<IDS|MSG>".utf8)

    enum WireError: Error, CustomStringConvertible {
        case noDelimiter, tooFewFrames, badSignature, badHeader
        var description: String {
            switch self {
            case .noDelimiter: return "no <IDS|MSG> delimiter"
            case .tooFewFrames: return "fewer than the five frames after the delimiter"
            case .badSignature: return "the signature does not match (a wrong key, or a changed message)"
            case .badHeader: return "the header is not a JSON object with msg_id and msg_type"
            }
        }
    }

    /// Reads the frames of a message, checking the signature before anything else.
    init(frames: [[UInt8]], signer: Signer) throws(WireError) {
        guard let split = frames.firstIndex(of: Message.delimiter) else { throw .noDelimiter }
        guard frames.count >= split + 6 else { throw .tooFewFrames }
        let parts = frames[(split + 2)...(split + 5)]
        guard signer.verify(frames[split + 1], parts) else { throw .badSignature }
        identities = Array(frames[..<split])
        func object(_ bytes: [UInt8]) -> [String: Any]? {
            guard String(validating: bytes, as: UTF8.self) != nil else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
        }
        guard let header = object(frames[split + 2]), header["msg_id"] is String, header["msg_type"] is String else { throw .badHeader }
        self.header = header
        parentHeader = object(frames[split + 3]) ?? [:]
        metadata = object(frames[split + 4]) ?? [:]
        if let content = object(frames[split + 5]) {
            self.content = content
        } else {
            content = [:]
            contentProblem = String(validating: frames[split + 5], as: UTF8.self) == nil
                ? "the message content is not UTF-8 text" : "the message content is not a JSON object"
        }
    }

    init(identities: [[UInt8]], header: [String: Any], parentHeader: [String: Any], content: [String: Any]) {
        self.identities = identities
        self.header = header
        self.parentHeader = parentHeader
        metadata = [:]
        self.content = content
    }

    /// The frames to send: routing, delimiter, signature, then the four JSON parts.
    func frames(signer: Signer) -> [[UInt8]] {
        let parts = [header, parentHeader, metadata, content].map(Message.json)
        return identities + [Message.delimiter, Array(signer.signature(parts[...]).utf8)] + parts
    }

    static func json(_ object: [String: Any]) -> [UInt8] {
        // Values the kernel makes are always valid JSON; an empty object is the safe fallback.
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes]) else { return Array("{}".utf8) }
        return Array(data)
    }
}
