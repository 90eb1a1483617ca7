import Basics
/// Why a model operation cannot be done, with what would fix it.
public typealias ModelError = Problem
