import Basics
import Foundation

/// What a notebook may write, and what it wrote. Statements write inside the session's output
/// folder, or inside a folder the person running the notebook allowed: a notebook received
/// from someone else cannot overwrite files elsewhere. Reading is not limited.
extension Session {
    /// The one place a statement's file path is resolved for writing: `path` as written in the
    /// notebook (relative to the output folder), checked to stay inside the output folder or an
    /// allowed folder once `..` and symbolic links are followed. Every statement that writes a
    /// file calls this (through `Interpreter.writing`), so new statements inherit the rule.
    public func writablePath(_ path: String, at span: SourceSpan) throws -> String {
        let expanded = (path as NSString).expandingTildeInPath
        guard !expanded.isEmpty else {
            throw Diagnostic.error("the file name is empty", at: span, hint: "write a file name such as \"model.npz\"")
        }
        try? AtomicFile.makeFolder(outputDirectory)
        let target = expanded.hasPrefix("/") ? expanded : (outputDirectory as NSString).appendingPathComponent(expanded)
        let resolved = FolderPath.resolved(target)
        let folders = [outputDirectory] + allowedWriteFolders
        if folders.contains(where: { FolderPath.contains(FolderPath.resolved($0), resolved) }) { return target }

        let how: String
        if expanded.hasPrefix("/") {
            how = "an absolute path outside the output folder"
        } else if expanded.split(separator: "/").contains("..") && !FolderPath.contains(FolderPath.lexical(outputDirectory), FolderPath.lexical(target)) {
            how = "'..' leads out of the output folder"
        } else {
            how = "a symbolic link leads out of the output folder"
        }
        let parent = (resolved as NSString).deletingLastPathComponent
        throw Diagnostic.error("cannot write \"\(path)\": \(how) (\(outputDirectory))", at: span,
                               hint: "a notebook writes only inside its output folder; to let it write in \(parent), "
                                   + "run cnnb with --allow-write \(parent) (:allow-write \(parent) in the REPL)")
    }

    /// Lets statements write inside `folder` too (`--allow-write DIR`, `:allow-write DIR`);
    /// returns the folder as it will be checked, absolute and with links followed.
    @discardableResult
    public func allowWrites(in folder: String) throws -> String {
        let resolved = try Session.writeFolder(folder)
        if !allowedWriteFolders.contains(resolved) { allowedWriteFolders.append(resolved) }
        return resolved
    }

    /// `folder` as `--allow-write` takes it: an existing folder, made absolute with links
    /// followed (`cnnb kernel install` writes it so into the kernelspec).
    public static func writeFolder(_ folder: String) throws -> String {
        let expanded = (folder as NSString).expandingTildeInPath
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: expanded, isDirectory: &isFolder), isFolder.boolValue else {
            throw WriteFolderError(folder: folder)
        }
        return FolderPath.resolved(expanded)
    }

    /// Notes a file this session wrote; inside the output folder it joins the run's manifest.
    public func recordWritten(_ path: String) {
        guard !writtenFiles.contains(path) else { return }
        writtenFiles.append(path)
        if keepsManifest { try? RunManifest.write(manifestEntries, in: outputDirectory) }
    }

    /// Starts a run in the output folder (`cnnb run`): the files an earlier run listed in the
    /// manifest are removed, anything else in the folder is left as it is, and from now on
    /// every file written is listed, so a run stopped half-way is cleaned up next time too.
    public func startRun() throws {
        try AtomicFile.makeFolder(outputDirectory)
        RunManifest.removeEarlierRun(in: outputDirectory)
        writtenFiles = []
        keepsManifest = true
        try RunManifest.write([], in: outputDirectory)
    }

    /// The written files inside the output folder, relative to it.
    var manifestEntries: [String] {
        let folder = FolderPath.resolved(outputDirectory)
        return writtenFiles.compactMap { FolderPath.relative(FolderPath.resolved($0), in: folder) }
    }
}

/// A folder named by `--allow-write` that is not there.
public struct WriteFolderError: ExplainedError {
    public var folder: String
    public var message: String { "cannot allow writing in \(folder): there is no such folder" }
    public var hint: String? { "create the folder first, or name one that exists" }
}

/// `.cnnb-run.json` in an output folder: the files the last run of cnnb wrote there (relative
/// paths), which are the only files the next run removes.
public enum RunManifest {
    public static let fileName = ".cnnb-run.json"

    struct Contents: Codable {
        var writtenBy: String
        var files: [String]
    }

    /// The files listed in `folder`'s manifest; none when there is no manifest or it is not one.
    public static func files(in folder: String) -> [String] {
        let path = (folder as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path),
              let contents = try? JSONDecoder().decode(Contents.self, from: data) else { return [] }
        return contents.files
    }

    public static func write(_ files: [String], in folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
        let data = try encoder.encode(Contents(writtenBy: "cnnb \(CNNBVersion.string)", files: files))
        try AtomicFile.write(data + Data("\n".utf8), to: (folder as NSString).appendingPathComponent(fileName))
    }

    /// Removes the regular files the manifest lists, then the folders that leaves empty. An
    /// entry that is absolute, climbs with `..`, or is not a plain file (a link, a folder) is
    /// not cnnb's to remove and stays. Returns the relative paths removed.
    @discardableResult
    public static func removeEarlierRun(in folder: String) -> [String] {
        var removed: [String] = []
        var parents = Set<String>()
        for entry in files(in: folder) {
            let parts = entry.split(separator: "/", omittingEmptySubsequences: false)
            guard !entry.hasPrefix("/"), !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else { continue }
            let path = (folder as NSString).appendingPathComponent(entry)
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, unlink(path) == 0 else { continue }
            removed.append(entry)
            for depth in 1..<parts.count { parents.insert(parts[0..<depth].joined(separator: "/")) }
        }
        // Deepest first; rmdir leaves a folder that still holds anything.
        for parent in parents.sorted(by: { $0.count > $1.count }) {
            rmdir((folder as NSString).appendingPathComponent(parent))
        }
        return removed
    }
}

/// Paths compared as the file system sees them.
enum FolderPath {
    /// `path` made absolute with `..`, `.` and every symbolic link of its existing part
    /// followed; the part that does not exist yet is appended as written.
    static func resolved(_ path: String) -> String {
        var existing = lexicalAbsolute(path, resolvingDots: false)
        var rest: [String] = []
        while true {
            if let real = realpath(existing, nil) {
                defer { free(real) }
                return lexical(String(cString: real) + (rest.isEmpty ? "" : "/" + rest.joined(separator: "/")))
            }
            guard existing != "/" else { return lexical(path) }
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
            if existing.isEmpty { existing = "/" }
        }
    }

    /// `path` made absolute with `.` and `..` taken away by name, without looking at links.
    static func lexical(_ path: String) -> String { lexicalAbsolute(path, resolvingDots: true) }

    private static func lexicalAbsolute(_ path: String, resolvingDots: Bool) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for part in absolute.split(separator: "/") {
            if part == "." { continue }
            if part == ".." && resolvingDots {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Whether `path` is `folder` or lies inside it (both resolved).
    static func contains(_ folder: String, _ path: String) -> Bool {
        folder == "/" || path == folder || path.hasPrefix(folder + "/")
    }

    /// `path` relative to `folder` when inside it.
    static func relative(_ path: String, in folder: String) -> String? {
        guard path != folder, contains(folder, path) else { return nil }
        return String(path.dropFirst(folder == "/" ? 1 : folder.count + 1))
    }
}
