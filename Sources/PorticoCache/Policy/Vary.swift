/// RFC 9111 §4.1: the secondary cache key a response's `Vary` field selects.
public enum VaryKey {
    /// The secondary key of `request` for a response with `responseHeaders`.
    ///
    /// - No `Vary` (or an empty one): "".
    /// - `Vary: *` anywhere: nil — such a response never matches a later request (§4.1).
    /// - Otherwise one `name:value` element per field the `Vary` names, joined with
    ///   `\n`: names lower-cased, de-duplicated and **sorted**, so two responses that
    ///   list the same fields in another order or case select with the same key;
    ///   values are every line of the request field joined with ", " and normalised
    ///   (`normalise`), which §4.1 allows ("normalizing both header field values in a
    ///   way that is known to have identical semantics"). A field absent from the
    ///   request is just `name` (no colon), so it matches only requests that lack it
    ///   too, never one that sends it empty (§4.1).
    public static func secondaryKey(responseHeaders: HeaderList, request: HeaderList) -> String? {
        let varied = responseHeaders.listElements("vary")
        if varied.isEmpty { return "" }
        var names: [String] = []
        for element in varied {
            if element == "*" { return nil }
            let name = element.lowercased()
            if !names.contains(name) { names.append(name) }
        }
        names.sort()
        return names.map { name in
            guard let value = request.combined(name) else { return name }
            return name + ":" + Self.normalise(value)
        }.joined(separator: "\n")
    }

    /// A field value with leading and trailing whitespace removed, whitespace around
    /// commas removed, and other runs of spaces and tabs collapsed to one space.
    /// (Lines are joined by the caller with ", ", RFC 9110 §5.3.)
    public static func normalise(_ value: String) -> String {
        var result: [UInt8] = []
        result.reserveCapacity(value.utf8.count)
        var pendingSpace = false
        for byte in value.utf8 {
            if byte == 0x20 || byte == 0x09 {
                pendingSpace = !result.isEmpty
                continue
            }
            if byte == 0x2C {
                pendingSpace = false
            } else if pendingSpace, result.last != 0x2C {
                result.append(0x20)
            }
            pendingSpace = false
            result.append(byte)
        }
        return String(decoding: result, as: UTF8.self)
    }
}
