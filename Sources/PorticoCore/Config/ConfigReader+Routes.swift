import Yams

/// A route as decoded, with where its name and upstream reference were written,
/// for the cross-reference checks in `ConfigReader+Validation.swift`.
struct DecodedRoute {
    var config: RouteConfig
    var nameSite: ConfigSite
    /// The upstream group this route forwards to, if its action is `upstream:`.
    var upstreamReference: (name: String, site: ConfigSite)?
    /// An upstream route without its own `compression:`: it takes the top-level one
    /// (`ConfigReader.topLevelCompression`).
    var inheritsCompression = false
}

/// Decoders for `routes:`: names, the single action, and the options that only make
/// sense when forwarding. Security keys are read by `routeSecurity`
/// (`ConfigReader+RouteSecurity.swift`).
extension ConfigReader {
    static let routeKeys = [
        "name", "match", "upstream", "redirect", "respond",
        "strip_prefix", "preserve_host", "request_headers", "response_headers",
        "redirect_https", "cache", "compression",
    ] + routeSecurityKeys
    static let actionKeys = ["upstream", "redirect", "respond"]
    /// Keys that configure forwarding and are meaningless for `redirect`/`respond`.
    static let forwardingKeys = ["strip_prefix", "preserve_host", "request_headers", "error_pages"]
    static let redirectStatuses = [301, 302, 303, 307, 308]

    mutating func routes(_ value: ConfigNode) -> [DecodedRoute] {
        guard let items = items(value) else { return [] }
        requireNonEmpty(items, value, "route")
        return items.enumerated().compactMap { route($1, index: $0) }
    }

    private mutating func route(_ value: ConfigNode, index: Int) -> DecodedRoute? {
        guard let fields = fields(value, known: Self.routeKeys) else { return nil }
        var name = "route\(index)"
        if let child = fields["name"], let text = nonEmptyString(child, "route name") { name = text }

        let actions = fields.order.filter { Self.actionKeys.contains($0) }
        if actions.isEmpty {
            report("route has no action: give exactly one of upstream, redirect or respond", at: fields.site)
        } else if actions.count > 1 {
            let list = actions.map { configQuoted($0) }.joined(separator: ", ")
            report("a route takes exactly one of upstream, redirect or respond, found \(list)", at: fields.keySite(actions[1]))
        }

        // Decode every action given so that errors inside each are reported too;
        // the first one in document order is the route's action.
        var action: RouteAction?
        var reference: (name: String, site: ConfigSite)?
        for key in actions {
            guard let child = fields[key] else { continue }
            var decoded: RouteAction?
            switch key {
            case "upstream":
                if let target = nonEmptyString(child, "upstream") {
                    decoded = .upstream(target)
                    if action == nil { reference = (target, child.site) }
                }
            case "redirect": decoded = redirect(child)
            default: decoded = respond(child)
            }
            if action == nil { action = decoded }
        }

        var route = RouteConfig(name: name, action: action ?? .respond(status: 500, body: "", contentType: ""))
        if let child = fields["match"] { route.match = routeMatch(child) }
        if let child = fields["response_headers"] { route.responseHeaders = headerRules(child, isRequest: false) }
        if let child = fields["redirect_https"] { route.redirectHTTPS = httpsRedirect(child) }

        if let first = actions.first, first != "upstream" {
            for key in Self.forwardingKeys where fields.has(key) {
                report("\(key) is only allowed on routes with upstream (this route uses \(first))", at: fields.keySite(key))
            }
        } else {
            if let child = fields["strip_prefix"] { route.stripPrefix = path(child, "strip_prefix") }
            if let child = fields["preserve_host"], let flag = bool(child) { route.preserveHost = flag }
            if let child = fields["request_headers"] { route.requestHeaders = headerRules(child, isRequest: true) }
        }
        routeSecurity(fields, into: &route, forwards: actions.first.map { $0 == "upstream" } ?? true)
        let inheritsCompression = routeCacheAndCompression(fields, into: &route, action: actions.first)
        return DecodedRoute(
            config: route,
            nameSite: fields.has("name") ? (fields["name"]?.site ?? fields.site) : fields.site,
            upstreamReference: reference,
            inheritsCompression: inheritsCompression
        )
    }

    /// `{ status: 301…308 (default 302), location: "…" }`.
    private mutating func redirect(_ value: ConfigNode) -> RouteAction? {
        guard let fields = fields(value, known: ["status", "location"]) else { return nil }
        requireKey("location", in: fields, context: "redirect")
        var status = 302
        if let child = fields["status"], let number = int(child, in: 0...999, "redirect status") {
            if Self.redirectStatuses.contains(number) {
                status = number
            } else {
                report("redirect status must be one of 301, 302, 303, 307, 308, found \(number)", at: child.site)
            }
        }
        guard let child = fields["location"], let location = nonEmptyString(child, "location"),
              let valid = check(ConfigScalar.checkHeaderValue(location), at: child.site)
        else { return nil }
        return .redirect(status: status, location: valid)
    }

    /// `{ status: 200…599, body: "…" (default ""), content_type: "…" (default text/plain) }`.
    private mutating func respond(_ value: ConfigNode) -> RouteAction? {
        guard let fields = fields(value, known: ["status", "body", "content_type"]) else { return nil }
        requireKey("status", in: fields, context: "respond")
        var status: Int?
        if let child = fields["status"] { status = int(child, in: 200...599, "respond status") }
        var body = ""
        if let child = fields["body"], let text = string(child) { body = text }
        // RFC 9110 §15.3.5, §15.3.6, §15.4.5: these responses never carry content.
        if let code = status, [204, 205, 304].contains(code), !body.isEmpty, let child = fields["body"] {
            report("a \(code) response cannot have a body", at: child.site)
        }
        var contentType = "text/plain; charset=utf-8"
        if let child = fields["content_type"], let text = nonEmptyString(child, "content_type") {
            contentType = check(ConfigScalar.checkHeaderValue(text), at: child.site) ?? contentType
        }
        guard let status else { return nil }
        return .respond(status: status, body: body, contentType: contentType)
    }
}
