import PorticoCore
import Testing

/// Decoding of load-balancing, health, retry and queue settings of upstream groups.
@Suite("Config load balancing decoding")
struct ConfigBalancingTests {
    /// Every key of an upstream group, each set away from its default.
    static let fullYAML = """
        listeners: [{ address: ":8080" }]
        routes: [{ upstream: app }]
        upstreams:
          - name: app
            balance: sticky
            hash_key: "header:X-User-Id"
            sticky:
              cookie: portico_server
              fallback: least_requests
              max_age: 1h
              path: /app
              secure: true
              http_only: false
              same_site: Strict
            servers:
              - "127.0.0.1:9001"
              - address: 127.0.0.1:9002
                weight: 5
                max_connections: 100
                backup: true
                slow_start: 30s
            keepalive: { max_idle: 16, idle_timeout: 20s }
            health_check:
              path: /healthz?deep=1
              method: get
              host: app.internal
              interval: 7s
              timeout: 1500ms
              expect_status: 2xx
              expect_body: ok
              healthy_threshold: 4
              unhealthy_threshold: 6
              start_healthy: false
            outlier_detection:
              enabled: false
              consecutive_failures: 7
              statuses: [502, 503, 504]
              base_ejection_time: 10s
              max_ejection_time: 5m
              max_ejected_percent: 0
            retries:
              attempts: 10
              timeout: 15s
              on_status: [502, 503]
              budget_percent: 100
              min_per_second: 0
              replay_buffer: 1MiB
            queue:
              size: 0
              timeout: 3s
            dns_refresh: 2m
        """

