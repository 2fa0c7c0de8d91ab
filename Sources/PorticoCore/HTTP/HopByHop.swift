import NIOHTTP1

/// Removal of hop-by-hop fields before a message is forwarded (RFC 9110 §7.6.1).
///
/// Removed:
/// - `Connection` and every field it names (RFC 9110 §7.6.1: "a proxy or gateway MUST
///   parse a received Connection header field before a message is forwarded and, for each
///   connection-option in this field, remove any header or trailer field(s) from the
///   message with the same name as the connection-option, and then remove the Connection
///   header field itself");
/// - `Proxy-Connection`, `Keep-Alive`, `TE`, `Transfer-Encoding` and `Upgrade`, which the
///   same section says intermediaries SHOULD remove whether or not they are listed.
///   Dropping `Upgrade` means Portico does not relay protocol upgrades (WebSocket).
///
/// Kept:
/// - `Trailer`: end-to-end in RFC 9110 §6.6.2 (it was hop-by-hop only in RFC 2616 §13.5.1).
/// - `Proxy-Authenticate` / `Proxy-Authorization`: RFC 9110 §11.7 says they apply to the
///   next proxy, but Portico does no proxy authentication itself and, like nginx, passes
///   them through so a deployment behind another authenticating proxy keeps working.
/// - `Host` and `Content-Length`, even when `Connection` names them: Portico decides the
///   upstream Host and framing itself (`BodyFraming.apply(to:)`), and letting a client
///   delete them through `Connection` would only serve to confuse the upstream.
///
/// Call it before adding Portico's own fields (`ForwardedHeaders`), so a client cannot use
/// `Connection: X-Forwarded-For` to delete them. Read keep-alive intent
/// (`HTTPRequestHead.isKeepAlive`) before stripping.
public enum HopByHop {
    /// Removes the hop-by-hop fields from `headers` in place. When no such field is present
    /// this is one read-only pass comparing lengths and a few bytes, with no allocation.
    public static func strip(_ headers: inout HTTPHeaders) {
        var anyHopByHop = false
        var firstConnection = headers.endIndex
        var lastConnection = headers.startIndex
        var i = headers.startIndex
        while i < headers.endIndex {
            let name = headers[i].name
            if isConnection(name) {
                if firstConnection == headers.endIndex { firstConnection = i }
                lastConnection = i
                anyHopByHop = true
            } else if isAlwaysHopByHop(name) {
                anyHopByHop = true
            }
            headers.formIndex(after: &i)
        }
        guard anyHopByHop else { return }

        let hasConnection = firstConnection != headers.endIndex
        var kept: [(String, String)] = []
        kept.reserveCapacity(headers.count)
        for field in headers {
            let name = field.name
            if isConnection(name) || isAlwaysHopByHop(name) { continue }
            if hasConnection, !isProtected(name),
               isNominated(name, in: headers, from: firstConnection, through: lastConnection) {
                continue
            }
            kept.append((field.name, field.value))
        }
        headers = HTTPHeaders(kept)
    }

    /// Whether a `Connection` field between the two indices lists `name` as an option.
    private static func isNominated(
        _ name: String, in headers: HTTPHeaders, from first: HTTPHeaders.Index, through last: HTTPHeaders.Index
    ) -> Bool {
        var i = first
        while i <= last {
            let field = headers[i]
            if isConnection(field.name) {
                let found = !ASCII.forEachListElement(field.value[...]) { option in
                    !ASCII.equalsIgnoringCase(option.utf8, name.utf8)
                }
                if found { return true }
            }
            headers.formIndex(after: &i)
        }
        return false
    }

    @inline(__always)
    static func isConnection(_ name: String) -> Bool {
        name.utf8.count == 10 && ASCII.equalsIgnoringCase(name.utf8, "connection".utf8)
    }

    /// Hop-by-hop whether or not `Connection` lists them (RFC 9110 §7.6.1).
    @inline(__always)
    static func isAlwaysHopByHop(_ name: String) -> Bool {
        let u = name.utf8
        switch u.count {
        case 2: return ASCII.equalsIgnoringCase(u, "te".utf8)
        case 7: return ASCII.equalsIgnoringCase(u, "upgrade".utf8)
        case 10: return ASCII.equalsIgnoringCase(u, "keep-alive".utf8)
        case 16: return ASCII.equalsIgnoringCase(u, "proxy-connection".utf8)
        case 17: return ASCII.equalsIgnoringCase(u, "transfer-encoding".utf8)
        default: return false
        }
    }

    @inline(__always)
    private static func isProtected(_ name: String) -> Bool {
        switch KnownField.classify(name) {
        case .host, .contentLength: return true
        case .transferEncoding, .other: return false
        }
    }
}
