import Foundation
import Language
import Render

/// Jupyter's MIME bundles for what a statement gives back.
enum RichOutput {
    /// A figure: the PNG the session wrote (with its size, as Jupyter sizes images), charts and
    /// model graphs also as SVG, and a line of text for readers without pictures.
    static func figure(_ figure: Figure, path: String) -> (data: [String: Any], metadata: [String: Any]) {
        var data: [String: Any] = ["text/plain": figure.summary]
        var metadata: [String: Any] = [:]
        let png = FileManager.default.contents(atPath: path) ?? (try? figure.pngData())
        if let png {
            data["image/png"] = png.base64EncodedString()
            let size = figure.pixelSize
            metadata["image/png"] = ["width": size.width, "height": size.height]
        }
        switch figure.content {
        case .lineChart, .modelGraph:
            if let svg = try? figure.svgText() { data["image/svg+xml"] = svg }
        default:
            break
        }
        return (data, metadata)
    }

    /// A diagnostic as Jupyter's `error`: the traceback is the rendered diagnostic, coloured as
    /// a terminal shows it (file:line:column, the source line, the caret, the hint).
    static func error(_ diagnostic: Diagnostic, source: String) -> [String: Any] {
        let rendered = diagnostic.rendered(source: source, color: true)
        return ["ename": "Error", "evalue": diagnostic.message,
                "traceback": rendered.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)]
    }
}
