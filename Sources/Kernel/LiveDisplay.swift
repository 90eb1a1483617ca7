import Foundation
import Render

/// One output that updates in place (Jupyter's `display_id`): the first `show` publishes
/// `display_data` under a new id, the next ones `update_display_data` with the same id.
final class LiveDisplay {
    /// Publishes a message of the given type with this content on iopub.
    private let publish: (_ type: String, _ content: [String: Any]) -> Void
    private var displayID: String?

    init(publish: @escaping (_ type: String, _ content: [String: Any]) -> Void) {
        self.publish = publish
    }

    /// The next `show` starts a display of its own.
    func reset() { displayID = nil }

    func show(_ data: [String: Any]) {
        if let displayID {
            publish("update_display_data", ["data": data, "metadata": [:] as [String: Any], "transient": ["display_id": displayID]])
        } else {
            let id = UUID().uuidString.lowercased()
            displayID = id
            publish("display_data", ["data": data, "metadata": [:] as [String: Any], "transient": ["display_id": id]])
        }
    }

    /// Lines of text as plain text and as HTML `<pre>`, with `html` after them.
    static func text(_ text: String, html: String = "") -> [String: Any] {
        ["text/plain": text, "text/html": "<pre>" + Markup.escape(text) + "</pre>" + html]
    }
}
