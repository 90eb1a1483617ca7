import Foundation
import FuzzSupport
import Interop

/// `.npy` arrays (`load … weights` from an `.npz` member, `predict … to` read back).
func fuzzOne(_ bytes: [UInt8]) {
    _ = try? Npy.decode(bytes[...], name: "fuzz.npy")
}

fuzz(fuzzOne)
