import NIOHTTP1
import PorticoCore
import Testing

private func route(
    _ name: String,
    hosts: [HostPattern] = [],
    prefix: String? = nil,
    path: String? = nil,
    methods: [String] = [],
    headers: [HeaderMatch] = []
) -> RouteConfig {
    RouteConfig(
        name: name,
        match: RouteMatch(hosts: hosts, pathPrefix: prefix, path: path, methods: methods, headers: headers),
        action: .upstream("u")
    )
}

/// The specification, written the slow obvious way: first route in order whose every
/// condition holds.
private func naiveFirstMatch(
    _ routes: [RouteConfig], method: String, host: String?, path: String, headers: [(String, String)]
) -> Int? {
    for (index, r) in routes.enumerated() {
        let m = r.match
        if !m.hosts.isEmpty {
            guard let host = host?.lowercased() else { continue }
            let ok = m.hosts.contains { pattern in
                switch pattern {
                case .exact(let h): return h == host
                case .wildcard(let suffix): return host.hasSuffix(suffix) && host.count > suffix.count
                }
            }
            if !ok { continue }
        }
        if let p = m.path, Array(p.utf8) != Array(path.utf8) { continue }
        if let p = m.pathPrefix {
            let ok = Array(path.utf8) == Array(p.utf8) || p.hasSuffix("/") && path.hasPrefix(p)
                || path.hasPrefix(p + "/")
            if !ok { continue }
        }
        if !m.methods.isEmpty, !m.methods.contains(method) { continue }
        let headersOK = m.headers.allSatisfy { cond in
            headers.contains { $0.0.lowercased() == cond.name.lowercased() && (cond.value == nil || cond.value == $0.1) }
        }
        if !headersOK { continue }
        return index
    }
    return nil
}

@Suite struct RouteTableTests {
    let routes: [RouteConfig] = [
        route("api-exact-host", hosts: [.exact("api.example.com")], prefix: "/v2"),
        route("wild", hosts: [.wildcard(suffix: ".example.com")], prefix: "/admin"),
        route("any-health", path: "/healthz"),
        route("api-host-all", hosts: [.exact("api.example.com")]),
        route("post-only", prefix: "/upload", methods: ["POST"]),
        route("canary", headers: [HeaderMatch(name: "X-Canary", value: "1")]),
        route("beta", prefix: "/", headers: [HeaderMatch(name: "X-Beta", value: nil)]),
        route("deep-wild", hosts: [.wildcard(suffix: ".b.example.com")]),
        route("fallback"),
    ]

    @Test(arguments: [
        ("GET", "api.example.com", "/v2/users", [], 0),
        ("GET", "API.Example.COM", "/v2", [], 0),
        ("GET", "api.example.com", "/admin", [], 1),  // wildcard (index 1) beats exact (index 3)
        ("GET", "api.example.com", "/healthz", [], 2),
        ("GET", "api.example.com", "/v3", [], 3),
        ("GET", "www.example.com", "/admin/x", [], 1),
        ("GET", "example.com", "/admin/x", [], 8),  // wildcard needs one more label
        ("GET", "www.example.com", "/adminx", [], 8),
        ("GET", nil, "/healthz", [], 2),
        ("POST", "other.org", "/upload/a", [], 4),
        ("PUT", "other.org", "/upload/a", [], 8),
        ("GET", "other.org", "/", [("x-canary", "1")], 5),
        ("GET", "other.org", "/", [("X-Canary", "2")], 8),
        ("GET", "other.org", "/x", [("x-beta", "")], 6),
        ("GET", "a.b.example.com", "/x", [], 7),
        ("GET", "a.b.example.com", "/admin", [], 1),
        ("GET", "b.example.com", "/x", [], 8),
    ] as [(String, String?, String, [(String, String)], Int?)])
    func firstMatchWins(method: String, host: String?, path: String, headers: [(String, String)], expected: Int?) {
        let table = RouteTable(routes)
        let got = table.firstMatch(
            method: HTTPMethod(rawValue: method), host: host?[...], path: path[...], headers: HTTPHeaders(headers)
        )
        #expect(got == expected)
        #expect(got == naiveFirstMatch(routes, method: method, host: host, path: path, headers: headers))
    }

