import Datasets
import Foundation

/// A CIFAR-10 binary batch file: 3,073-byte records of a label and three planes.
func fuzzOne(_ bytes: [UInt8]) {
    _ = try? CIFAR10.split(fromBytes: bytes, name: "fuzz.bin", classNames: (0..<10).map(String.init))
}

/// libFuzzer calls this with each input; a thrown error is an answer, a trap is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

// SwiftPM names the entry point of an executable itself; it hands over to libFuzzer.
typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                   _ callback: FuzzCallback) -> CInt
var fuzzArgc = CommandLine.argc
var fuzzArgv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(runFuzzDriver(&fuzzArgc, &fuzzArgv, testOneInput))
