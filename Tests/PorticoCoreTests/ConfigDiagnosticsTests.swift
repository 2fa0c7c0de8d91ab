import PorticoCore
import Testing

/// Bad configurations produce precise diagnostics: the right line, path and message,
/// and every problem in a file at once.
@Suite("Config diagnostics")
struct ConfigDiagnosticsTests {
    /// A bad snippet and the single diagnostic it must produce.
    struct Case: Sendable, CustomTestStringConvertible {
        var yaml: String
        var line: Int
        var path: String
        var fragment: String
        var testDescription: String { "\(path.isEmpty ? "<document>" : path): \(fragment)" }

        init(_ yaml: String, line: Int, path: String, _ fragment: String) {
            self.yaml = yaml
            self.line = line
            self.path = path
            self.fragment = fragment
        }
    }

    /// Lines 1–5: a valid listener, upstream and route. Snippets are appended from line 6.
    static let base = """
        listeners:
          - address: "127.0.0.1:8080"
        upstreams:
          - { name: api, servers: ["127.0.0.1:9001"] }
        routes: [{ upstream: api }]

        """

    /// A valid document where the first route (line 6) is replaced by the snippet.
    static func route(_ lines: String) -> String {
        """
        listeners: [{ address: ":8080" }]
        upstreams:
          - { name: api, servers: ["127.0.0.1:9001"] }
        routes:
          - name: r
        \(lines)
        """
    }

