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
        /// CIFAR-10 without a record: the first images of every file are the official ones.
        case officialPrefix(records: Int)
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
        } else if kind == .cifar10 {
            return checkCIFARPrefixes(folder: folder)
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

    /// MD5s of the first 1,000 records (3,073,000 bytes) of each official CIFAR-10 binary file,
    /// computed from bit-exact official copies. A folder that cnnb did not unpack can still be
    /// told apart from a re-encoded copy: the official images are exact, a re-encoding is not.
    static let cifarPrefixRecords = 1000
    static let cifarPrefixMD5s: [(name: String, md5: String)] = [
        ("data_batch_1.bin", "6672568c6f9da0ae2d58cd800deb0f83"), ("data_batch_2.bin", "729f8b191e2ef03c65ccd3e59891ad36"),
        ("data_batch_3.bin", "7864ab41a6b80278eb57fef703be0a02"), ("data_batch_4.bin", "09eee2b63b453d75e138bd548370c7cb"),
        ("data_batch_5.bin", "2954249bd8c8fee39cb7085e04e1d98d"), ("test_batch.bin", "371f65da31ad652f5e24b3699a3e6515"),
    ]

    static func checkCIFARPrefixes(folder: String) -> Provenance {
        let length = cifarPrefixRecords * 3073
        var differing: [String] = [], short: [String] = []
        for file in cifarPrefixMD5s {
            let path = (folder as NSString).appendingPathComponent(file.name)
            guard let handle = FileHandle(forReadingAtPath: path) else { differing.append(file.name); continue }
            defer { try? handle.close() }
            let prefix = (try? handle.read(upToCount: length)) ?? Data()
            if prefix.count < length {
                short.append(file.name)
            } else if Checksum.md5([UInt8](prefix)) != file.md5 {
                differing.append(file.name)
            }
        }
        if !differing.isEmpty { return Provenance(folder: folder, check: .differs(differing)) }
        if !short.isEmpty {
            return Provenance(folder: folder, check: .unverifiable(
                "\(short.joined(separator: ", ")) \(short.count == 1 ? "holds" : "hold") fewer than \(cifarPrefixRecords) images, "
                + "and CIFAR-10 publishes the MD5 of its archive only"))
        }
        return Provenance(folder: folder, check: .officialPrefix(records: cifarPrefixRecords))
    }

    /// One line for a person: `from FOLDER; the files match the published MD5s`.
    public var sentence: String {
        switch check {
        case .matches:
            return "from \(folder); the files match the published checksums"
        case .differs(let files):
            return "from \(folder); \(files.joined(separator: ", ")) \(files.count == 1 ? "does" : "do") not match the published checksums "
                + "(a re-encoded, partial or repackaged copy: results may differ from published ones)"
        case .officialPrefix(let records):
            return "from \(folder); the first \(records) images of every file are the official ones "
                + "(CIFAR-10 publishes the MD5 of its archive only, so the rest are not checked)"
        case .unverifiable(let why):
            return "from \(folder); not checked: \(why)"
        }
    }
}
