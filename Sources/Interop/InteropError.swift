import Basics
import Engine

/// Why a model or array could not be written to or read from another tool's format, with
/// what would fix it.
public typealias InteropError = Problem
