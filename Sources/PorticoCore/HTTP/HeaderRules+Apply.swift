import NIOHTTP1

extension HeaderRules {
    /// Applies the configured edits in the documented order: every `remove`, then every
    /// `set` (replacing all existing fields of that name), then every `add` (appending).
    /// With that order `set` + `add` on one name yields exactly the set value plus the added
    /// ones, whatever the message carried. Names compare case-insensitively (RFC 9110 §5.1).
    /// A no-op, without touching `headers`, when the rules are empty.
    public func apply(to headers: inout HTTPHeaders) {
        if isEmpty { return }
        for name in remove {
            headers.remove(name: name)
        }
        for field in set {
            headers.replaceOrAdd(name: field.name, value: field.value)
        }
        for field in add {
            headers.add(name: field.name, value: field.value)
        }
    }
}
