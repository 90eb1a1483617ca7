@testable import Interop
import Foundation
import XCTest

/// What coverage-guided fuzzing found in the zip reader, each kept as a case: sizes and offsets
/// in an archive are claims, checked against the file before anything is allocated or added.
final class ZipFindingsTests: XCTestCase {
    /// One deflated member holding `content` (as one stored deflate block), with the directory
    /// claiming `size` bytes; `extra` is the directory entry's extra field.
    func archive(_ content: [UInt8], claimedSize: UInt32, compressedField: UInt32? = nil, extra: [UInt8] = []) -> [UInt8] {
        let deflated: [UInt8] = [0x01] + le16(content.count) + le16(~content.count & 0xFFFF) + content
        let name = Array("a.npy".utf8)
        let crc = Zip.crc32(content)
        var bytes: [UInt8] = le32(0x0403_4B50) + le16(20) + le16(0) + le16(8) + le16(0) + le16(0x21)
        bytes += le32(crc) + le32(deflated.count) + le32(content.count) + le16(name.count) + le16(0) + name + deflated
        let directoryOffset = bytes.count
        var directory: [UInt8] = le32(0x0201_4B50) + le16(0x0314) + le16(20) + le16(0) + le16(8) + le16(0) + le16(0x21)
        directory += le32(crc) + le32(Int(compressedField ?? UInt32(deflated.count))) + le32(Int(claimedSize))
        directory += le16(name.count) + le16(extra.count) + le16(0) + le16(0) + le16(0) + le32(0) + le32(0) + name + extra
        bytes += directory
        bytes += le32(0x0605_4B50) + le16(0) + le16(0) + le16(1) + le16(1) + le32(directory.count) + le32(directoryOffset) + le16(0)
        return bytes
    }

    func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16(v >> 16 & 0xFFFF) }
    func le32(_ v: UInt32) -> [UInt8] { le32(Int(v)) }
    func le64(_ v: UInt64) -> [UInt8] { le32(Int(v & 0xFFFF_FFFF)) + le32(Int(v >> 32)) }

    func message(_ bytes: [UInt8]) -> String {
        do {
            _ = try Zip.decode(bytes, path: "w.npz")
            return "no error"
        } catch {
            return error.message
        }
    }

    func testTheArchiveIsReadWhenItsSizesAreTrue() throws {
        let content = Array("hello, weights".utf8)
        XCTAssertEqual(try Zip.decode(archive(content, claimedSize: UInt32(content.count)), path: "w.npz"),
                       [Zip.Member(name: "a.npy", bytes: content)])
    }

    func testAnUncompressedSizeNoDeflateCanReachIsRefusedBeforeAllocating() {
        // 127 bytes claiming 0xFFFFFFF0: a file like this once allocated 4 GiB.
        let bytes = archive(Array("hello, weights".utf8), claimedSize: 0xFFFF_FFF0)
        XCTAssertEqual(bytes.count, 127)
        XCTAssertEqual(message(bytes), "w.npz: member a.npy does not inflate to its 4294967280 bytes")
        // A size that deflate could reach but the data does not: the output stops at the data.
        XCTAssertEqual(message(archive(Array("hello, weights".utf8), claimedSize: 20)), "w.npz: member a.npy does not inflate to its 20 bytes")
        XCTAssertEqual(message(archive(Array("hello, weights".utf8), claimedSize: 5)), "w.npz: member a.npy does not inflate to its 5 bytes")
    }

    func testZip64SizesAndOffsetsThatOverflowAreRefused() {
        let content = Array("hello".utf8)
        // A zip64 size over 4 GiB (once trapped converting it to 32 bits).
        let over4GiB = archive(content, claimedSize: 0xFFFF_FFFF, extra: le16(1) + le16(8) + le64(5 << 30))
        XCTAssertEqual(message(over4GiB), "w.npz: member a.npy does not inflate to its 5368709120 bytes")
        // A compressed size of Int.max (once trapped adding it to the data's offset).
        let hugeCompressed = archive(content, claimedSize: 5, compressedField: 0xFFFF_FFFF, extra: le16(1) + le16(8) + le64(UInt64(Int.max)))
        XCTAssertEqual(message(hugeCompressed), "w.npz is truncated: member a.npy needs \(Int.max) bytes, fewer are left")
        // A zip64 end locator pointing past the end of the address space.
        var locator = archive(content, claimedSize: 5)
        let end = locator.count - 22
        locator.replaceSubrange(end + 10..<end + 12, with: [0xFF, 0xFF])
        locator.insert(contentsOf: le32(0x0706_4B50) + le32(0) + le64(UInt64.max) + le32(1), at: end)
        XCTAssertEqual(message(locator), "w.npz has a damaged zip64 end record")
    }
}
