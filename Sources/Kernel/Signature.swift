import CCrypto

/// Jupyter's message signature: HMAC-SHA256 (OpenSSL's) of the header, parent header, metadata
/// and content frames, in lowercase hex. An empty key turns signing off, as the protocol says.
struct Signer {
    let key: [UInt8]

    func signature(_ frames: ArraySlice<[UInt8]>) -> String {
        guard !key.isEmpty else { return "" }
        let data = frames.flatMap { $0 }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), d.bindMemory(to: UInt8.self).baseAddress,
                     d.count, &digest, &length)
            }
        }
        let hex: [Character] = Array("0123456789abcdef")
        var out = ""
        for byte in digest.prefix(Int(length)) {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 15)])
        }
        return out
    }

    /// Whether `signature` is the right one, compared in constant time.
    func verify(_ signature: [UInt8], _ frames: ArraySlice<[UInt8]>) -> Bool {
        guard !key.isEmpty else { return true }
        let expected = Array(self.signature(frames).utf8)
        guard expected.count == signature.count else { return false }
        return expected.withUnsafeBytes { e in
            signature.withUnsafeBytes { s in CRYPTO_memcmp(e.baseAddress, s.baseAddress, e.count) == 0 }
        }
    }
}
