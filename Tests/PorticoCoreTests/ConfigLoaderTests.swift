import PorticoCore
import Testing

/// Decoding of well-formed configurations into the exact model values.
@Suite("ConfigLoader decoding")
struct ConfigLoaderTests {
    static let fullYAML = """
        workers: 4
        server_header: "edge/1"
        timeouts:
          client_header: 500ms
          client_idle: 2m
          client_body: 30
          upstream_connect: 1s
          upstream_header: 1h
          upstream_idle: 45s
          shutdown_grace: 5s
        limits:
          max_request_line: 4k
          max_header_bytes: 1MiB
          max_header_count: 50
        access_log:
          output: /var/log/portico/access.log
          format: json
        listeners:
          - address: "127.0.0.1:8080"
            name: public
          - address: "[::1]:8081"
          - address: ":0"
        upstreams:
          - name: api
            servers:
              - "127.0.0.1:9001"
              - "http://LOCALHOST"
              - address: "[::1]:9002"
            balance: round_robin
            keepalive:
              max_idle: 0
              idle_timeout: 10s
          - name: unused
            servers: ["127.0.0.1:9003"]
        routes:
          - name: api
            match:
              host: [API.Example.com, "*.Example.org"]
              path_prefix: /api
              method: [get, POST]
              headers:
                X-Env: canary
                X-Present: true
                X-Version: 2
            upstream: api
            strip_prefix: /api
            preserve_host: false
            request_headers:
              set: { X-A: "1" }
              add: { X-B: 2 }
              remove: [X-C, X-D]
            response_headers:
              remove: X-Powered-By
          - match:
              path: /old
            redirect:
              location: "https://example.com/"
          - respond:
              status: 503
              body: 123
            response_headers:
              set: { Retry-After: "120" }
          - respond: { status: 200, content_type: application/json, body: "{}" }
        """

