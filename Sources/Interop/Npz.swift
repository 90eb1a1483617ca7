/// NumPy's `.npz` format: a zip archive with one `.npy` member per array, the member named
/// after the array with `.npy` appended (`numpy.savez(f, **{"conv2d/kernel": k})` writes the
/// member `conv2d/kernel.npy`, and `numpy.load(f)["conv2d/kernel"]` reads it back).
public enum Npz {
    /// An archive of `arrays` in the given order; names must be unique.
    public static func encode(_ arrays: [(name: String, array: NumpyArray)]) throws(InteropError) -> [UInt8] {
        var seen: Set<String> = []
        for (name, _) in arrays where !seen.insert(name).inserted {
            throw InteropError("two arrays are named \(name)", hint: "give every array its own name")
        }
        return try Zip.encode(arrays.map { Zip.Member(name: $0.name + ".npy", bytes: Npy.encode($0.array)) })
    }

    /// The arrays of an archive in its order, each member decoded and checked; `path` names
    /// the file in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws(InteropError) -> [(name: String, array: NumpyArray)] {
        var result: [(name: String, array: NumpyArray)] = []
        var seen: Set<String> = []
        for member in try Zip.decode(bytes, path: path) {
            let name = member.name.hasSuffix(".npy") ? String(member.name.dropLast(4)) : member.name
            guard seen.insert(name).inserted else {
                throw InteropError("\(path) holds two arrays named \(name)", hint: "write the archive again with unique names")
            }
            result.append((name, try Npy.decode(member.bytes[...], name: "\(path) member \(member.name)")))
        }
        return result
    }

    public static func write(_ arrays: [(name: String, array: NumpyArray)], to path: String) throws(InteropError) {
        try FileWriting.write(encode(arrays), to: path)
    }

    public static func read(_ path: String) throws(InteropError) -> [(name: String, array: NumpyArray)] {
        try decode(FileWriting.read(path, what: "the archive"), path: path)
    }
}
