import Foundation
import FuzzSupport
import Interop

/// `.npz` archives: the zip directory, stored and deflated members, then each `.npy`.
func fuzzOne(_ bytes: [UInt8]) {
    _ = try? Npz.decode(bytes, path: "fuzz.npz")
}

fuzz(fuzzOne)
