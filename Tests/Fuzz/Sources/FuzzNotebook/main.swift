import Foundation
import FuzzSupport
import Language

/// The notebook parser and checker (`cnnb check`): any bytes become a diagnostic or a check.
func fuzzOne(_ bytes: [UInt8]) {
    guard case .success(let source) = SourceText.decode(bytes, file: "fuzz.cnnb") else { return }
    let runner = NotebookRunner(source: source, fileName: "fuzz.cnnb")
    guard runner.syntaxErrors.isEmpty else { return }
    let session = Session(outputDirectory: "/nonexistent/fuzz", environment: [:])
    session.checkOnly = true
    // Models are built while checking: a budget far below the machine's keeps each input quick
    // (models of up to half a million weights are built; a mutated `dense 64000` is refused,
    // not initialised).
    session.availableMemory = { 4 << 20 }
    _ = runner.run(in: session, keepGoing: true)
}

fuzz(fuzzOne)
