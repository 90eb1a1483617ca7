import CMark
import Foundation

/// Text for HTML and SVG pages: the one escaper, and Markdown cells rendered by cmark-gfm.
public enum Markup {
    /// `&`, `<`, `>`, `"` and `'` as entities, so text shows as written in HTML and in XML.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// GitHub-flavoured Markdown (CommonMark plus tables, ~~strikethrough~~ and autolinks) as
    /// HTML. Safe mode: raw HTML is left out and `javascript:` links lose their target, so a
    /// notebook handed round cannot run script in the page. An image stored inside the .ipynb
    /// (`attachment:`) has nothing to point at here, so its alt text stands in.
    public static func html(_ markdown: String) -> String {
        cmark_gfm_core_extensions_ensure_registered()
        guard let parser = cmark_parser_new(CMARK_OPT_DEFAULT) else { return "<pre>" + escape(markdown) + "</pre>\n" }
        defer { cmark_parser_free(parser) }
        for name in ["table", "strikethrough", "autolink"] {
            if let extensionPointer = cmark_find_syntax_extension(name) {
                cmark_parser_attach_syntax_extension(parser, extensionPointer)
            }
        }
        let bytes = Array(markdown.utf8)
        bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { cmark_parser_feed(parser, $0, buffer.count) }
            }
        }
        guard let document = cmark_parser_finish(parser) else { return "<pre>" + escape(markdown) + "</pre>\n" }
        defer { cmark_node_free(document) }
        replaceAttachedImages(in: document)
        guard let rendered = cmark_render_html(document, CMARK_OPT_DEFAULT, cmark_parser_get_syntax_extensions(parser)) else { return "" }
        defer { free(rendered) }
        return String(cString: rendered)
    }

    /// `![name](attachment:name)` becomes the text `[image: name]`.
    private static func replaceAttachedImages(in document: OpaquePointer) {
        var images: [OpaquePointer] = []
        let iterator = cmark_iter_new(document)
        defer { cmark_iter_free(iterator) }
        while true {
            let event = cmark_iter_next(iterator)
            if event == CMARK_EVENT_DONE { break }
            guard event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator),
                  cmark_node_get_type(node) == CMARK_NODE_IMAGE,
                  let url = cmark_node_get_url(node), String(cString: url).hasPrefix("attachment:") else { continue }
            images.append(node)
        }
        for image in images {
            var alt = ""
            var child = cmark_node_first_child(image)
            while let node = child {
                if let literal = cmark_node_get_literal(node) { alt += String(cString: literal) }
                child = cmark_node_next(node)
            }
            guard let text = cmark_node_new(CMARK_NODE_TEXT) else { continue }
            cmark_node_set_literal(text, "[image: \(alt)]")
            cmark_node_insert_before(image, text)
            cmark_node_free(image)
        }
    }
}
