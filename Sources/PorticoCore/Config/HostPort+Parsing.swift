extension HostPort {
    /// Parses a listen or connect address:
    ///
    /// - `127.0.0.1:8080`, `localhost:80` — host (lower-cased) and port;
    /// - `[::1]:8080` — an IPv6 literal must be bracketed, `host` keeps it without brackets;
    /// - `:8080` — all IPv4 interfaces (`0.0.0.0`).
    ///
    /// The port is required and must be in `0...65535` (0 asks the kernel for an
    /// ephemeral port). Returns `nil` for anything else; the configuration loader uses
    /// the internal `check` form to explain what is wrong.
    public static func parse(_ text: String) -> HostPort? {
        try? check(text).get()
    }

    /// Like `parse`, with a message saying what is wrong.
    static func check(_ text: String) -> Result<HostPort, ConfigScalar.Problem> {
        parseReason(text).mapError { ConfigScalar.Problem(message: "invalid address \(configQuoted(text)): \($0.message)") }
    }

    /// Like `check`, but the failure message is only the reason, for callers that
    /// describe the value themselves.
    private static func parseReason(_ text: String) -> Result<HostPort, ConfigScalar.Problem> {
        func fail(_ reason: String) -> Result<HostPort, ConfigScalar.Problem> {
            .failure(ConfigScalar.Problem(message: reason))
        }
        guard !text.isEmpty else { return fail("expected host:port, [ipv6]:port or :port") }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return fail("missing \"]\" after the IPv6 address") }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return fail("missing port (expected [ipv6]:port)") }
            portText = rest.dropFirst()
            guard isIPv6Literal(host) else { return fail("\(configQuoted(String(host))) is not an IPv6 address") }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return fail("missing port (expected host:port)") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return fail("IPv6 addresses must be written in brackets, e.g. [::1]:8080") }
            if !host.isEmpty, let problem = hostNameProblem(host) { return fail(problem) }
        }
        guard !portText.isEmpty else { return fail("missing port") }
        guard portText.count <= 5, portText.allSatisfy({ ("0"..."9").contains($0) }), let port = Int(portText) else {
            return fail("port \(configQuoted(String(portText))) is not a number")
        }
        guard port <= 65535 else { return fail("port \(port) is out of range (0...65535)") }
        return .success(HostPort(host: host.isEmpty ? "0.0.0.0" : host.lowercased(), port: port))
    }

    /// Letters, digits, `-`, `_` and `.` (a DNS name or an IPv4 address). Dotted
    /// all-numeric hosts must be valid IPv4 addresses, so `300.1.1.1` is caught here
    /// rather than as a confusing resolver failure at startup.
    static func hostNameProblem(_ host: Substring) -> String? {
        let allowed = host.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || $0 == "-" || $0 == "." || $0 == "_"
        }
        guard allowed else { return "\(configQuoted(String(host))) is not a valid host name" }
        if host.allSatisfy({ ("0"..."9").contains($0) || $0 == "." }) {
            let parts = host.split(separator: ".", omittingEmptySubsequences: false)
            let valid = parts.count == 4 && parts.allSatisfy { $0.count >= 1 && $0.count <= 3 && (Int($0) ?? 256) <= 255 }
            if !valid { return "\(configQuoted(String(host))) is not a valid IPv4 address" }
        }
        return nil
    }

    /// Hex digits, colons and (for IPv4-mapped forms) dots, with at least one colon.
    /// Deliberately loose: the socket layer does the exact parse; this catches typos.
    static func isIPv6Literal(_ host: Substring) -> Bool {
        host.contains(":") && host.unicodeScalars.allSatisfy {
            ("0"..."9").contains($0) || ("a"..."f").contains($0) || ("A"..."F").contains($0) || $0 == ":" || $0 == "."
        }
    }

    /// An upstream server: `host:port`, `http://host:port` or `http://host` (port 80),
    /// optionally with a trailing `/`. Upstream servers need a real host and a non-zero port.
    static func checkUpstreamServer(_ text: String) -> Result<HostPort, ConfigScalar.Problem> {
        checkUpstreamServerURL(text).map(\.address)
    }

    /// Like `checkUpstreamServer`, also accepting `https://host[:port]` (port 443), and
    /// saying which scheme was written: `https://` turns TLS on for that server
    /// (`docs/upstream-tls-and-h2.md`); `scheme` is nil for a bare `host:port`.
    static func checkUpstreamServerURL(_ text: String) -> Result<(address: HostPort, scheme: String?), ConfigScalar.Problem> {
        func fail(_ reason: String) -> Result<(address: HostPort, scheme: String?), ConfigScalar.Problem> {
            .failure(ConfigScalar.Problem(message: "invalid upstream server \(configQuoted(text)): \(reason)"))
        }
        var rest = Substring(text)
        var scheme: String?
        if let schemeEnd = rest.firstRange(of: "://") {
            let written = rest[..<schemeEnd.lowerBound].lowercased()
            guard written == "http" || written == "https" else {
                return fail("unsupported scheme \(configQuoted(written)) (only http:// and https:// are supported)")
            }
            scheme = written
            rest = rest[schemeEnd.upperBound...]
            if rest.hasSuffix("/") { rest = rest.dropLast() }
            if rest.contains("/") || rest.contains("?") || rest.contains("#") {
                return fail("a path, query or fragment is not allowed (use strip_prefix on the route to rewrite paths)")
            }
            if rest.contains("@") { return fail("user information is not allowed") }
            let hasPort = rest.hasPrefix("[") ? rest.contains("]:") : rest.contains(":")
            if !hasPort { rest += written == "https" ? ":443" : ":80" }
        }
        switch parseReason(String(rest)) {
        case .failure(let problem):
            return fail(problem.message + (scheme != nil ? "" : " (expected host:port, http://host:port or https://host:port)"))
        case .success(let address):
            if rest.hasPrefix(":") { return fail("missing host") }
            if address.port == 0 { return fail("port 0 cannot be connected to") }
            return .success((address, scheme))
        }
    }
}
