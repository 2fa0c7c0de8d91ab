/// RFC 9110 §14.1.1/§14.2 (`Range`) and §13.1.5 (`If-Range`) against a complete
/// stored response.
public enum RangeEvaluation {
    public static func evaluate(_ rangeValue: String?, ifRange: String?, response: StoredResponse, length: Int)
        -> RangeOutcome
    {
        // §14.2: only a 200 representation is a meaningful range source here.
        guard let rangeValue, response.status == 200 else { return .full }
        if let ifRange, !Self.ifRangeHolds(ifRange, response: response) { return .full }
        let value = rangeValue.trimmingSpaces()
        guard let equals = value.firstIndex(of: "="),
            value[..<equals].trimmingSpaces().caseInsensitiveEquals("bytes")
        else { return .full }  // §14.2: unknown range units are ignored
        let specs = value[value.index(after: equals)...].split(separator: ",").map { $0.trimmingSpaces() }
            .filter { !$0.isEmpty }
        // Several ranges: the whole response is a valid answer (§14.2 "MAY ignore").
        guard specs.count == 1, let spec = specs.first, let dash = spec.firstIndex(of: "-") else { return .full }
        let firstText = spec[..<dash].trimmingSpaces()
        let lastText = spec[spec.index(after: dash)...].trimmingSpaces()
        if firstText.isEmpty {
            // suffix-range `-N` (§14.1.1): the last N bytes; N = 0 or an empty body
            // cannot be satisfied (§14.1.3).
            guard let suffix = Self.digits(lastText) else { return .full }
            guard suffix > 0, length > 0 else { return .unsatisfiable }
            return .partial(first: max(0, length - suffix), last: length - 1)
        }
        guard let first = Self.digits(firstText) else { return .full }
        var last = length - 1
        if !lastText.isEmpty {
            guard let value = Self.digits(lastText) else { return .full }
            guard value >= first else { return .full }  // invalid range-spec: ignore the field
            last = min(value, length - 1)
        }
        guard first < length else { return .unsatisfiable }
        return .partial(first: first, last: last)
    }

    /// §13.1.5: an entity-tag must match the stored `ETag` strongly; a date must
    /// equal the stored `Last-Modified` exactly, and that date must be a strong
    /// validator (`Date` at least one second later, RFC 9110 §8.8.2.2).
    private static func ifRangeHolds(_ value: String, response: StoredResponse) -> Bool {
        let trimmed = value.trimmingSpaces()
        if trimmed.hasPrefix("\"") || trimmed.hasPrefix("W/") {
            guard let tag = EntityTag(parsing: trimmed),
                let stored = response.headers.first("etag").flatMap({ EntityTag(parsing: $0) })
            else { return false }
            return tag.strongMatches(stored)
        }
        guard let date = HTTPDate.parse(trimmed),
            let lastModified = response.headers.first("last-modified").flatMap({ HTTPDate.parse($0) }),
            date == lastModified
        else { return false }
        let sent = response.headers.first("date").flatMap { HTTPDate.parse($0) } ?? response.responseTime
        return sent - lastModified >= 1
    }

    /// Non-negative decimal digits, saturating (a huge offset is just past the end).
    private static func digits(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        var value = 0
        for byte in text.utf8 { value = min(value * 10 + Int(byte - 0x30), Int.max / 20) }
        return value
    }
}
