import Basics
import Engine

/// A dataset that could not be read, found or fetched: what went wrong (naming the file) and
/// what would fix it.
public typealias DataError = Problem
