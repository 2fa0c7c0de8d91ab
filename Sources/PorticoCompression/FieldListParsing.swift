/// Splitting list-based field values (RFC 9110 §5.6.1) the way a recipient must:
/// commas inside quoted strings (§5.6.4) do not separate members, surrounding
/// whitespace (OWS) is dropped, and empty members are ignored (§5.6.1.2).
enum FieldListParsing {
    /// The members of a `#element` list, trimmed, empty ones dropped.
    static func members(_ value: Substring, separator: Character = ",") -> [Substring] {
        var result: [Substring] = []
        var start = value.startIndex
        var index = value.startIndex
        var inQuotes = false
        var escaped = false
        while index < value.endIndex {
            let character = value[index]
            if inQuotes {
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inQuotes = false
                }
            } else if character == "\"" {
                inQuotes = true
            } else if character == separator {
                append(value[start..<index], to: &result)
                start = value.index(after: index)
            }
            index = value.index(after: index)
        }
        append(value[start..<value.endIndex], to: &result)
        return result
    }

    static func members(_ value: String, separator: Character = ",") -> [Substring] {
        members(value[...], separator: separator)
    }

    private static func append(_ member: Substring, to result: inout [Substring]) {
        let trimmed = trimmingOWS(member)
        if !trimmed.isEmpty { result.append(trimmed) }
    }

    /// `value` without leading and trailing spaces and tabs (OWS, RFC 9110 §5.6.3).
    static func trimmingOWS(_ value: Substring) -> Substring {
        var trimmed = value
        while let first = trimmed.first, first == " " || first == "\t" { trimmed.removeFirst() }
        while let last = trimmed.last, last == " " || last == "\t" { trimmed.removeLast() }
        return trimmed
    }
}
