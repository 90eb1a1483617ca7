/// Checksums of downloads, as published next to the datasets (MD5 hex digests).
public enum Checksum {
    public static func md5(file path: String) throws -> String { try MD5.file(path) }

    public static func md5(_ bytes: [UInt8]) -> String {
        var digest = MD5()
        digest.update(bytes)
        return digest.finish()
    }
}
