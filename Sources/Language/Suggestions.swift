/// "Did you mean …?": the known word nearest to a misspelt one.

/// The candidate nearest to `word` by edit distance (insertions, deletions, substitutions and
/// swaps of neighbours each cost 1), when it is near enough to be a plausible misspelling;
/// a candidate that `word` is a prefix of (3 letters or more) also counts. Ties go to the earlier
/// candidate.
public func nearestWord(to word: String, among candidates: [String]) -> String? {
    let typed = Array(word.lowercased().unicodeScalars)
    guard !typed.isEmpty else { return nil }
    let limit = typed.count <= 3 ? 1 : 2
    var best: (word: String, distance: Int)?
    for candidate in candidates where candidate != word {
        // The distance is at least the difference in length: most candidates stop here.
        let length = candidate.unicodeScalars.count
        if abs(length - typed.count) > limit { continue }
        let distance = editDistance(typed, Array(candidate.unicodeScalars))
        if distance <= limit && distance < typed.count && (best == nil || distance < best!.distance) {
            best = (candidate, distance)
        }
    }
    if let best { return best.word }
    if typed.count >= 3 {
        return candidates.first { $0.hasPrefix(word) && $0 != word }
    }
    return nil
}

/// Optimal-string-alignment distance: Levenshtein plus transposition of adjacent characters.
func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    let width = b.count + 1
    var previous2 = [Int](repeating: 0, count: width)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: width)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = min(value, previous2[j - 2] + 1)
            }
            current[j] = value
        }
        (previous2, previous, current) = (previous, current, previous2)
    }
    return previous[b.count]
}
