import Datasets
import Foundation
import FuzzSupport

/// A CIFAR-10 binary batch file: 3,073-byte records of a label and three planes.
func fuzzOne(_ bytes: [UInt8]) {
    _ = try? CIFAR10.split(fromBytes: bytes, name: "fuzz.bin", classNames: (0..<10).map(String.init))
}

fuzz(fuzzOne)
