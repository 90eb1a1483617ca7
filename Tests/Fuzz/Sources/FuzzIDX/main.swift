import Datasets
import Foundation
import FuzzSupport

/// IDX files (MNIST, Fashion-MNIST), gzip-compressed or not: the first byte picks images or labels.
func fuzzOne(_ bytes: [UInt8]) {
    guard let first = bytes.first else { return }
    if first & 1 == 0 {
        _ = try? IDXDataset.mnist.images(fromBytes: Array(bytes.dropFirst()), name: "fuzz-images")
    } else {
        _ = try? IDXDataset.fashionMNIST.labels(fromBytes: Array(bytes.dropFirst()), name: "fuzz-labels")
    }
}

fuzz(fuzzOne)
