/// Markdown to HTML for the report page: ATX headings, paragraphs, emphasis, inline code, fenced
/// code, links, images, block quotes, nested lists, rules and pipe tables. Raw HTML in the text
/// is shown as text, never interpreted.
public enum MarkdownHTML {
    public static func render(_ markdown: String) -> String {
        let lines = markdown.replacingOccurrences(of: "\r\n", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { expandTabs(String($0)) }
        return renderBlocks(lines, tight: false)
    }

    /// `&`, `<`, `>`, `"` and `'` as entities, so text shows as written.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text { appendEscaped(character, to: &out) }
        return out
    }

    static func appendEscaped(_ character: Character, to out: inout String) {
        switch character {
        case "&": out.append("&amp;")
        case "<": out.append("&lt;")
        case ">": out.append("&gt;")
        case "\"": out.append("&quot;")
        case "'": out.append("&#39;")
        default: out.append(character)
        }
    }

    // MARK: - Blocks

    private static func expandTabs(_ line: String) -> String {
        guard line.contains("\t") else { return line }
        var out = ""
        for character in line {
            if character == "\t" {
                out.append(String(repeating: " ", count: 4 - out.count % 4))
            } else {
                out.append(character)
            }
        }
        return out
    }

    private static func leadingSpaces(_ line: String) -> Int {
        line.prefix(while: { $0 == " " }).count
    }

    private static func isBlank(_ line: String) -> Bool {
        line.allSatisfy { $0 == " " }
    }

    /// The fence characters and info string when `line` opens a fenced code block.
    private static func fenceOpening(_ line: String) -> (fence: String, info: String, indent: Int)? {
        let indent = leadingSpaces(line)
        guard indent < 4 else { return nil }
        let rest = line.dropFirst(indent)
        guard let mark = rest.first, mark == "`" || mark == "~" else { return nil }
        let fence = rest.prefix(while: { $0 == mark })
        guard fence.count >= 3 else { return nil }
        let info = rest.dropFirst(fence.count).trimmingCharacters(in: " ")
        if mark == "`" && info.contains("`") { return nil }
        return (String(fence), info, indent)
    }

    private static func heading(_ line: String) -> (level: Int, text: String)? {
        guard leadingSpaces(line) < 4 else { return nil }
        let rest = line.drop(while: { $0 == " " })
        let hashes = rest.prefix(while: { $0 == "#" }).count
        guard (1...6).contains(hashes) else { return nil }
        let after = rest.dropFirst(hashes)
        guard after.isEmpty || after.first == " " else { return nil }
        var text = after.trimmingCharacters(in: " ")
        // A closing run of #s preceded by a space is not part of the heading.
        if let closing = text.lastIndex(where: { $0 != "#" }) {
            let tail = text[text.index(after: closing)...]
            if !tail.isEmpty && text[closing] == " " {
                text = String(text[..<closing]).trimmingCharacters(in: " ")
            }
        } else {
            text = ""
        }
        return (hashes, text)
    }

    private static func isRule(_ line: String) -> Bool {
        guard leadingSpaces(line) < 4 else { return false }
        let marks = line.filter { $0 != " " }
        guard marks.count >= 3, let first = marks.first, first == "-" || first == "*" || first == "_" else { return false }
        return marks.allSatisfy { $0 == first }
    }

    private struct ListMarker {
        let ordered: Bool
        let delimiter: Character
        let start: Int
        /// Columns before the item's content.
        let contentIndent: Int
        let content: String
    }

    private static func listMarker(_ line: String) -> ListMarker? {
        let indent = leadingSpaces(line)
        guard indent < 4 else { return nil }
        let rest = Array(line.dropFirst(indent))
        guard let first = rest.first else { return nil }
        var markerLength: Int
        var ordered = false
        var delimiter = first
        var start = 1
        if first == "-" || first == "*" || first == "+" {
            markerLength = 1
        } else if first.isASCII && first.isNumber {
            let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
            guard digits.count <= 9, digits.count < rest.count, rest[digits.count] == "." || rest[digits.count] == ")" else { return nil }
            ordered = true
            delimiter = rest[digits.count]
            start = Int(String(digits)) ?? 1
            markerLength = digits.count + 1
        } else {
            return nil
        }
        let afterMarker = rest.dropFirst(markerLength)
        if afterMarker.isEmpty {
            return ListMarker(ordered: ordered, delimiter: delimiter, start: start, contentIndent: indent + markerLength + 1, content: "")
        }
        guard afterMarker.first == " " else { return nil }
        let spaces = afterMarker.prefix(while: { $0 == " " }).count
        let gap = spaces > 4 ? 1 : spaces
        let content = String(afterMarker.dropFirst(gap))
        return ListMarker(ordered: ordered, delimiter: delimiter, start: start, contentIndent: indent + markerLength + gap, content: content)
    }

