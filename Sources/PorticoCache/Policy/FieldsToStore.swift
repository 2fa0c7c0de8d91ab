/// RFC 9111 §3.1: the fields a cache keeps of a response it stores.
public enum FieldsToStore {
    /// Connection-specific fields never stored (RFC 9110 §7.6.1; RFC 9111 §3.1), plus
    /// `Transfer-Encoding` (framing; the stored body is complete and de-chunked).
    public static let hopByHopFields: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade",
    ]

    /// Whether the field `lowercasedName` is connection-specific or a `Proxy-*` field
    /// (`Proxy-Authenticate`, `Proxy-Authentication-Info`, …: meant for this hop only).
    public static func isHopByHop(_ lowercasedName: String) -> Bool {
        Self.hopByHopFields.contains(lowercasedName) || lowercasedName.hasPrefix("proxy-")
    }

    /// `headers` minus hop-by-hop fields, the fields `Connection` names, and the fields
    /// named by `no-cache="…"` (§5.2.2.4: a cache MAY store the rest) and
    /// `private="…"` (§5.2.2.7: a shared cache MUST NOT store them).
    public static func filter(_ headers: HeaderList) -> HeaderList {
        var dropped = Set(headers.listElements("connection").map { $0.lowercased() })
        let directives = CacheControlDirectives(headers)
        dropped.formUnion(directives.noCacheFields)
        dropped.formUnion(directives.privateFields)
        return HeaderList(
            headers.fields.filter { field in
                let name = field.name.lowercased()
                return !Self.isHopByHop(name) && !dropped.contains(name)
            }
        )
    }
}
