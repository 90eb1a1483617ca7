import Datasets
import Foundation
import FuzzSupport

/// Tar archives (gzip-compressed or not), read as a downloaded CIFAR-10 archive is, without unpacking.
func fuzzOne(_ bytes: [UInt8]) {
    _ = try? TarArchive.entries(fromBytes: bytes, name: "fuzz.tar")
}

fuzz(fuzzOne)
