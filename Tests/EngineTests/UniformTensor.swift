import Engine

/// A tensor of `shape` drawn uniformly from [-1, 1) with a generator seeded with `seed`: the
/// same numbers on every run.
func uniformTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    let t = Tensor(zeros: shape)
    for i in 0..<t.count { t[flat: i] = generator.uniform(-1, 1) }
    return t
}