    @Test func fullGroupDecodesToTheExactModel() throws {
        let config = try ConfigLoader.parse(yaml: Self.fullYAML, file: "lb.yaml")
        let expected = UpstreamGroupConfig(
            name: "app",
            servers: [
                UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: 9001)),
                UpstreamServerConfig(
                    address: HostPort(host: "127.0.0.1", port: 9002),
                    weight: 5, maxConnections: 100, backup: true, slowStart: .seconds(30)
                ),
            ],
            balance: .sticky,
            hashKey: .header("X-User-Id"),
            sticky: StickyConfig(
                cookieName: "portico_server", fallback: .leastRequests, maxAge: .seconds(3600),
                path: "/app", secure: true, httpOnly: false, sameSite: "Strict"
            ),
            keepalive: KeepaliveConfig(maxIdlePerWorker: 16, idleTimeout: .seconds(20)),
            healthCheck: HealthCheckConfig(
                method: "GET", path: "/healthz?deep=1", host: "app.internal",
                interval: .seconds(7), timeout: .milliseconds(1500), expectStatus: 200...299,
                expectBody: "ok", healthyThreshold: 4, unhealthyThreshold: 6, startHealthy: false
            ),
            outlierDetection: OutlierDetectionConfig(
                enabled: false, consecutiveFailures: 7, statuses: [502, 503, 504],
                baseEjectionTime: .seconds(10), maxEjectionTime: .seconds(300), maxEjectedPercent: 0
            ),
            retries: RetryConfig(
                maxAttempts: 10, tryTimeout: .seconds(15), onStatuses: [502, 503],
                budgetPercent: 100, minRetriesPerSecond: 0, replayBufferBytes: 1_048_576
            ),
            queue: QueueConfig(size: 0, timeout: .seconds(3)),
            dnsRefresh: .seconds(120)
        )
        #expect(config.upstreams == [expected])
    }

    /// The group of the brief's YAML shape, as shipped in `examples/load-balancing.yaml`.
    @Test func shippedExampleDecodesItsFirstGroup() throws {
        let config = try ConfigLoader.load(path: ConfigExamplesTests.examplesDirectory + "/load-balancing.yaml")
        let app = try #require(config.upstreams.first { $0.name == "app" })
        #expect(app.balance == .weightedRoundRobin)
        #expect(app.servers.map(\.weight) == [1, 5, 1])
        #expect(app.servers.map(\.backup) == [false, false, true])
        #expect(app.healthCheck?.expectStatus == 200...399)
        #expect(app.retries.replayBufferBytes == 64 * 1024)
        #expect(config.upstreams.contains { $0.balance == .consistentHash && $0.hashKey == .cookie("session") })
        #expect(config.upstreams.contains { $0.balance == .sticky && $0.sticky.maxAge == .seconds(3600) })
    }

    /// Lines 1–6 of a document with one group `app`; a snippet extends the group.
    static func group(_ lines: String = "") -> String {
        """
        listeners: [{ address: ":8080" }]
        routes: [{ upstream: app }]
        upstreams:
          - name: app
            servers:
              - "127.0.0.1:9001"
        \(lines)
        """
    }

    static func decodeGroup(_ lines: String) throws -> UpstreamGroupConfig {
        let config = try ConfigLoader.parse(yaml: group(lines), file: "g.yaml")
        return try #require(config.upstreams.first)
    }

    static let server = UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: 9001))

    @Test func omittedKeysTakeTheModelDefaults() throws {
        #expect(try Self.decodeGroup("") == UpstreamGroupConfig(name: "app", servers: [Self.server]))
        #expect(try Self.decodeGroup("      - address: 127.0.0.1:9002").servers.last
            == UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: 9002), weight: 1, maxConnections: nil, backup: false, slowStart: nil))
    }

    @Test func emptySectionsTakeTheDefaultsAndAnEmptyHealthCheckEnablesProbes() throws {
        let group = try Self.decodeGroup("""
                sticky:
                health_check:
                outlier_detection:
                retries:
                queue:
            """)
        #expect(group == UpstreamGroupConfig(name: "app", servers: [Self.server], healthCheck: HealthCheckConfig()))
        #expect(HealthCheckConfig().expectStatus == 200...399)
    }

    @Test(arguments: [
        ("200", 200...200), ("\"200\"", 200...200), ("2xx", 200...299), ("5XX", 500...599), ("1xx", 100...199),
        ("200-399", 200...399), ("\"200 - 204\"", 200...204), ("100-599", 100...599), ("404-404", 404...404),
    ] as [(String, ClosedRange<Int>)])
    func expectStatusForms(text: String, expected: ClosedRange<Int>) throws {
        let group = try Self.decodeGroup("    health_check: { expect_status: \(text) }")
        #expect(group.healthCheck?.expectStatus == expected)
    }

    @Test(arguments: [
        ("client_ip", HashKeySource.clientIP), ("path", .path),
        ("\"header:X-User-Id\"", .header("X-User-Id")), ("header:X-User-Id", .header("X-User-Id")),
        ("\"cookie:session\"", .cookie("session")), ("cookie:__Host-id", .cookie("__Host-id")),
    ] as [(String, HashKeySource)])
    func hashKeyForms(text: String, expected: HashKeySource) throws {
        let group = try Self.decodeGroup("    balance: consistent_hash\n    hash_key: \(text)")
        #expect(group.hashKey == expected)
    }

    @Test(arguments: [
        ("off", nil), ("\"off\"", nil), ("false", nil), ("30s", Duration.seconds(30)), ("250ms", .milliseconds(250)),
    ] as [(String, Duration?)])
    func retriesTimeoutTakesOff(text: String, expected: Duration?) throws {
        #expect(try Self.decodeGroup("    retries: { timeout: \(text) }").retries.tryTimeout == expected)
    }

    @Test(arguments: [
        ("off", nil), ("\"off\"", nil), ("false", nil), ("Lax", "Lax"), ("Strict", "Strict"),
    ] as [(String, String?)])
    func sameSiteForms(text: String, expected: String?) throws {
        #expect(try Self.decodeGroup("    sticky: { same_site: \(text) }").sticky.sameSite == expected)
        #expect(try Self.decodeGroup("    sticky: { same_site: None, secure: true }").sticky.sameSite == "None")
    }

    @Test(arguments: ["app.internal", "app.internal:8080", "10.0.0.1", "[::1]", "[::1]:8080"])
    func healthCheckHostForms(host: String) throws {
        #expect(try Self.decodeGroup("    health_check: { host: \"\(host)\" }").healthCheck?.host == host)
    }

    @Test func smallValueForms() throws {
        #expect(try Self.decodeGroup("    retries: { replay_buffer: 0 }").retries.replayBufferBytes == 0)
        #expect(try Self.decodeGroup("    retries: { on_status: 503 }").retries.onStatuses == [503])
        #expect(try Self.decodeGroup("    retries: { on_status: [] }").retries.onStatuses == [])
        #expect(try Self.decodeGroup("    outlier_detection: { statuses: [500, 502] }").outlierDetection.statuses == [500, 502])
        #expect(try Self.decodeGroup("    outlier_detection: { base_ejection_time: 5m, max_ejection_time: 5m }").outlierDetection.maxEjectionTime == .seconds(300))
        #expect(try Self.decodeGroup("    health_check: { method: HEAD }").healthCheck?.method == "HEAD")
        #expect(try Self.decodeGroup("    sticky: { cookie: __Host-s, secure: true }").sticky.cookieName == "__Host-s")
    }

    /// `hash_key` and `sticky` are validated but have no effect under other policies;
    /// there is no warning severity, so they are accepted (and documented as ignored).
    @Test func settingsForOtherPoliciesAreKeptButIgnored() throws {
        let group = try Self.decodeGroup("    balance: least_requests\n    hash_key: path\n    sticky: { cookie: s }")
        #expect(group.balance == .leastRequests)
        #expect(group.hashKey == .path)
        #expect(group.sticky.cookieName == "s")
    }

    @Test func backupServersAreFineWithOnePrimary() throws {
        let group = try Self.decodeGroup("      - { address: \"127.0.0.1:9002\", backup: true }")
        #expect(group.servers.map(\.backup) == [false, true])
    }
}