    static let cases: [Case] = [
        // Document structure and YAML syntax.
        Case("listeners: [\n", line: 2, path: "", "invalid YAML"),
        Case("a: 1\na: 2\n", line: 1, path: "", "duplicate key \"a\""),
        Case("", line: 1, path: "", "the configuration is empty"),
        Case("- 1\n", line: 1, path: "", "expected a mapping at the top level, found a sequence"),
        Case("listeners: [{ address: \":8080\" }]\n", line: 1, path: "", "missing required key \"routes\""),
        Case(base + "listner: 1\n", line: 6, path: "listner", "unknown key \"listner\" (did you mean \"listeners\"?)"),
        Case(base + "frobnicate: 1\n", line: 6, path: "frobnicate", "unknown key \"frobnicate\""),
        // Globals.
        Case(base + "workers: 0\n", line: 6, path: "workers", "workers must be at least 1, found 0"),
        Case(base + "workers: many\n", line: 6, path: "workers", "expected an integer >= 1 or \"auto\""),
        Case(base + "server_header: \"a\\nb\"\n", line: 6, path: "server_header", "must not contain CR, LF or NUL"),
        Case(base + "server_header: [x]\n", line: 6, path: "server_header", "expected a string, found a sequence"),
        Case(base + "timeouts:\n  client_idle: 10x\n", line: 7, path: "timeouts.client_idle", "invalid duration \"10x\""),
        Case(base + "timeouts:\n  client_idle: 0s\n", line: 7, path: "timeouts.client_idle", "must be greater than 0"),
        Case(base + "timeouts:\n  client_idel: 1s\n", line: 7, path: "timeouts.client_idel", "did you mean \"client_idle\"?"),
        Case(base + "timeouts: 5s\n", line: 6, path: "timeouts", "expected a mapping, found \"5s\""),
        Case(base + "limits:\n  max_header_bytes: 8GB\n", line: 7, path: "limits.max_header_bytes", "invalid size \"8GB\""),
        Case(base + "limits:\n  max_request_line: 0\n", line: 7, path: "limits.max_request_line", "size must be greater than 0"),
        Case(base + "limits:\n  max_header_count: 1k\n", line: 7, path: "limits.max_header_count", "expected an integer"),
        Case(base + "access_log:\n  format: xml\n", line: 7, path: "access_log.format", "unknown access_log format \"xml\" (expected one of: text, json)"),
        Case(base + "access_log:\n  format: jsn\n", line: 7, path: "access_log.format", "did you mean \"json\"?"),
        Case(base + "access_log: [a]\n", line: 6, path: "access_log", "expected a mapping or off"),
        // Listeners.
        Case("listeners: []\nroutes: [{ respond: { status: 200 } }]\n", line: 1, path: "listeners", "at least one listener is required"),
        Case("listeners:\n  - name: x\nroutes: [{ respond: { status: 200 } }]\n", line: 2, path: "listeners[0]", "missing required key \"address\""),
        Case("listeners:\n  - address: \"127.0.0.1\"\nroutes: [{ respond: { status: 200 } }]\n", line: 2, path: "listeners[0].address", "missing port"),
        Case("listeners:\n  - address: \":70000\"\nroutes: [{ respond: { status: 200 } }]\n", line: 2, path: "listeners[0].address", "out of range"),
        Case("listeners:\n  - address: \"::1:80\"\nroutes: [{ respond: { status: 200 } }]\n", line: 2, path: "listeners[0].address", "in brackets"),
        Case("listeners:\n  - address: \":80\"\n  - address: \"0.0.0.0:80\"\nroutes: [{ respond: { status: 200 } }]\n",
             line: 3, path: "listeners[1].address", "duplicate listener address \"0.0.0.0:80\" (first defined at line 2)"),
        Case("listeners:\n  - \":80\"\nroutes: [{ respond: { status: 200 } }]\n", line: 2, path: "listeners[0]", "expected a mapping, found \":80\""),
        // Upstreams.
        Case(base.replacingOccurrences("routes:", "  - { name: api, servers: [\"127.0.0.1:9002\"] }\nroutes:"),
             line: 5, path: "upstreams[1].name", "duplicate upstream name \"api\" (first defined at line 4)"),
        Case(base.replacingOccurrences("servers: [\"127.0.0.1:9001\"]", "servers: []"), line: 4, path: "upstreams[0].servers", "at least one server is required"),
        Case(base.replacingOccurrences("servers: [\"127.0.0.1:9001\"]", "srvers: [1]"), line: 4, path: "upstreams[0].srvers", "did you mean \"servers\"?"),
        Case(base.replacingOccurrences("9001\"]", "9001\"], balance: random"), line: 4, path: "upstreams[0].balance", "unknown balance policy \"random\" (expected one of: round_robin, weighted_round_robin,"),
        Case(base.replacingOccurrences("\"127.0.0.1:9001\"", "\"ws://a:1\""), line: 4, path: "upstreams[0].servers[0]", "unsupported scheme \"ws\""),
        Case(base.replacingOccurrences("\"127.0.0.1:9001\"", "\"http://a:1/x\""), line: 4, path: "upstreams[0].servers[0]", "a path, query or fragment is not allowed"),
        Case(base.replacingOccurrences("\"127.0.0.1:9001\"", "\"a:0\""), line: 4, path: "upstreams[0].servers[0]", "port 0"),
        Case(base.replacingOccurrences("\"127.0.0.1:9001\"", "{ adress: \"a:1\" }"), line: 4, path: "upstreams[0].servers[0].adress", "did you mean \"address\"?"),
        Case(base.replacingOccurrences("9001\"]", "9001\"], keepalive: { max_idle: -1 }"), line: 4, path: "upstreams[0].keepalive.max_idle", "must be at least 0"),
        Case("listeners: [{ address: \":1\" }]\nupstreams:\n  - servers: [\"a:1\"]\nroutes: [{ respond: { status: 200 } }]\n",
             line: 3, path: "upstreams[0]", "missing required key \"name\" in upstream"),
        // Routes: structure and actions.
        Case("listeners: [{ address: \":8080\" }]\nroutes: []\n", line: 2, path: "routes", "at least one route is required"),
        Case(route("    upstream: apii"), line: 6, path: "routes[0].upstream", "unknown upstream \"apii\" (did you mean \"api\"?)"),
        Case(route("    upstream: web"), line: 6, path: "routes[0].upstream", "unknown upstream \"web\" (known upstreams: \"api\")"),
        Case(route("    match: { path: /x }"), line: 5, path: "routes[0]", "route has no action"),
        Case(route("    upstream: api\n    respond: { status: 200 }"), line: 7, path: "routes[0].respond", "exactly one of upstream, redirect or respond"),
        Case(route("    respond: { status: 200 }\n    strip_prefix: /a"), line: 7, path: "routes[0].strip_prefix", "only allowed on routes with upstream"),
        Case(route("    redirect: { location: /x }\n    preserve_host: false"), line: 7, path: "routes[0].preserve_host", "only allowed on routes with upstream"),
        Case(route("    respond: { status: 200 }\n    request_headers: { set: { A: b } }"), line: 7, path: "routes[0].request_headers", "only allowed on routes with upstream"),
        Case(route("    redirect: { status: 300, location: /x }"), line: 6, path: "routes[0].redirect.status", "must be one of 301, 302, 303, 307, 308"),
        Case(route("    redirect: { status: 301 }"), line: 6, path: "routes[0].redirect", "missing required key \"location\""),
        Case(route("    respond: { status: 600 }"), line: 6, path: "routes[0].respond.status", "respond status must be between 200 and 599"),
        Case(route("    respond: { body: x }"), line: 6, path: "routes[0].respond", "missing required key \"status\""),
        Case(route("    respond: { status: 204, body: x }"), line: 6, path: "routes[0].respond.body", "cannot have a body"),
        Case(route("    respond: { status: 200, body: { a: 1 } }"), line: 6, path: "routes[0].respond.body", "expected a string, found a mapping"),
        Case(route("    upstream: api\n    strip_prefix: api"), line: 7, path: "routes[0].strip_prefix", "must start with \"/\""),
        Case(route("    upstream: api\n    preserve_host: \"yes\""), line: 7, path: "routes[0].preserve_host", "expected true or false"),
        Case(route("    upstream: api\n  - name: r\n    upstream: api"), line: 7, path: "routes[1].name", "duplicate route name \"r\""),
        // Routes: match.
        Case(route("    upstream: api\n    match: { path_prefix: api }"), line: 7, path: "routes[0].match.path_prefix", "must start with \"/\""),
        Case(route("    upstream: api\n    match: { path: \"/a?b\" }"), line: 7, path: "routes[0].match.path", "must not contain \"?\""),
        Case(route("    upstream: api\n    match: { method: \"GE T\" }"), line: 7, path: "routes[0].match.method", "invalid method"),
        Case(route("    upstream: api\n    match: { method: [GET, \"P(ST\"] }"), line: 7, path: "routes[0].match.method[1]", "invalid method"),
        Case(route("    upstream: api\n    match: { host: \"a.com:80\" }"), line: 7, path: "routes[0].match.host", "must not include a port"),
        Case(route("    upstream: api\n    match: { host: \"a.*.com\" }"), line: 7, path: "routes[0].match.host", "wildcard must be the whole first label"),
        Case(route("    upstream: api\n    match: { hots: a.com }"), line: 7, path: "routes[0].match.hots", "did you mean \"host\"?"),
        Case(route("    upstream: api\n    match: { headers: { \"X Y\": a } }"), line: 7, path: "routes[0].match.headers.X Y", "invalid header name"),
        Case(route("    upstream: api\n    match: { headers: { X: false } }"), line: 7, path: "routes[0].match.headers.X", "string value or true"),
        Case(route("    upstream: api\n    match: { headers: { X: [a] } }"), line: 7, path: "routes[0].match.headers.X", "expected a string or true"),
        Case(route("    upstream: api\n    match: [a]"), line: 7, path: "routes[0].match", "expected a mapping, found a sequence"),
        // Routes: header rules.
        Case(route("    upstream: api\n    request_headers: { set: { \"X:A\": b } }"), line: 7, path: "routes[0].request_headers.set.X:A", "invalid header name"),
        Case(route("    upstream: api\n    request_headers: { add: { X-A: \"a\\rb\" } }"), line: 7, path: "routes[0].request_headers.add.X-A", "must not contain CR, LF or NUL"),
        Case(route("    upstream: api\n    request_headers: { add: { X-A: \"a\\u0000b\" } }"), line: 7, path: "routes[0].request_headers.add.X-A", "must not contain CR, LF or NUL"),
        Case(route("    upstream: api\n    request_headers: { set: { A: 1, a: 2 } }"), line: 7, path: "routes[0].request_headers.set.a", "set twice"),
        Case(route("    upstream: api\n    request_headers: { set: { Content-Length: 1 } }"), line: 7, path: "routes[0].request_headers.set.Content-Length", "managed by the proxy"),
        Case(route("    upstream: api\n    request_headers: { remove: [Host] }"), line: 7, path: "routes[0].request_headers.remove[0]", "Host header cannot be removed"),
        Case(route("    respond: { status: 200 }\n    response_headers: { remove: [\"bad name\"] }"), line: 7, path: "routes[0].response_headers.remove[0]", "invalid header name"),
        Case(route("    respond: { status: 200 }\n    response_headers: { sett: {} }"), line: 7, path: "routes[0].response_headers.sett", "did you mean \"set\"?"),
    ]

