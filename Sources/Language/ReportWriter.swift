import Foundation
import Render

/// Writes what a run produced into its folder. Figures are already under `figures/`; this
/// adds `index.md`, the notebook with its outputs.
public enum ReportWriter {
    public static func write(results: [CellResult], notebook: Notebook, to folder: String, name: String) throws {
        var text = ""
        for result in results {
            switch result.cell.kind {
            case .markdown:
                text += result.cell.text + "\n\n"
            case .code:
                text += "```cnnb\n" + result.cell.text + "\n```\n\n"
                for output in result.outputs {
                    switch output {
                    case .text(let t), .progress(let t): text += "```\n" + t + "\n```\n\n"
                    case .figure(_, let path):
                        text += "![](" + relative(path, to: folder) + ")\n\n"
                    }
                }
                if let error = result.error { text += "```\n" + error + "\n```\n\n" }
                if !result.ran { text += "*(not run)*\n\n" }
            }
        }
        try AtomicFile.makeFolder(folder)
        try AtomicFile.write(text, to: (folder as NSString).appendingPathComponent("index.md"))
    }

    static func relative(_ path: String, to folder: String) -> String {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
