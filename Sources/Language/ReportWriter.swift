import Basics
import Foundation
import Render

/// Turns what a run produced into the report the renderer writes beside the figures:
/// `index.md`, `index.html` and `NAME.ipynb`.
public enum ReportWriter {
    public static func report(results: [CellResult], title: String, folder: String) -> NotebookReport {
        let directory = URL(fileURLWithPath: folder).standardizedFileURL
        var count = 0
        let cells = results.map { result -> ReportCell in
            switch result.cell.kind {
            case .markdown:
                return .markdown(result.cell.text)
            case .code:
                var outputs: [CellOutput] = result.outputs.map { output in
                    switch output {
                    case .text(let text), .table(let text, _), .progress(let text): return .text(text)
                    case .figure(_, let path):
                        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
                        return .figure(relativePath: NotebookReport.relativePath(of: absolute, in: directory) ?? path)
                    }
                }
                if let error = result.error { outputs.append(.error(NotebookReport.stripTerminalCodes(error))) }
                if result.ran { count += 1 }
                return .code(result.cell.text, outputs: outputs, executionCount: result.ran ? count : nil)
            }
        }
        var report = NotebookReport(title: title, cells: cells)
        report.languageVersion = CNNBVersion.string
        return report
    }

    /// Writes the report; returns the paths of the files written.
    @discardableResult
    public static func write(results: [CellResult], to folder: String, name: String) throws -> [String] {
        try AtomicFile.makeFolder(folder)
        try report(results: results, title: name, folder: folder)
            .write(to: URL(fileURLWithPath: folder).standardizedFileURL, notebookName: name)
        return ["index.md", "index.html", NotebookReport.notebookFileName(name)].map { (folder as NSString).appendingPathComponent($0) }
    }
}
