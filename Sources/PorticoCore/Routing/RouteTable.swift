import NIOHTTP1

/// The routes of one configuration, compiled once and shared read-only by every event loop.
///
/// The contract is simple: `firstMatch` returns the index of the first route, in
/// configuration order, whose `RouteMatch` accepts the request. To avoid testing every
/// route on every request, routes are indexed by their host condition:
/// - exact hosts: a case-insensitive dictionary from host to ascending route indices;
/// - wildcard suffixes (`*.example.com`, stored `.example.com`): a dictionary from suffix to
///   indices, probed once per `.` in the request host (so `a.b.example.com` probes
///   `.b.example.com`, `.example.com`, `.com`; the `.` at position 0 is never probed,
///   because a wildcard needs at least one label before the suffix);
/// - host-agnostic routes: one ascending list.
/// Every list is ascending, so the first route that matches in a list is that list's
/// best answer; the overall answer is the smallest across lists. Each list is scanned only
/// while its indices are below the best found so far. No allocation per request.
public struct RouteTable: Sendable {
    private let routes: [CompiledRouteMatch]
    private let exactHosts: [HostKey: [Int]]
    private let wildcardSuffixes: [HostKey: [Int]]
    private let anyHost: [Int]

    public init(_ configs: [RouteConfig]) {
        var routes: [CompiledRouteMatch] = []
        routes.reserveCapacity(configs.count)
        var exact: [HostKey: [Int]] = [:]
        var wildcard: [HostKey: [Int]] = [:]
        var any: [Int] = []
        for (index, config) in configs.enumerated() {
            routes.append(CompiledRouteMatch(config.match))
            if config.match.hosts.isEmpty {
                any.append(index)
                continue
            }
            for pattern in config.match.hosts {
                switch pattern {
                case .exact(let host):
                    Self.append(index, to: &exact[HostKey(host[...]), default: []])
                case .wildcard(let suffix):
                    let key = suffix.hasPrefix(".") ? suffix : "." + suffix
                    Self.append(index, to: &wildcard[HostKey(key[...]), default: []])
                }
            }
        }
        self.routes = routes
        self.exactHosts = exact
        self.wildcardSuffixes = wildcard
        self.anyHost = any
    }

    /// Number of routes compiled.
    public var count: Int { routes.count }

    /// The index of the first route (configuration order) that accepts the request, or `nil`.
    ///
    /// - Parameters:
    ///   - host: the normalised host (`HostHeader.normalizedHost`, of the absolute-form
    ///     authority when there is one, RFC 9112 §3.2.2, else of Host), any case; `nil`
    ///     when the request has none (HTTP/1.0): then only host-agnostic routes can match.
    ///   - path: the path without the query (`RequestTarget.path`).
    public func firstMatch<Fields: RouteHeaderFields>(method: HTTPMethod, host: Substring?, path: Substring, headers: Fields) -> Int? {
        var best = Int.max
        if let host {
            if let list = exactHosts[HostKey(host)] {
                scan(list, &best, method, path, headers)
            }
            if !wildcardSuffixes.isEmpty {
                let u = host.utf8
                var i = u.startIndex
                if i < u.endIndex { u.formIndex(after: &i) }  // skip position 0
                while i < u.endIndex {
                    if u[i] == ASCII.dot, let list = wildcardSuffixes[HostKey(Substring(u[i...]))] {
                        scan(list, &best, method, path, headers)
                    }
                    u.formIndex(after: &i)
                }
            }
        }
        scan(anyHost, &best, method, path, headers)
        return best == Int.max ? nil : best
    }

    @inline(__always)
    private func scan<Fields: RouteHeaderFields>(_ list: [Int], _ best: inout Int, _ method: HTTPMethod, _ path: Substring, _ headers: Fields) {
        for index in list {
            if index >= best { return }
            if routes[index].matches(method: method, path: path, headers: headers) {
                best = index
                return
            }
        }
    }

    private static func append(_ index: Int, to list: inout [Int]) {
        if list.last != index { list.append(index) }  // a route listing one host twice
    }
}