    private static func tableCells(_ line: String) -> [String] {
        var text = line.trimmingCharacters(in: " ")
        if text.hasPrefix("|") { text.removeFirst() }
        if text.hasSuffix("|") && !text.hasSuffix("\\|") { text.removeLast() }
        var cells: [String] = [], current = ""
        var previous: Character = " "
        for character in text {
            if character == "|" && previous != "\\" {
                cells.append(current.trimmingCharacters(in: " "))
                current = ""
            } else if character == "|" {
                current.removeLast()
                current.append("|")
            } else {
                current.append(character)
            }
            previous = character
        }
        cells.append(current.trimmingCharacters(in: " "))
        return cells
    }

    private static func tableAlignments(_ line: String) -> [String?]? {
        guard line.contains("-"), line.contains("|") || line.contains(":") else { return nil }
        var alignments: [String?] = []
        for cell in tableCells(line) {
            guard !cell.isEmpty, cell.allSatisfy({ $0 == "-" || $0 == ":" }), cell.contains("-") else { return nil }
            switch (cell.hasPrefix(":"), cell.hasSuffix(":")) {
            case (true, true): alignments.append("center")
            case (false, true): alignments.append("right")
            case (true, false): alignments.append("left")
            default: alignments.append(nil)
            }
        }
        return alignments
    }

    private static func renderBlocks(_ lines: [String], tight: Bool) -> String {
        var out = ""
        var paragraph: [String] = []
        func flushParagraph() {
            guard !paragraph.isEmpty else { return }
            let text = paragraph.map { String($0.drop(while: { $0 == " " })) }.joined(separator: "\n")
            let body = renderInline(Array(trimmingTrailingSpaces(text)))
            out += tight ? body + "\n" : "<p>" + body + "</p>\n"
            paragraph = []
        }
        var i = 0
        while i < lines.count {
            let line = lines[i]
            if isBlank(line) {
                flushParagraph()
                i += 1
                continue
            }
            if let opening = fenceOpening(line) {
                flushParagraph()
                var body: [String] = []
                i += 1
                while i < lines.count {
                    let candidate = lines[i]
                    let trimmed = candidate.trimmingCharacters(in: " ")
                    if leadingSpaces(candidate) < 4, trimmed.hasPrefix(opening.fence),
                       trimmed.allSatisfy({ $0 == opening.fence.first }) {
                        break
                    }
                    var content = Substring(candidate)
                    var removed = 0
                    while removed < opening.indent, content.first == " " {
                        content = content.dropFirst()
                        removed += 1
                    }
                    body.append(String(content))
                    i += 1
                }
                i += 1
                let language = opening.info.split(separator: " ").first.map(String.init) ?? ""
                let classAttribute = language.isEmpty ? "" : " class=\"language-\(escape(language))\""
                out += "<pre><code\(classAttribute)>" + escape(body.joined(separator: "\n")) + (body.isEmpty ? "" : "\n") + "</code></pre>\n"
                continue
            }
            if let heading = heading(line) {
                flushParagraph()
                out += "<h\(heading.level)>" + renderInline(Array(heading.text)) + "</h\(heading.level)>\n"
                i += 1
                continue
            }
            // A line of dashes under a paragraph is a setext heading; elsewhere a rule.
            if !paragraph.isEmpty, leadingSpaces(line) < 4 {
                let marks = line.trimmingCharacters(in: " ")
                if !marks.isEmpty && (marks.allSatisfy({ $0 == "=" }) || marks.allSatisfy({ $0 == "-" })) {
                    let level = marks.first == "=" ? 1 : 2
                    let text = paragraph.map { $0.trimmingCharacters(in: " ") }.joined(separator: "\n")
                    paragraph = []
                    out += "<h\(level)>" + renderInline(Array(text)) + "</h\(level)>\n"
                    i += 1
                    continue
                }
            }
            if isRule(line) {
                flushParagraph()
                out += "<hr>\n"
                i += 1
                continue
            }
            if leadingSpaces(line) < 4, line.drop(while: { $0 == " " }).first == ">" {
                flushParagraph()
                var quoted: [String] = []
                while i < lines.count {
                    let candidate = lines[i]
                    let stripped = candidate.drop(while: { $0 == " " })
                    if stripped.first == ">" {
                        var rest = stripped.dropFirst()
                        if rest.first == " " { rest = rest.dropFirst() }
                        quoted.append(String(rest))
                    } else if !isBlank(candidate), let last = quoted.last, !isBlank(last),
                              fenceOpening(candidate) == nil, heading(candidate) == nil, listMarker(candidate) == nil {
                        quoted.append(candidate)  // a lazy continuation of the quoted paragraph
                    } else {
                        break
                    }
                    i += 1
                }
                out += "<blockquote>\n" + renderBlocks(quoted, tight: false) + "</blockquote>\n"
                continue
            }
            if let marker = listMarker(line), paragraph.isEmpty || !marker.content.isEmpty {
                if !paragraph.isEmpty && marker.ordered && marker.start != 1 {
                    paragraph.append(line)  // "2019. was a year" inside a paragraph is not a list
                    i += 1
                    continue
                }
                flushParagraph()
                out += renderList(lines, from: &i, first: marker)
                continue
            }
            if paragraph.isEmpty, i + 1 < lines.count, line.contains("|"),
               let alignments = tableAlignments(lines[i + 1]), alignments.count == tableCells(line).count {
                out += renderTable(lines, from: &i, alignments: alignments)
                continue
            }
            paragraph.append(line)
            i += 1
        }
        flushParagraph()
        return out
    }

