import NIOHTTP1

/// Request-line pieces on bytes (RFC 9112 §3): method lookup without allocation and the
/// request-target form rules of `RequestValidator`.
enum WireRequestLine {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    /// NIO's named methods by their wire spelling (case-sensitive, RFC 9110 §9.1).
    /// `MSEARCH` is NIO's spelling; the registered `M-SEARCH` becomes `.RAW("M-SEARCH")`
    /// so that re-serialising the method gives back the received bytes (NIO's decoder maps
    /// `M-SEARCH` to `.MSEARCH`, whose raw value is `MSEARCH`).
    private static let table: [(StaticString, HTTPMethod)] = [
        ("GET", .GET), ("PUT", .PUT), ("ACL", .ACL),
        ("HEAD", .HEAD), ("POST", .POST), ("COPY", .COPY), ("LOCK", .LOCK), ("MOVE", .MOVE),
        ("BIND", .BIND), ("LINK", .LINK),
        ("PATCH", .PATCH), ("TRACE", .TRACE), ("MKCOL", .MKCOL), ("MERGE", .MERGE), ("PURGE", .PURGE),
        ("DELETE", .DELETE), ("NOTIFY", .NOTIFY), ("SEARCH", .SEARCH), ("UNLOCK", .UNLOCK),
        ("REBIND", .REBIND), ("UNBIND", .UNBIND), ("REPORT", .REPORT), ("UNLINK", .UNLINK),
        ("SOURCE", .SOURCE),
        ("OPTIONS", .OPTIONS), ("CONNECT", .CONNECT), ("MSEARCH", .MSEARCH),
        ("PROPFIND", .PROPFIND), ("CHECKOUT", .CHECKOUT),
        ("PROPPATCH", .PROPPATCH), ("SUBSCRIBE", .SUBSCRIBE),
        ("MKCALENDAR", .MKCALENDAR), ("MKACTIVITY", .MKACTIVITY),
        ("UNSUBSCRIBE", .UNSUBSCRIBE),
    ]

    /// The method named by the token `p[start..<end]`. Named methods cost nothing;
    /// an extension method allocates its `.RAW` string (rare).
    static func method(_ p: Bytes, _ start: Int, _ end: Int) -> HTTPMethod {
        let n = end - start
        if n == 3, p[start] == 0x47, p[start + 1] == 0x45, p[start + 2] == 0x54 { return .GET }
        for (name, method) in table where name.utf8CodeUnitCount == n {
            let bytes = name.utf8Start
            var equal = true
            for i in 0..<n where p[start + i] != bytes[i] {
                equal = false
                break
            }
            if equal { return method }
        }
        return .RAW(value: String(decoding: Bytes(rebasing: p[start..<end]), as: UTF8.self))
    }

    /// Checks the target `p[start..<end]` against the method, as
    /// `RequestValidator.validateMethodAndTarget` does after CONNECT was refused:
    /// origin-form (`/…`, §3.2.1) and a valid absolute-form (`http[s]://authority…`,
    /// §3.2.2) with any method, `*` only with OPTIONS (§3.2.4), anything else 400 (this
    /// includes authority-form, which only CONNECT may use, §3.2.3). The caller has already
    /// refused controls, SP and DEL.
    ///
    /// The absolute-form rules mirror `RequestTarget.parse` (whose byte scanner is private
    /// to it): scheme `http`/`https` in any case, no userinfo, a valid `HostHeader`
    /// authority. The differential tests check both agree.
    static func checkTarget(_ p: Bytes, _ start: Int, _ end: Int, method: HTTPMethod) throws(WireViolation) {
        let first = p[start]
        if first == ASCII.slash { return }
        if first == ASCII.asterisk {
            guard end - start == 1 else { throw .invalidTarget }
            guard method == .OPTIONS else { throw .asteriskWithoutOptions }
            return
        }
        // absolute-form: scheme "://" authority path-abempty [ "?" query ]
        var i = start
        while i < end, ASCII.isAlpha(p[i]) || ASCII.isDigit(p[i]) || p[i] == 0x2B || p[i] == 0x2D || p[i] == ASCII.dot {
            i += 1
        }
        guard ASCII.isAlpha(first), i + 2 < end, p[i] == ASCII.colon, p[i + 1] == ASCII.slash, p[i + 2] == ASCII.slash,
              WireScan.equalsIgnoringCase(p, start, i, "http") || WireScan.equalsIgnoringCase(p, start, i, "https")
        else { throw .invalidTarget }
        let authorityStart = i + 3
        var authorityEnd = authorityStart
        while authorityEnd < end, p[authorityEnd] != ASCII.slash, p[authorityEnd] != ASCII.question,
              p[authorityEnd] != ASCII.hash {
            if p[authorityEnd] == ASCII.at { throw .invalidTarget }  // userinfo, RFC 9110 §4.2.4
            authorityEnd += 1
        }
        guard HostHeader.hostLength(of: Bytes(rebasing: p[authorityStart..<authorityEnd])) > 0 else {
            throw .invalidTarget
        }
    }
}
