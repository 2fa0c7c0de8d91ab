extension HTTPSRedirect {
    /// The status of an HTTPS redirect: 301 for GET and HEAD, 308 for every other method,
    /// which keeps the method and body (RFC 9110 §15.4.2: user agents may turn a
    /// redirected POST into a GET after 301; §15.4.9: not after 308).
    public static func status(method: Substring) -> Int {
        method == "GET" || method == "HEAD" ? 301 : 308
    }

    /// `https://host[:port]/path?query` for a request that named `host` (its `Host` field
    /// or absolute-form authority, with or without a port) and `target` (origin form).
    /// Returns nil when the host is missing or invalid: there is nowhere to redirect to
    /// (the caller answers 400).
    public func location(host: Substring, target: Substring) -> String? {
        guard let name = HostHeader.normalizedHost(host) else { return nil }
        var location = "https://" + name
        if let port = self.explicitPort {
            location += ":\(port)"
        }
        location += target.first == "/" ? target : "/" + target
        return location
    }
}