    private static func renderList(_ lines: [String], from i: inout Int, first: ListMarker) -> String {
        var items: [[String]] = []
        var current: [String] = [first.content]
        var contentIndent = first.contentIndent
        var loose = false
        var pendingBlank = false
        i += 1
        while i < lines.count {
            let line = lines[i]
            if isBlank(line) {
                pendingBlank = true
                current.append("")
                i += 1
                continue
            }
            let indent = leadingSpaces(line)
            if indent >= contentIndent {
                current.append(String(line.dropFirst(contentIndent)))
                pendingBlank = false
                i += 1
                continue
            }
            if let marker = listMarker(line), marker.ordered == first.ordered, marker.delimiter == first.delimiter {
                if pendingBlank { loose = true }
                items.append(current)
                current = [marker.content]
                contentIndent = marker.contentIndent
                pendingBlank = false
                i += 1
                continue
            }
            if !pendingBlank, listMarker(line) == nil, fenceOpening(line) == nil, heading(line) == nil, !isRule(line),
               let last = current.last, !isBlank(last) {
                current.append(line)  // a lazy continuation of the item's paragraph
                i += 1
                continue
            }
            break
        }
        items.append(current)
        // Blank lines between blocks inside one item also make the list loose.
        for item in items {
            var trimmed = item
            while let last = trimmed.last, isBlank(last) { trimmed.removeLast() }
            var sawBlank = false
            for line in trimmed {
                if isBlank(line) { sawBlank = true } else if sawBlank && leadingSpaces(line) == 0 && listMarker(line) == nil {
                    loose = true
                }
            }
        }
        let tag = first.ordered ? "ol" : "ul"
        let startAttribute = first.ordered && first.start != 1 ? " start=\"\(first.start)\"" : ""
        var out = "<\(tag)\(startAttribute)>\n"
        for item in items {
            var body = renderBlocks(item, tight: !loose)
            if body.hasSuffix("\n") { body.removeLast() }
            out += "<li>" + body + "</li>\n"
        }
        return out + "</\(tag)>\n"
    }

    private static func renderTable(_ lines: [String], from i: inout Int, alignments: [String?]) -> String {
        func row(_ line: String, cell: String) -> String {
            var cells = tableCells(line)
            if cells.count < alignments.count { cells += Array(repeating: "", count: alignments.count - cells.count) }
            var out = "<tr>"
            for (index, alignment) in alignments.enumerated() {
                let style = alignment.map { " style=\"text-align: \($0)\"" } ?? ""
                out += "<\(cell)\(style)>" + renderInline(Array(cells[index])) + "</\(cell)>"
            }
            return out + "</tr>\n"
        }
        var out = "<table>\n<thead>\n" + row(lines[i], cell: "th") + "</thead>\n"
        i += 2
        var bodyRows = ""
        while i < lines.count, !isBlank(lines[i]), lines[i].contains("|") {
            bodyRows += row(lines[i], cell: "td")
            i += 1
        }
        if !bodyRows.isEmpty { out += "<tbody>\n" + bodyRows + "</tbody>\n" }
        return out + "</table>\n"
    }

    private static func trimmingTrailingSpaces(_ text: String) -> String {
        var result = text
        while result.last == " " { result.removeLast() }
        return result
    }

