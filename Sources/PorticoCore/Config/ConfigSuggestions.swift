/// "Did you mean …?" hints for misspelled keys, names and enum values.
///
/// Typos in configuration files are the most common mistake and the cheapest to
/// fix when the diagnostic names the intended word, so every "unknown X" message
/// goes through here.
enum ConfigSuggestions {
    /// The candidate closest to `word` if it is close enough to be a plausible typo:
    /// case is ignored, an adjacent transposition counts as one edit, and the allowed
    /// distance grows with the length of the word (1 edit up to 5 characters, 2 beyond).
    static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let lowered = Array(word.lowercased())
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, Array(candidate.lowercased()))
            let allowed = max(lowered.count, candidate.count) > 5 ? 2 : 1
            guard distance <= allowed, distance < max(lowered.count, 1) else { continue }
            if best == nil || distance < best?.distance ?? Int.max {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    /// A suggestion when one is close, otherwise the full list of allowed values,
    /// so the message always tells the user what would have been accepted.
    static func hintOrList(for word: String, in candidates: [String]) -> String {
        if let close = closest(to: word, in: candidates) {
            return " (did you mean \(configQuoted(close))?)"
        }
        return " (expected one of: \(candidates.joined(separator: ", ")))"
    }

    /// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previous2[j - 2] + 1)
                }
                current[j] = value
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}

/// Text in double quotes with quotes, backslashes and control characters escaped, so a
/// value containing a newline cannot break the one-diagnostic-per-line output.
func configQuoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            out += "\\u{\(String(scalar.value, radix: 16))}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
