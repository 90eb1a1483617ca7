import Basics
/// Why a model operation cannot be done, with what would fix it.
public typealias ModelError = Problem

extension ModelError {
    /// An evaluation or prediction abandoned by an interrupt (Ctrl-C, Jupyter's interrupt).
    static func stopped(_ what: String, batch: Int, of batches: Int) -> ModelError {
        ModelError("\(what) was interrupted before batch \(batch + 1) of \(batches)", hint: "the model is unchanged; run it again to finish")
    }
}
