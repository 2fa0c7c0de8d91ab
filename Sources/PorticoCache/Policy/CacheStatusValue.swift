/// RFC 9211 `Cache-Status` member values (a Structured Fields list member,
/// RFC 8941: a token naming the cache, then parameters).
public enum CacheStatusValue {
    /// The cache's name in the member (`Portico; hit`).
    public static let cacheName = "Portico"

    /// The member for `outcome`:
    ///
    /// | outcome | member |
    /// |---|---|
    /// | hit | `hit` (§2.1) |
    /// | stale, served without forwarding (stale-while-revalidate) | `hit`, negative `ttl` |
    /// | stale, served after a failed forward (stale-if-error) | `fwd=stale; fwd-status=N` |
    /// | miss, uncacheable | `fwd=uri-miss` (§2.2) |
    /// | revalidated, expired | `fwd=stale` |
    /// | bypass | `fwd=bypass` |
    ///
    /// then `fwd-status` (§2.3, only when forwarded), `ttl` (§2.4, whole seconds,
    /// rounded down so a response with half a second left says 0 and a just-stale one
    /// says -1), `stored` (§2.5) and `detail` (§2.7, a token when it is one, else a
    /// quoted string).
    public static func make(
        outcome: CacheOutcome,
        ttl: Double?,
        forwardStatus: Int?,
        stored: Bool,
        detail: String?
    ) -> String {
        var member = Self.cacheName
        let forward: String?
        switch outcome {
        case .hit: forward = nil
        case .stale: forward = forwardStatus == nil ? nil : "stale"
        case .miss, .uncacheable: forward = "uri-miss"
        case .revalidated, .expired: forward = "stale"
        case .bypass: forward = "bypass"
        }
        if let forward {
            member += "; fwd=" + forward
            if let forwardStatus { member += "; fwd-status=\(forwardStatus)" }
        } else {
            member += "; hit"
        }
        if let ttl, ttl.isFinite {
            // sf-integer is at most 15 digits (RFC 8941 §3.3.1).
            let limit = 999_999_999_999_999.0
            member += "; ttl=\(Int(min(max(ttl.rounded(.down), -limit), limit)))"
        }
        if stored { member += "; stored" }
        if let detail { member += "; detail=" + Self.tokenOrString(detail) }
        return member
    }

    /// An sf-token when `text` is one (RFC 8941 §3.3.4: ALPHA or `*`, then tchar, `:`
    /// or `/`), otherwise an sf-string with `"` and `\` escaped and non-printable
    /// characters dropped (§3.3.3 allows only VCHAR and SP).
    static func tokenOrString(_ text: String) -> String {
        let bytes = Array(text.utf8)
        let tchar = Set("!#$%&'*+-.^_`|~:/".utf8)
        func isAlpha(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        if let first = bytes.first, isAlpha(first) || first == 0x2A,
            bytes.allSatisfy({ isAlpha($0) || isDigit($0) || tchar.contains($0) })
        {
            return text
        }
        var quoted: [UInt8] = [0x22]
        for byte in bytes where byte >= 0x20 && byte < 0x7F {
            if byte == 0x22 || byte == 0x5C { quoted.append(0x5C) }
            quoted.append(byte)
        }
        quoted.append(0x22)
        return String(decoding: quoted, as: UTF8.self)
    }
}
