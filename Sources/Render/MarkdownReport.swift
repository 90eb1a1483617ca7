extension NotebookReport {
    /// `index.md`: Markdown cells as written, code in ```` ```cnnb ```` fences, text outputs in
    /// plain fences, figures as images relative to the report folder, errors under a bold label.
    public func markdownText() -> String {
        var blocks: [String] = []
        if let heading = leadingHeading {
            blocks.append("# " + heading.replacingOccurrences(of: "\n", with: " "))
        }
        for cell in cells {
            switch cell.kind {
            case .markdown:
                let text = NotebookReport.trimmingBlankEnds(cell.source)
                if !text.isEmpty { blocks.append(text) }
            case .code:
                blocks.append(NotebookReport.fenced(NotebookReport.trimmingBlankEnds(cell.source), info: "cnnb"))
                for output in cell.outputs {
                    switch output {
                    case .text(let text):
                        blocks.append(NotebookReport.fenced(NotebookReport.trimmingTrailingNewlines(NotebookReport.stripTerminalCodes(text)), info: ""))
                    case .figure(let path):
                        let target = path.contains(" ") || path.contains("(") || path.contains(")") ? "<\(path)>" : path
                        blocks.append("![](\(target))")
                    case .error(let message):
                        blocks.append("**Error**\n\n" + NotebookReport.fenced(NotebookReport.trimmingTrailingNewlines(NotebookReport.stripTerminalCodes(message)), info: "text"))
                    }
                }
            }
        }
        return blocks.joined(separator: "\n\n") + "\n"
    }

    /// A fenced block whose fence is longer than any run of backticks inside it.
    static func fenced(_ body: String, info: String) -> String {
        var longest = 0, run = 0
        for character in body {
            if character == "`" {
                run += 1
                longest = max(longest, run)
            } else {
                run = 0
            }
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return fence + info + "\n" + body + (body.isEmpty ? "" : "\n") + fence
    }

    /// Text without blank lines at its start and end (inner lines keep their indentation).
    static func trimmingBlankEnds(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while let first = lines.first, first.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { lines.removeFirst() }
        while let last = lines.last, last.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { lines.removeLast() }
        return lines.joined(separator: "\n")
    }

    static func trimmingTrailingNewlines(_ text: String) -> String {
        var result = text
        while result.hasSuffix("\n") { result.removeLast() }
        return result
    }
}
