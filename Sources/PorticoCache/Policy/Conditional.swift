/// RFC 9110 §13.1.1–§13.1.4 preconditions, evaluated in §13.2.2 order, for a client's
/// conditional request answered from a stored response (RFC 9111 §4.3.2).
public enum ConditionalEvaluation {
    public static func evaluate(request: HeaderList, method: String, response: StoredResponse) -> ConditionalOutcome {
        // §13.2.1: preconditions are ignored when the response without them would not
        // be 2xx (e.g. a stored 404).
        guard (200..<300).contains(response.status) else { return .unconditional }
        let stored = response.headers
        let etag = stored.first("etag").flatMap { EntityTag(parsing: $0) }
        let lastModified = stored.first("last-modified").flatMap { HTTPDate.parse($0) }
        let isGetOrHead = method == "GET" || method == "HEAD"

        if let ifMatch = request.combined("if-match") {
            // Step 1, §13.1.1: strong comparison; `*` matches any current representation.
            if !Self.anyMatches(ifMatch, etag: etag, strong: true) { return .preconditionFailed }
        } else if let value = Self.singleLine(request, "if-unmodified-since"), let since = HTTPDate.parse(value),
            let lastModified
        {
            // Step 2, §13.1.4: only without If-Match; ignored without a modification date.
            if lastModified > since { return .preconditionFailed }
        }

        if let ifNoneMatch = request.combined("if-none-match") {
            // Step 3, §13.1.2: weak comparison; 304 for GET/HEAD, 412 otherwise.
            if Self.anyMatches(ifNoneMatch, etag: etag, strong: false) {
                return isGetOrHead ? .notModified : .preconditionFailed
            }
        } else if isGetOrHead, let value = Self.singleLine(request, "if-modified-since"),
            let since = HTTPDate.parse(value), let lastModified
        {
            // Step 4, §13.1.3: GET/HEAD only, only without If-None-Match.
            if lastModified <= since { return .notModified }
        }
        return .unconditional
    }

    /// Whether a list (`*` or entity-tags) matches the stored `etag`. A malformed list
    /// matches nothing.
    private static func anyMatches(_ value: String, etag: EntityTag?, strong: Bool) -> Bool {
        guard let elements = EntityTag.list(value) else { return false }
        return elements.contains { element in
            switch element {
            case .any: return true
            case .tag(let tag):
                guard let etag else { return false }
                return strong ? tag.strongMatches(etag) : tag.weakMatches(etag)
            }
        }
    }

    /// A date precondition with more than one line is invalid and ignored (§13.1.3).
    private static func singleLine(_ request: HeaderList, _ name: String) -> String? {
        let lines = request.all(name)
        return lines.count == 1 ? lines[0] : nil
    }
}
