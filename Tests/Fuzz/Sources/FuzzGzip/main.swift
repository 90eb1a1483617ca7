import Datasets
import Foundation
import FuzzSupport

/// gzip streams as the data readers inflate them, at most 16 MB out.
func fuzzOne(_ bytes: [UInt8]) {
    _ = try? Gzip.inflate(bytes, name: "fuzz.gz", limit: 16 << 20)
}

fuzz(fuzzOne)
