import NIOHTTP1

/// The non-host conditions of one `RouteMatch`, prepared for per-request evaluation:
/// methods parsed into `HTTPMethod` once, so matching compares enum values, not strings.
/// The host condition is not here: `RouteTable` only evaluates a route when it was reached
/// through an index entry that already satisfied it.
struct CompiledRouteMatch: Sendable {
    let methods: [HTTPMethod]
    let path: String?
    let pathPrefix: String?
    let headers: [HeaderMatch]

    init(_ match: RouteMatch) {
        self.methods = match.methods.map { HTTPMethod(rawValue: $0) }
        self.path = match.path
        self.pathPrefix = match.pathPrefix
        self.headers = match.headers
    }

    @inline(__always)
    func matches<Fields: RouteHeaderFields>(method: HTTPMethod, path requestPath: Substring, headers requestHeaders: Fields) -> Bool {
        if !methods.isEmpty, !methods.contains(method) { return false }
        if let path {
            // Byte equality: `Substring == String` would apply Unicode canonical
            // equivalence, which is both slower and wrong for URI paths (RFC 3986 §6.2.1).
            guard requestPath.utf8.count == path.utf8.count,
                  requestPath.utf8.elementsEqual(path.utf8)
            else { return false }
        }
        if let pathPrefix, !PathMatch.matchesPrefix(requestPath, prefix: pathPrefix) { return false }
        // Some field named `condition.name` is present and, when a value is required,
        // one such field's value equals it exactly.
        for condition in headers where !requestHeaders.hasField(named: condition.name, value: condition.value) {
            return false
        }
        return true
    }
}
