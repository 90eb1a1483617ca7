import Engine
import Foundation
import FuzzSupport

/// cnnb's own weight file (`save m weights "m.cnnbw"`).
func fuzzOne(_ bytes: [UInt8]) {
    _ = try? WeightFile.decode(bytes, path: "fuzz.cnnbw")
}

fuzz(fuzzOne)