    // MARK: - Inline

    private static func isPunctuation(_ c: Character) -> Bool {
        c.isASCII && (c.isPunctuation || c.isSymbol)
    }

    private static func isSpace(_ c: Character?) -> Bool {
        guard let c else { return true }
        return c == " " || c == "\n"
    }

    private static func isWordCharacter(_ c: Character?) -> Bool {
        guard let c else { return false }
        return c.isLetter || c.isNumber
    }

    static func renderInline(_ c: [Character]) -> String {
        var out = ""
        var i = 0
        while i < c.count {
            let ch = c[i]
            switch ch {
            case "\\":
                if i + 1 < c.count, isPunctuation(c[i + 1]) {
                    appendEscaped(c[i + 1], to: &out)
                    i += 2
                } else if i + 1 < c.count, c[i + 1] == "\n" {
                    out += "<br>\n"
                    i += 2
                } else {
                    out += "\\"
                    i += 1
                }
            case "`":
                let run = countRun(c, from: i, of: "`")
                if let close = findCodeClose(c, from: i + run, length: run) {
                    var code = String(c[(i + run)..<close]).replacingOccurrences(of: "\n", with: " ")
                    if code.count >= 2, code.first == " ", code.last == " ", !code.allSatisfy({ $0 == " " }) {
                        code = String(code.dropFirst().dropLast())
                    }
                    out += "<code>" + escape(code) + "</code>"
                    i = close + run
                } else {
                    out += String(repeating: "`", count: run)
                    i += run
                }
            case "!" where i + 1 < c.count && c[i + 1] == "[":
                if let link = parseLink(c, from: i + 1) {
                    let alt = plainText(Array(c[link.textRange]))
                    if link.destination.lowercased().hasPrefix("attachment:") {
                        out += "<span class=\"missing-image\">[image: " + escape(alt.isEmpty ? String(link.destination.dropFirst(11)) : alt) + "]</span>"
                    } else {
                        let title = link.title.map { " title=\"\(escape($0))\"" } ?? ""
                        out += "<img src=\"" + escape(safeURL(link.destination)) + "\" alt=\"" + escape(alt) + "\"" + title + ">"
                    }
                    i = link.end
                } else {
                    out += "!"
                    i += 1
                }
            case "[":
                if let link = parseLink(c, from: i) {
                    let title = link.title.map { " title=\"\(escape($0))\"" } ?? ""
                    out += "<a href=\"" + escape(safeURL(link.destination)) + "\"" + title + ">" + renderInline(Array(c[link.textRange])) + "</a>"
                    i = link.end
                } else {
                    out += "["
                    i += 1
                }
            case "<":
                if let close = c[(i + 1)...].firstIndex(of: ">") {
                    let inside = String(c[(i + 1)..<close])
                    let lower = inside.lowercased()
                    if (lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("mailto:")),
                       !inside.contains(" ") {
                        out += "<a href=\"" + escape(inside) + "\">" + escape(inside) + "</a>"
                        i = close + 1
                        continue
                    }
                }
                out += "&lt;"
                i += 1
            case "*", "_":
                if let emphasis = parseEmphasis(c, from: i) {
                    out += emphasis.html
                    i = emphasis.end
                } else {
                    let run = countRun(c, from: i, of: ch)
                    out += String(repeating: ch, count: run)
                    i += run
                }
            case "\n":
                if out.hasSuffix("  ") {
                    while out.hasSuffix(" ") { out.removeLast() }
                    out += "<br>\n"
                } else {
                    out += "\n"
                }
                i += 1
            default:
                appendEscaped(ch, to: &out)
                i += 1
            }
        }
        return out
    }

    private static func countRun(_ c: [Character], from i: Int, of mark: Character) -> Int {
        var j = i
        while j < c.count, c[j] == mark { j += 1 }
        return j - i
    }

    private static func findCodeClose(_ c: [Character], from start: Int, length: Int) -> Int? {
        var j = start
        while j < c.count {
            if c[j] == "`" {
                let run = countRun(c, from: j, of: "`")
                if run == length { return j }
                j += run
            } else {
                j += 1
            }
        }
        return nil
    }

    private struct Link {
        let textRange: Range<Int>
        let destination: String
        let title: String?
        let end: Int
    }

