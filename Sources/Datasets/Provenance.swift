import Foundation

/// Where a dataset's files were read from, and whether they are the published ones: what `load`
/// tells, so that a run on a re-encoded or partial copy says so.
public struct Provenance: Sendable, Equatable {
    public enum Check: Sendable, Equatable {
        /// Every file's MD5 is the published one.
        case matches
        /// These files differ from the published ones.
        case differs([String])
        /// Nothing published to compare these files with, and why.
        case unverifiable(String)
    }

    public var folder: String
    public var check: Check

    /// The record `download` leaves beside an unpacked archive: the MD5 of each file it held.
    public static let recordName = ".cnnb-md5"

    /// Compares the files of `kind` in `folder` with the published MD5s (MNIST and Fashion-MNIST
    /// publish one per file); CIFAR-10 publishes its archive's only, so its files can be
    /// checked only when cnnb unpacked that archive itself and recorded what it held.
    public static func check(_ kind: DatasetKind, folder: String) -> Provenance {
        var expected: [(name: String, md5: String)] = []
        if let official = DownloadSource.official(kind), !official.isArchive {
            expected = official.files
        } else if let record = try? String(contentsOfFile: (folder as NSString).appendingPathComponent(recordName), encoding: .utf8) {
            // Lines `MD5  FILE` after a comment naming the archive and its published MD5.
            for line in record.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: " ", omittingEmptySubsequences: true)
                if parts.count == 2 { expected.append((String(parts[1]), String(parts[0]))) }
            }
        } else {
            return Provenance(folder: folder, check: .unverifiable(
                "\(kind.displayName) publishes the MD5 of its archive only, and these files were not unpacked from it by cnnb"))
        }
        var differing: [String] = []
        for file in expected {
            let path = (folder as NSString).appendingPathComponent(file.name)
            if (try? Checksum.md5(file: path)) != file.md5.lowercased() { differing.append(file.name) }
        }
        return Provenance(folder: folder, check: differing.isEmpty ? .matches : .differs(differing))
    }

    /// One line for a person: `from FOLDER; the files match the published MD5s`.
    public var sentence: String {
        switch check {
        case .matches:
            return "from \(folder); the files match the published checksums"
        case .differs(let files):
            return "from \(folder); \(files.joined(separator: ", ")) \(files.count == 1 ? "does" : "do") not match the published checksums "
                + "(a re-encoded, partial or repackaged copy: results may differ from published ones)"
        case .unverifiable(let why):
            return "from \(folder); not checked: \(why)"
        }
    }
}
