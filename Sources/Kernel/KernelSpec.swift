import Basics
import Foundation
import Language
import Render

/// The kernelspec Jupyter finds the cnnb kernel by: `kernel.json` and two logos in
/// `…/share/jupyter/kernels/NAME`.
public enum KernelSpec {
    public static let defaultName = "cnnb"

    /// What notebooks and `kernel_info` say about the language.
    public static var languageInfo: [String: Any] {
        ["name": "cnnb", "version": CNNBVersion.string, "mimetype": "text/x-cnnb", "file_extension": ".cnnb"]
    }

    /// The grammar and the lessons, when the checkout this cnnb was built in still holds them.
    public static var helpLinks: [(text: String, url: String)] {
        guard let root = checkout else { return [] }
        return [("cnnb grammar", root.appendingPathComponent("Grammar/cnnb.ebnf").absoluteString),
                ("cnnb lessons", root.appendingPathComponent("Notebooks/README.md").absoluteString)]
    }

    /// The folder above the executable that has Grammar/ and Notebooks/ (a build in a checkout).
    static var checkout: URL? {
        guard let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() else { return nil }
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<5 {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Grammar/cnnb.ebnf").path) { return folder }
            folder.deleteLastPathComponent()
        }
        return nil
    }

    /// Where Jupyter looks for a user's kernels.
    public static func userKernelsFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let home = environment["HOME"] ?? NSHomeDirectory()
        #if os(macOS)
        return (home as NSString).appendingPathComponent("Library/Jupyter/kernels")
        #else
        let data = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (home as NSString).appendingPathComponent(".local/share")
        return (data as NSString).appendingPathComponent("jupyter/kernels")
        #endif
    }

    /// `DIR/share/jupyter/kernels`, as `jupyter kernelspec install --prefix DIR` uses.
    public static func prefixKernelsFolder(_ prefix: String) -> String {
        ((prefix as NSString).expandingTildeInPath as NSString).appendingPathComponent("share/jupyter/kernels")
    }

    /// `kernel.json`: Jupyter starts `cnnb kernel -f {connection_file}` with this very executable,
    /// followed by `--allow-write DIR` for each folder in `allowWrite` (absolute paths).
    public static func kernelJSON(executable: String, displayName: String = "cnnb", allowWrite: [String] = []) -> String {
        let object: [String: Any] = [
            "argv": [executable, "kernel", "-f", "{connection_file}"] + allowWrite.flatMap { ["--allow-write", $0] },
            "display_name": displayName,
            "language": "cnnb",
            "interrupt_mode": "message",
            "metadata": ["debugger": false],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Writes the kernelspec folder `kernels/NAME` whole: kernel.json and the logos. Returns its path.
    @discardableResult
    public static func install(in kernels: String, name: String, executable: String, allowWrite: [String] = []) throws -> String {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }), name.first != "." else {
            throw KernelError.kernelSpec("a kernel name is letters, digits, '-', '_' and '.', got '\(name)'")
        }
        let folder = (kernels as NSString).appendingPathComponent(name)
        do {
            try AtomicFile.makeFolder(folder)
            try AtomicFile.write(kernelJSON(executable: executable, allowWrite: allowWrite), to: (folder as NSString).appendingPathComponent("kernel.json"))
            for size in [32, 64] {
                try AtomicFile.write(try logoPNG(size: size), to: (folder as NSString).appendingPathComponent("logo-\(size)x\(size).png"))
            }
        } catch let error as AtomicFile.WriteError {
            throw KernelError.kernelSpec(error.description)
        }
        return folder
    }

    /// Removes `kernels/NAME`; false when it was not there.
    public static func uninstall(in kernels: String, name: String) throws -> Bool {
        let folder = (kernels as NSString).appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent("kernel.json")) else { return false }
        do {
            try FileManager.default.removeItem(atPath: folder)
        } catch {
            throw KernelError.kernelSpec("cannot remove \(folder): \(error.localizedDescription)")
        }
        return true
    }

    /// The logo, drawn with cairo: a 3x3 convolution window over a grid of pixels.
    public static func logoPNG(size: Int) throws -> Data {
        let s = Double(size)
        var scene = Scene(width: size, height: size, background: Colour(hex: 0x1F2A44))
        let cells = 4, margin = s * 0.125, cell = (s - 2 * margin) / Double(cells)
        let shades: [UInt32] = [0x3B5BA5, 0x5B7BC5, 0x7B9BE5, 0x9BBBF5]
        for row in 0..<cells {
            for column in 0..<cells {
                scene.add(.rectangle(x: margin + Double(column) * cell + 1, y: margin + Double(row) * cell + 1,
                                     width: cell - 2, height: cell - 2, fill: Colour(hex: shades[(row + column) % 4]),
                                     stroke: nil, lineWidth: 0, cornerRadius: 0))
            }
        }
        scene.add(.rectangle(x: margin, y: margin, width: 3 * cell, height: 3 * cell, fill: nil,
                             stroke: Colour(hex: 0xF5A623), lineWidth: max(1, s / 16), cornerRadius: s / 32))
        return try CairoBackend.pngData(scene)
    }
}