    /// `[text](destination "title")` starting at the `[` at `start`.
    private static func parseLink(_ c: [Character], from start: Int) -> Link? {
        var depth = 0
        var j = start
        var closeBracket: Int?
        while j < c.count {
            switch c[j] {
            case "\\": j += 1
            case "`":
                let run = countRun(c, from: j, of: "`")
                if let close = findCodeClose(c, from: j + run, length: run) { j = close + run - 1 } else { j += run - 1 }
            case "[": depth += 1
            case "]":
                depth -= 1
                if depth == 0 { closeBracket = j }
            default: break
            }
            if closeBracket != nil { break }
            j += 1
        }
        guard let close = closeBracket, close + 1 < c.count, c[close + 1] == "(" else { return nil }
        var k = close + 2
        while k < c.count, c[k] == " " { k += 1 }
        var destination = ""
        if k < c.count, c[k] == "<" {
            guard let end = c[(k + 1)...].firstIndex(of: ">") else { return nil }
            destination = String(c[(k + 1)..<end])
            k = end + 1
        } else {
            var parens = 0
            while k < c.count, c[k] != " ", c[k] != "\n" {
                if c[k] == "(" { parens += 1 }
                if c[k] == ")" {
                    if parens == 0 { break }
                    parens -= 1
                }
                if c[k] == "\\", k + 1 < c.count, isPunctuation(c[k + 1]) { k += 1 }
                destination.append(c[k])
                k += 1
            }
        }
        while k < c.count, c[k] == " " || c[k] == "\n" { k += 1 }
        var title: String?
        if k < c.count, c[k] == "\"" || c[k] == "'" {
            let quote = c[k]
            guard let end = c[(k + 1)...].firstIndex(of: quote) else { return nil }
            title = String(c[(k + 1)..<end])
            k = end + 1
            while k < c.count, c[k] == " " { k += 1 }
        }
        guard k < c.count, c[k] == ")" else { return nil }
        return Link(textRange: (start + 1)..<close, destination: destination, title: title, end: k + 1)
    }

    /// `**strong**`, `*em*`, `__strong__`, `_em_`; an underscore inside a word (`max_pool_2d`) stays literal.
    private static func parseEmphasis(_ c: [Character], from i: Int) -> (html: String, end: Int)? {
        let mark = c[i]
        let run = countRun(c, from: i, of: mark)
        let before: Character? = i > 0 ? c[i - 1] : nil
        let after: Character? = i + run < c.count ? c[i + run] : nil
        guard !isSpace(after) else { return nil }
        if mark == "_" && isWordCharacter(before) { return nil }
        for length in [min(run, 2), 1] where length >= 1 && length <= run {
            let contentStart = i + length
            var j = contentStart + 1
            while j + length <= c.count {
                if c[j] == "`" {
                    let codeRun = countRun(c, from: j, of: "`")
                    if let close = findCodeClose(c, from: j + codeRun, length: codeRun) { j = close + codeRun; continue }
                    j += codeRun
                    continue
                }
                if c[j] == "\\" { j += 2; continue }
                if c[j] == mark {
                    let closeRun = countRun(c, from: j, of: mark)
                    let closeBefore: Character? = c[j - 1]
                    let closeAfter: Character? = j + closeRun < c.count ? c[j + closeRun] : nil
                    let flanking = !isSpace(closeBefore) && !(mark == "_" && isWordCharacter(closeAfter))
                    if flanking && run >= 3 && closeRun >= 3 {
                        let inner = renderInline(Array(c[(i + 3)..<j]))
                        return (String(repeating: String(mark), count: run - 3) + "<em><strong>" + inner + "</strong></em>", j + 3)
                    }
                    if flanking && (length == 2 ? closeRun >= 2 : closeRun != 2) {
                        let inner = renderInline(Array(c[contentStart..<j]))
                        let tag = length == 2 ? "strong" : "em"
                        let html = String(repeating: String(mark), count: run - length) + "<\(tag)>" + inner + "</\(tag)>"
                        return (html, j + length)
                    }
                    j += closeRun
                    continue
                }
                j += 1
            }
        }
        return nil
    }

    private static func plainText(_ c: [Character]) -> String {
        String(c.filter { $0 != "*" && $0 != "_" && $0 != "`" })
    }

    /// Script URLs are dropped; everything else is kept as written.
    private static func safeURL(_ url: String) -> String {
        let lower = url.lowercased().trimmingCharacters(in: " ")
        if lower.hasPrefix("javascript:") || lower.hasPrefix("vbscript:") { return "#" }
        return url
    }
}

private extension StringProtocol {
    func trimmingCharacters(in character: Character) -> String {
        var slice = Substring(self)
        while slice.first == character { slice = slice.dropFirst() }
        while slice.last == character { slice = slice.dropLast() }
        return String(slice)
    }
}
