import Foundation

/// What every fuzz target shares: libFuzzer calls `LLVMFuzzerTestOneInput` with each input,
/// which hands the bytes to the target's body. A thrown error is an answer, a trap is a finding.
nonisolated(unsafe) private var body: ([UInt8]) -> Void = { _ in }

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    body(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                   _ callback: FuzzCallback) -> CInt

/// Runs libFuzzer on `fuzzOne` with the command line's options. SwiftPM names the entry point
/// of an executable itself, so each target's main calls this instead of libFuzzer's `main`.
public func fuzz(_ fuzzOne: @escaping ([UInt8]) -> Void) -> Never {
    body = fuzzOne
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(runFuzzDriver(&argc, &argv, testOneInput))
}
