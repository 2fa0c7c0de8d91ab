import NIOCore

/// The key `balance: consistent_hash` places a request by (`hash_key:`), hashed with
/// `StableHash` so that every process and every reload sends the same key to the same
/// server.
///
/// A missing input (no such header or cookie, no client address) hashes as the empty
/// string: such requests all go to one server, which is predictable and what nginx's
/// `hash $cookie_x consistent` does, rather than being scattered at random.
public enum BalanceKey {
    /// The hash of the request's key.
    ///
    /// - Parameters:
    ///   - source: what to hash.
    ///   - path: the request path; anything from the first `?` or `#` on is ignored, so
    ///     an origin-form target may be passed as is.
    ///   - clientIP: the client address as text (the TCP peer), or `nil` if unknown.
    ///   - headerValue: the value of the first request field with the given name
    ///     (case-insensitive), or `nil` when absent. Called at most once.
    public static func hash(
        source: HashKeySource,
        path: some StringProtocol,
        clientIP: String?,
        headerValue: (String) -> Substring?
    ) -> UInt64 {
        switch source {
        case .clientIP:
            return StableHash.hash(clientIP ?? "")
        case .header(let name):
            return StableHash.hash(headerValue(name) ?? "")
        case .cookie(let name):
            guard let header = headerValue("Cookie"),
                  let cookie = CookieHeader.value(named: name, in: header)
            else { return StableHash.hash("") }
            return StableHash.hash(cookie)
        case .path:
            return hashPath(bytes: path.utf8)
        }
    }

    /// The hash of a parsed request's key, read from the received bytes without
    /// allocating (except for the rare absolute-form target with `hash_key: path`).
    /// Header and cookie lookups use the first matching field (cookies: the first match
    /// over all `Cookie` fields).
    public static func hash(source: HashKeySource, head: ParsedRequestHead, clientIP: String?) -> UInt64 {
        switch source {
        case .clientIP:
            return StableHash.hash(clientIP ?? "")
        case .header(let name):
            guard let value = head.firstValue(ofField: name) else { return StableHash.hash("") }
            return StableHash.hash(bytes: value)
        case .cookie(let name):
            guard let value = head.cookieValue(named: name) else { return StableHash.hash("") }
            return StableHash.hash(bytes: value)
        case .path:
            let isOriginForm = head.withUnsafeBytes(of: head.targetRange) { $0.first == ASCII.slash }
            if isOriginForm {
                return head.withUnsafeBytes(of: head.targetRange) { hashPath(bytes: $0) }
            }
            // Absolute form (`http://h/p?q`), `*` or authority form: let RequestTarget
            // find the path, as routing does.
            let target = head.target
            guard let parsed = RequestTarget.parse(target) else { return hashPath(bytes: target.utf8) }
            return hashPath(bytes: parsed.path.utf8)
        }
    }

    /// The hash of `bytes` up to the first `?` or `#`.
    static func hashPath(bytes: some Sequence<UInt8>) -> UInt64 {
        var hasher = StableHasher()
        for byte in bytes {
            if byte == ASCII.question || byte == ASCII.hash { break }
            hasher.combine(byte: byte)
        }
        return hasher.finalize()
    }
}
