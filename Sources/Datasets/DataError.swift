import Basics
import Engine

/// A dataset that could not be read, found or fetched: what went wrong (naming the file) and
/// what would fix it.
public typealias DataError = Problem

extension DataError {
    /// Reading stopped on request (Ctrl-C) before the data was whole.
    public static let stopped = DataError("loading stopped with Ctrl-C; nothing was loaded",
                                          hint: "the session keeps the values it had; run the statement again to load")
}