    @Test(arguments: cases)
    func badSnippetReportsOneDiagnostic(_ testCase: Case) {
        Self.expectOneDiagnostic(testCase)
    }

    /// The check every diagnostics table shares: the snippet yields exactly one
    /// diagnostic, at the case's line and path, whose message contains the fragment.
    static func expectOneDiagnostic(_ testCase: Case, sourceLocation: SourceLocation = #_sourceLocation) {
        let diagnostics = Self.diagnostics(testCase.yaml)
        #expect(diagnostics.count == 1, "\(diagnostics.map(\.description))", sourceLocation: sourceLocation)
        guard let diagnostic = diagnostics.first else { return }
        #expect(diagnostic.file == "test.yaml", sourceLocation: sourceLocation)
        #expect(diagnostic.line == testCase.line, "\(diagnostic)", sourceLocation: sourceLocation)
        #expect(diagnostic.column > 0, "\(diagnostic)", sourceLocation: sourceLocation)
        #expect(diagnostic.path == testCase.path, "\(diagnostic)", sourceLocation: sourceLocation)
        #expect(diagnostic.message.contains(testCase.fragment), "\(diagnostic)", sourceLocation: sourceLocation)
    }

    @Test func everyProblemInAFileIsReportedInDocumentOrder() {
        let yaml = """
            workers: 0
            timeouts: { client_idle: soon }
            listeners:
              - address: "localhost"
            upstreams:
              - { name: api, servers: [] }
            routes:
              - upstream: apii
              - redirect: { status: 200, location: /x }
                strip_prefix: /x
            """
        let diagnostics = Self.diagnostics(yaml)
        #expect(diagnostics.map(\.path) == [
            "workers",
            "timeouts.client_idle",
            "listeners[0].address",
            "upstreams[0].servers",
            "routes[0].upstream",
            "routes[1].redirect.status",
            "routes[1].strip_prefix",
        ])
        #expect(diagnostics.map(\.line) == [1, 2, 4, 6, 8, 9, 10])
    }

    @Test func columnsPointAtTheOffendingValue() {
        let diagnostics = Self.diagnostics(Self.route("    upstream: apii"))
        #expect(diagnostics.first?.column == 15)
        #expect(diagnostics.first?.description == "test.yaml:6:15: routes[0].upstream: unknown upstream \"apii\" (did you mean \"api\"?)")
    }

    @Test func unknownUpstreamWithNoUpstreamsDefined() {
        let yaml = "listeners: [{ address: \":1\" }]\nroutes: [{ upstream: api }]\n"
        #expect(Self.diagnostics(yaml).first?.message == "unknown upstream \"api\" (no upstreams are defined)")
    }

    static func diagnostics(_ yaml: String) -> [ConfigDiagnostic] {
        do {
            _ = try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
            return []
        } catch {
            return error.diagnostics
        }
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
