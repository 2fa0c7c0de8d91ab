/// An ordered list of header fields with case-insensitive lookups: what the cache
/// keeps of a response head and reads of a request head.
///
/// Deliberately simple (a small array, linear scans): heads are tens of fields and
/// the cache touches them once per request, not per byte.
public struct HeaderList: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var fields: [Field]

    public init(_ fields: [Field] = []) {
        self.fields = fields
    }

    public init(_ pairs: [(String, String)]) {
        self.fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    /// The first line's value of `name`, if any.
    public func first(_ name: String) -> String? {
        self.fields.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// Every line's value of `name`, in order.
    public func all(_ name: String) -> [String] {
        self.fields.compactMap { $0.name.caseInsensitiveEquals(name) ? $0.value : nil }
    }

    /// All lines of `name` joined with ", " (RFC 9110 §5.3), or nil when absent.
    public func combined(_ name: String) -> String? {
        let values = self.all(name)
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// The comma-separated list elements of every `name` line, trimmed, empty ones
    /// dropped (RFC 9110 §5.6.1). Not for fields whose values contain commas
    /// (`Expires`, `Date`, `Set-Cookie`).
    public func listElements(_ name: String) -> [Substring] {
        var result: [Substring] = []
        for value in self.all(name) {
            for element in value.split(separator: ",") {
                let trimmed = element.trimmingSpaces()
                if !trimmed.isEmpty { result.append(trimmed) }
            }
        }
        return result
    }

    public func contains(_ name: String) -> Bool {
        self.fields.contains { $0.name.caseInsensitiveEquals(name) }
    }

    public mutating func remove(_ name: String) {
        self.fields.removeAll { $0.name.caseInsensitiveEquals(name) }
    }

    /// Replaces every line of `name` with one line (appended if there was none).
    public mutating func set(_ name: String, _ value: String) {
        if let index = self.fields.firstIndex(where: { $0.name.caseInsensitiveEquals(name) }) {
            self.fields[index].value = value
            var i = self.fields.count - 1
            while i > index {
                if self.fields[i].name.caseInsensitiveEquals(name) { self.fields.remove(at: i) }
                i -= 1
            }
        } else {
            self.fields.append(Field(name: name, value: value))
        }
    }

    public mutating func add(_ name: String, _ value: String) {
        self.fields.append(Field(name: name, value: value))
    }

    /// Rough bytes the fields take on the wire (for the store's byte accounting).
    public var wireSize: Int {
        self.fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
    }
}

extension StringProtocol {
    /// ASCII case-insensitive equality (field names are ASCII tokens, RFC 9110 §5.1).
    @inlinable
    public func caseInsensitiveEquals(_ other: some StringProtocol) -> Bool {
        let a = self.utf8
        let b = other.utf8
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { x, y in
            x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= 0x61 && (x | 0x20) <= 0x7A)
        }
    }

    /// Without leading and trailing spaces and tabs (OWS, RFC 9110 §5.6.3).
    public func trimmingSpaces() -> SubSequence {
        var start = self.startIndex
        var end = self.endIndex
        while start < end, self[start] == " " || self[start] == "\t" { start = self.index(after: start) }
        while end > start {
            let before = self.index(before: end)
            guard self[before] == " " || self[before] == "\t" else { break }
            end = before
        }
        return self[start..<end]
    }
}
