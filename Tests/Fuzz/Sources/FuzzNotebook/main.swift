import Foundation
import Language

/// The notebook parser and checker (`cnnb check`): any bytes become a diagnostic or a check.
func fuzzOne(_ bytes: [UInt8]) {
    guard case .success(let source) = SourceText.decode(bytes, file: "fuzz.cnnb") else { return }
    let runner = NotebookRunner(source: source, fileName: "fuzz.cnnb")
    guard runner.syntaxErrors.isEmpty else { return }
    let session = Session(outputDirectory: "/nonexistent/fuzz", environment: [:])
    session.checkOnly = true
    // Models are built while checking: a budget far below the machine keeps ASan within its limits.
    session.availableMemory = { 64 << 20 }
    _ = runner.run(in: session, keepGoing: true)
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