    @Test func fullDocumentDecodesToTheExactModel() throws {
        let config = try ConfigLoader.parse(yaml: Self.fullYAML, file: "full.yaml")
        let expected = PorticoConfig(
            listeners: [
                ListenerConfig(name: "public", address: HostPort(host: "127.0.0.1", port: 8080)),
                ListenerConfig(name: "[::1]:8081", address: HostPort(host: "::1", port: 8081)),
                ListenerConfig(name: ":0", address: HostPort(host: "0.0.0.0", port: 0)),
            ],
            upstreams: [
                UpstreamGroupConfig(
                    name: "api",
                    servers: [
                        UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: 9001)),
                        UpstreamServerConfig(address: HostPort(host: "localhost", port: 80)),
                        UpstreamServerConfig(address: HostPort(host: "::1", port: 9002)),
                    ],
                    balance: .roundRobin,
                    keepalive: KeepaliveConfig(maxIdlePerWorker: 0, idleTimeout: .seconds(10))
                ),
                UpstreamGroupConfig(
                    name: "unused",
                    servers: [UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: 9003))]
                ),
            ],
            routes: [
                RouteConfig(
                    name: "api",
                    match: RouteMatch(
                        hosts: [.exact("api.example.com"), .wildcard(suffix: ".example.org")],
                        pathPrefix: "/api",
                        methods: ["GET", "POST"],
                        headers: [
                            HeaderMatch(name: "X-Env", value: "canary"),
                            HeaderMatch(name: "X-Present", value: nil),
                            HeaderMatch(name: "X-Version", value: "2"),
                        ]
                    ),
                    action: .upstream("api"),
                    stripPrefix: "/api",
                    preserveHost: false,
                    requestHeaders: HeaderRules(
                        set: [.init(name: "X-A", value: "1")],
                        add: [.init(name: "X-B", value: "2")],
                        remove: ["X-C", "X-D"]
                    ),
                    responseHeaders: HeaderRules(remove: ["X-Powered-By"])
                ),
                RouteConfig(
                    name: "route1",
                    match: RouteMatch(path: "/old"),
                    action: .redirect(status: 302, location: "https://example.com/")
                ),
                RouteConfig(
                    name: "route2",
                    action: .respond(status: 503, body: "123", contentType: "text/plain; charset=utf-8"),
                    responseHeaders: HeaderRules(set: [.init(name: "Retry-After", value: "120")])
                ),
                RouteConfig(
                    name: "route3",
                    action: .respond(status: 200, body: "{}", contentType: "application/json")
                ),
            ],
            workers: 4,
            serverHeader: "edge/1",
            timeouts: TimeoutsConfig(
                clientHeader: .milliseconds(500),
                clientIdle: .seconds(120),
                clientBody: .seconds(30),
                upstreamConnect: .seconds(1),
                upstreamHeader: .seconds(3600),
                upstreamIdle: .seconds(45),
                shutdownGrace: .seconds(5)
            ),
            limits: LimitsConfig(maxRequestLine: 4096, maxHeaderBytes: 1_048_576, maxHeaderCount: 50),
            accessLog: AccessLogConfig(destination: .file("/var/log/portico/access.log"), format: .json)
        )
        #expect(config == expected)
    }

    static let minimalYAML = """
        listeners: [{ address: ":8080" }]
        routes: [{ respond: { status: 204 } }]
        """

    @Test func omittedKeysTakeTheModelDefaults() throws {
        let config = try ConfigLoader.parse(yaml: Self.minimalYAML, file: "m.yaml")
        #expect(config == PorticoConfig(
            listeners: [ListenerConfig(name: ":8080", address: HostPort(host: "0.0.0.0", port: 8080))],
            routes: [RouteConfig(name: "route0", action: .respond(status: 204, body: "", contentType: "text/plain; charset=utf-8"))]
        ))
    }

    @Test(arguments: [
        ("workers: auto", PorticoConfig(workers: nil)),
        ("server_header: false", PorticoConfig(serverHeader: nil)),
        ("server_header: true", PorticoConfig(serverHeader: "portico")),
        ("access_log: off", PorticoConfig(accessLog: AccessLogConfig(destination: .off))),
        ("access_log: false", PorticoConfig(accessLog: AccessLogConfig(destination: .off))),
        ("access_log: { output: stderr }", PorticoConfig(accessLog: AccessLogConfig(destination: .stderr))),
        ("access_log: { output: off, format: json }", PorticoConfig(accessLog: AccessLogConfig(destination: .off, format: .json))),
        ("timeouts:", PorticoConfig()),
    ])
    func globalShorthands(line: String, expected: PorticoConfig) throws {
        var config = try ConfigLoader.parse(yaml: Self.minimalYAML + "\n" + line, file: "g.yaml")
        config.listeners = []
        config.routes = []
        #expect(config == expected)
    }

    @Test func loadReadsAFileAndReportsUnreadableOnes() throws {
        let error = #expect(throws: ConfigError.self) {
            try ConfigLoader.load(path: "/nonexistent/portico.yaml")
        }
        #expect(error?.diagnostics.count == 1)
        #expect(error?.diagnostics.first?.file == "/nonexistent/portico.yaml")
        #expect(error?.diagnostics.first?.message.contains("No such file") == true)

        let example = ConfigExamplesTests.examplesDirectory + "/minimal.yaml"
        let config = try ConfigLoader.load(path: example)
        #expect(config.listeners.count == 1)
    }

    @Test func diagnosticDescriptionFollowsCompilerConvention() {
        let diagnostic = ConfigDiagnostic(
            file: "portico.yaml", line: 12, column: 5, path: "routes[2].upstream",
            message: "unknown upstream \"apii\" (did you mean \"api\"?)"
        )
        #expect(diagnostic.description == "portico.yaml:12:5: routes[2].upstream: unknown upstream \"apii\" (did you mean \"api\"?)")
        let unknown = ConfigDiagnostic(file: "command line", line: 0, column: 0, path: "", message: "m")
        #expect(unknown.description == "command line: m")
        let error = ConfigError(diagnostics: [diagnostic, unknown])
        #expect(error.description.split(separator: "\n").count == 2)
    }
}
