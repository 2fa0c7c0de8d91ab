import NIOCore

/// Header access the balancer needs from a parsed request head, by a run-time name
/// (`hash_key: header: X-User`, the sticky cookie name) rather than the `StaticString`
/// names of `HTTP1ParsedHead.fieldIndex(named:)`. Reads the received bytes in place.
extension ParsedRequestHead {
    /// The index of the first field at or after `start` whose name equals `name`
    /// ignoring ASCII case (RFC 9110 §5.1), or `nil`.
    public func fieldIndex(nameMatching name: String, from start: Int = 0) -> Int? {
        var name = name
        return name.withUTF8 { wanted in
            bytes.withUnsafeReadableBytes { all -> Int? in
                let p = all.bindMemory(to: UInt8.self)
                var i = start
                while i < fields.count {
                    let slot = fields[i]
                    if slot.nameLength == wanted.count,
                       ASCII.equalsIgnoringCase(UnsafeBufferPointer(rebasing: p[slot.nameRange]), wanted) {
                        return i
                    }
                    i += 1
                }
                return nil
            }
        }
    }

    /// The OWS-trimmed value of the first field named `name` (case-insensitive), or `nil`.
    public func firstValue(ofField name: String) -> ByteBufferView? {
        fieldIndex(nameMatching: name).map { value(at: $0) }
    }

    /// The value of cookie `name` (case-sensitive, RFC 6265 §5.4) in the request's
    /// `Cookie` fields, the first match over all of them (HTTP/1.1 clients send one
    /// field; some intermediaries split it). A slice of the received bytes.
    public func cookieValue(named name: String) -> ByteBufferView? {
        var index = fieldIndex(named: "cookie")
        while let current = index {
            let header = value(at: current)
            if let range = CookieHeader.valueRange(named: name.utf8, in: header) {
                return header[range]
            }
            index = fieldIndex(named: "cookie", from: current + 1)
        }
        return nil
    }
}
