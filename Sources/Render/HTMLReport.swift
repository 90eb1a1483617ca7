import Foundation

extension NotebookReport {
    /// `index.html`: one page with its style inline and every figure embedded as a data URI, so
    /// it can be mailed or opened anywhere on its own. Reads the figures from `directory`.
    public func htmlText(figuresIn directory: URL) throws -> String {
        htmlText(figures: try FigureStore(directory: directory, cells: cells))
    }

    static let pageStyle = """
    :root { color-scheme: light; }
    body { margin: 0; background: #f6f6f4; color: #1f1f1f;
           font: 16px/1.55 "DejaVu Sans", -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
    main { max-width: 980px; margin: 0 auto; padding: 24px 16px 64px; }
    h1.report-title { font-size: 1.9em; margin: 0.4em 0 0.8em; }
    .cell { display: flex; gap: 12px; margin: 0 0 14px; }
    .prompt { flex: 0 0 64px; text-align: right; font: 13px/1.5 "DejaVu Sans Mono", Menlo, Consolas, monospace;
              color: #303f9f; padding-top: 9px; white-space: nowrap; }
    .body { flex: 1 1 auto; min-width: 0; }
    .markdown .body { background: transparent; padding: 0 4px; }
    .markdown .body h1, .markdown .body h2, .markdown .body h3 { line-height: 1.25; margin: 0.6em 0 0.4em; }
    .markdown .body img { max-width: 100%; }
    .markdown .body table { border-collapse: collapse; margin: 0.5em 0; }
    .markdown .body th, .markdown .body td { border: 1px solid #cfcfcf; padding: 3px 9px; }
    .markdown .body blockquote { margin: 0.5em 0; padding: 0 1em; border-left: 4px solid #cfcfcf; color: #555; }
    pre, code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13.5px; }
    :not(pre) > code { background: #ececec; padding: 1px 4px; border-radius: 3px; }
    pre { margin: 0; padding: 8px 10px; overflow-x: auto; white-space: pre; line-height: 1.4; }
    .source pre { background: #ffffff; border: 1px solid #d6d6d6; border-radius: 4px; }
    .outputs { margin-top: 6px; }
    .output { margin: 4px 0 0; }
    .output pre { background: transparent; padding: 4px 10px; line-height: 1.2; }
    .output.figure img { max-width: 100%; height: auto; background: #fff; }
    .output.error pre { background: #fdecea; color: #8a1c12; border-left: 4px solid #d93025; border-radius: 2px;
                        white-space: pre-wrap; }
    .output.error .label { font-weight: bold; color: #b3261e; padding: 0 10px; font-size: 14px; }
    .out-prompt { color: #c2185b; }
    """

    func htmlText(figures: FigureStore) -> String {
        let title = self.title.trimmingCharacters(in: .whitespacesAndNewlines)
        var page = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="cnnb">
        <title>\(Markup.escape(title.isEmpty ? "cnnb notebook" : title))</title>
        <style>
        \(NotebookReport.pageStyle)
        </style>
        </head>
        <body>
        <main>

        """
        if let heading = leadingHeading {
            page += "<h1 class=\"report-title\">" + Markup.escape(heading) + "</h1>\n"
        }
        for (index, cell) in cells.enumerated() {
            switch cell.kind {
            case .markdown:
                page += "<section class=\"cell markdown\" id=\"cell-\(index + 1)\">\n<div class=\"prompt\"></div>\n<div class=\"body\">\n"
                page += Markup.html(cell.source)
                page += "</div>\n</section>\n"
            case .code:
                let count = cell.executionCount.map(String.init) ?? " "
                page += "<section class=\"cell code\" id=\"cell-\(index + 1)\">\n"
                page += "<div class=\"prompt\">In&nbsp;[\(count)]:</div>\n<div class=\"body\">\n"
                page += "<div class=\"source\"><pre><code class=\"language-cnnb\">"
                page += Markup.escape(NotebookReport.trimmingBlankEnds(cell.source)) + "</code></pre></div>\n"
                if !cell.outputs.isEmpty {
                    page += "<div class=\"outputs\">\n"
                    for output in cell.outputs {
                        page += NotebookReport.html(for: output, figures: figures)
                    }
                    page += "</div>\n"
                }
                page += "</div>\n</section>\n"
            }
        }
        page += "</main>\n</body>\n</html>\n"
        return page
    }

    private static func html(for output: CellOutput, figures: FigureStore) -> String {
        switch output {
        case .text(let text):
            return "<div class=\"output text\"><pre>" + Markup.escape(trimmingTrailingNewlines(stripTerminalCodes(text))) + "</pre></div>\n"
        case .figure(let path):
            guard let picture = figures[path] else {
                return "<div class=\"output error\"><pre>" + Markup.escape("missing figure \(path)") + "</pre></div>\n"
            }
            let alt = Markup.escape((path as NSString).lastPathComponent)
            return "<div class=\"output figure\"><img alt=\"\(alt)\" src=\"data:\(picture.mimeType);base64,"
                + picture.data.base64EncodedString() + "\"></div>\n"
        case .error(let message):
            return "<div class=\"output error\" role=\"alert\"><div class=\"label\">Error</div><pre>"
                + Markup.escape(trimmingTrailingNewlines(stripTerminalCodes(message))) + "</pre></div>\n"
        }
    }
}
