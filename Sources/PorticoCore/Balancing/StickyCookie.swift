/// The cookie of `balance: sticky`: which server a client is pinned to.
///
/// The cookie carries a token derived from the server's stable identity
/// (`StableHash`, 16 lowercase hex digits) rather than its address or index: it stays
/// valid across restarts, reloads and reordering of the server list, does not reveal
/// backend addresses to clients, and a token naming a server that no longer exists simply
/// matches nothing (the fallback policy chooses and a new cookie is set). It is not a
/// secret: a client can steer itself to any server it knows the token of, which is the
/// same power it has by keeping any cookie it was given.
public enum StickyCookie {
    /// The token naming the server `identity` (e.g. `"10.0.0.1:8080"`).
    public static func token(forServer identity: String) -> String {
        hexToken(StableHash.hash(identity))
    }

    /// The 16 lowercase hex digits of `value`, most significant first.
    public static func hexToken(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            for i in 0..<16 {
                let nibble = UInt8(truncatingIfNeeded: value >> UInt64(60 - 4 * i)) & 0xF
                buffer[i] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble  // 0-9, a-f
            }
            return 16
        }
    }

    /// The hash a well-formed token encodes (16 hex digits, either case), or `nil`.
    /// Lets a request's cookie be matched against the servers' hashes without allocating.
    public static func tokenValue(_ token: some StringProtocol) -> UInt64? {
        tokenValue(bytes: token.utf8)
    }

    /// `tokenValue(_:)` over bytes (e.g. a slice of a received head).
    public static func tokenValue(bytes: some Sequence<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        var count = 0
        for byte in bytes {
            count += 1
            guard count <= 16 else { return nil }
            let nibble: UInt8
            switch byte {
            case 0x30...0x39: nibble = byte - 0x30
            case 0x61...0x66: nibble = byte - 0x61 + 10
            case 0x41...0x46: nibble = byte - 0x41 + 10
            default: return nil
            }
            value = value << 4 | UInt64(nibble)
        }
        return count == 16 ? value : nil
    }

    /// The `Set-Cookie` field value pinning a client to the server with `token`, e.g.
    /// `portico_server=0123456789abcdef; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax`
    /// (RFC 6265 §4.1). `Max-Age` (whole seconds) only when `config.maxAge` is set —
    /// otherwise a session cookie; `Path` when non-empty; `Secure`, `HttpOnly` and
    /// `SameSite` as configured.
    public static func setCookieValue(token: String, config: StickyConfig) -> String {
        var value = config.cookieName
        value += "="
        value += token
        if !config.path.isEmpty {
            value += "; Path="
            value += config.path
        }
        if let maxAge = config.maxAge {
            value += "; Max-Age="
            value += String(max(0, maxAge.components.seconds))
        }
        if config.secure { value += "; Secure" }
        if config.httpOnly { value += "; HttpOnly" }
        if let sameSite = config.sameSite {
            value += "; SameSite="
            value += sameSite
        }
        return value
    }
}

/// The servers' sticky tokens, computed once per server set, for matching a request's
/// cookie to a server index and for the `Set-Cookie` of a chosen server without hashing
/// per request.
public struct StickyServerTable: Sendable {
    /// `tokens[i]` is the token of server `i`.
    public let tokens: [String]
    private let indexByHash: [UInt64: Int]

    public init(serverIdentities: [String]) {
        var tokens: [String] = []
        tokens.reserveCapacity(serverIdentities.count)
        var indexByHash: [UInt64: Int] = [:]
        indexByHash.reserveCapacity(serverIdentities.count)
        for (index, identity) in serverIdentities.enumerated() {
            let hash = StableHash.hash(identity)
            tokens.append(StickyCookie.hexToken(hash))
            // Duplicate identities: the first server keeps the token.
            if indexByHash[hash] == nil { indexByHash[hash] = index }
        }
        self.tokens = tokens
        self.indexByHash = indexByHash
    }

    /// The server a cookie value names, or `nil` for a malformed or unknown token.
    public func server(forToken token: some StringProtocol) -> Int? {
        guard let hash = StickyCookie.tokenValue(token) else { return nil }
        return indexByHash[hash]
    }

    /// The server a request's `Cookie` header pins it to (cookie `cookieName`), if any.
    public func server(cookieName: String, cookieHeaderValue: Substring) -> Int? {
        guard let token = CookieHeader.value(named: cookieName, in: cookieHeaderValue) else { return nil }
        return server(forToken: token)
    }

    /// `server(cookieName:cookieHeaderValue:)` for a `String` header value.
    public func server(cookieName: String, cookieHeaderValue: String) -> Int? {
        server(cookieName: cookieName, cookieHeaderValue: cookieHeaderValue[...])
    }

    /// The server the sticky cookie `cookieName` of a parsed request names, if any (the
    /// first such cookie over all `Cookie` fields). No allocation.
    public func server(cookieName: String, head: ParsedRequestHead) -> Int? {
        guard let token = head.cookieValue(named: cookieName) else { return nil }
        guard let hash = StickyCookie.tokenValue(bytes: token) else { return nil }
        return indexByHash[hash]
    }
}