    @Test(arguments: [
        ("/api", "/api", true), ("/api", "/api/", true), ("/api", "/api/x", true), ("/api", "/apix", false),
        ("/api", "/ap", false), ("/api", "/", false), ("/api/", "/api/x", true), ("/api/", "/api", false),
        ("/api/", "/api/", true), ("/", "/anything", true), ("/", "/", true), ("/API", "/api", false),
        ("/a/b", "/a/b/c", true), ("/a/b", "/a/bc", false),
    ])
    func prefixBoundary(prefix: String, path: String, matches: Bool) {
        let table = RouteTable([route("p", prefix: prefix)])
        #expect((table.firstMatch(method: .GET, host: nil, path: path[...], headers: HTTPHeaders()) == 0) == matches)
    }

    @Test func exactPathIgnoresQueryWhenGivenSplitPath() throws {
        let table = RouteTable([route("p", path: "/a")])
        let target = try #require(RequestTarget.parse("/a?x=1"))
        #expect(table.firstMatch(method: .GET, host: nil, path: target.path, headers: HTTPHeaders()) == 0)
        #expect(table.firstMatch(method: .GET, host: nil, path: "/a/", headers: HTTPHeaders()) == nil)
    }

    @Test func headerMatchAnyOfRepeatedFields() {
        let table = RouteTable([route("h", headers: [HeaderMatch(name: "x-env", value: "prod")])])
        let headers = HTTPHeaders([("X-Env", "dev"), ("X-ENV", "prod")])
        #expect(table.firstMatch(method: .GET, host: nil, path: "/", headers: headers) == 0)
        #expect(table.firstMatch(method: .GET, host: nil, path: "/", headers: HTTPHeaders([("x-env", "Prod")])) == nil)
    }

    @Test func emptyTableAndNoMatch() {
        #expect(RouteTable([]).firstMatch(method: .GET, host: "a", path: "/", headers: HTTPHeaders()) == nil)
        let table = RouteTable([route("h", hosts: [.exact("a.com")])])
        #expect(table.firstMatch(method: .GET, host: "b.com", path: "/", headers: HTTPHeaders()) == nil)
        #expect(table.firstMatch(method: .GET, host: nil, path: "/", headers: HTTPHeaders()) == nil)
        #expect(table.count == 1)
    }

    @Test func bruteForceAgainstNaiveMatcher() {
        var rng = SplitMix(seed: 0x5EED)
        let hostPool = ["a.com", "b.a.com", "x.b.a.com", "c.org", "A.COM", "www.c.org", "d.net", "com"]
        let patternPool: [HostPattern] = [
            .exact("a.com"), .exact("b.a.com"), .exact("c.org"), .wildcard(suffix: ".a.com"),
            .wildcard(suffix: ".c.org"), .wildcard(suffix: ".com"), .exact("d.net"), .wildcard(suffix: ".b.a.com"),
        ]
        let pathPool = ["/", "/api", "/api/", "/api/x", "/apix", "/b", "/b/c", "/static/x.js"]
        let prefixPool = ["/", "/api", "/api/", "/b", "/static"]
        let methodPool = ["GET", "POST", "PUT", "DELETE"]
        for _ in 0..<20 {
            var routes: [RouteConfig] = []
            for n in 0..<Int(rng.next() % 24) {
                var hosts: [HostPattern] = []
                for _ in 0..<Int(rng.next() % 3) { hosts.append(patternPool[rng.pick(patternPool.count)]) }
                let prefix = rng.next() % 2 == 0 ? prefixPool[rng.pick(prefixPool.count)] : nil
                let path = rng.next() % 5 == 0 ? pathPool[rng.pick(pathPool.count)] : nil
                let methods = rng.next() % 3 == 0 ? [methodPool[rng.pick(methodPool.count)]] : []
                let headers = rng.next() % 4 == 0 ? [HeaderMatch(name: "X-T", value: rng.next() % 2 == 0 ? nil : "1")] : []
                routes.append(route("r\(n)", hosts: hosts, prefix: prefix, path: path, methods: methods, headers: headers))
            }
            let table = RouteTable(routes)
            for _ in 0..<150 {
                let host: String? = rng.next() % 8 == 0 ? nil : hostPool[rng.pick(hostPool.count)]
                let path = pathPool[rng.pick(pathPool.count)]
                let method = methodPool[rng.pick(methodPool.count)]
                let headers: [(String, String)] = rng.next() % 3 == 0 ? [("x-t", rng.next() % 2 == 0 ? "1" : "2")] : []
                let got = table.firstMatch(
                    method: HTTPMethod(rawValue: method), host: host?[...], path: path[...], headers: HTTPHeaders(headers)
                )
                let want = naiveFirstMatch(routes, method: method, host: host, path: path, headers: headers)
                #expect(got == want, "host \(host ?? "nil") path \(path) method \(method)")
                if got != want { return }
            }
        }
    }
}

/// Deterministic generator so failures reproduce.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func pick(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
