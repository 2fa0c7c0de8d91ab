import PorticoCore
import Testing

/// Bad load-balancing, health, retry and queue settings: one precise diagnostic each.
@Suite("Config load balancing diagnostics")
struct ConfigBalancingDiagnosticsTests {
    typealias Case = ConfigDiagnosticsTests.Case

    /// `ConfigBalancingTests.group`: the group `app` is on line 4, its first server on
    /// line 6, and snippet lines start at line 7.
    static func group(_ lines: String) -> String { ConfigBalancingTests.group(lines) }

    static let cases: [Case] = [
        // Group keys and policies.
        Case(group("    helth_check: {}"), line: 7, path: "upstreams[0].helth_check", "unknown key \"helth_check\" (did you mean \"health_check\"?)"),
        Case(group("    balance: weighted_round_robbin"), line: 7, path: "upstreams[0].balance", "did you mean \"weighted_round_robin\"?"),
        Case(group("    balance: random"), line: 7, path: "upstreams[0].balance", "expected one of: round_robin, weighted_round_robin, least_requests, power_of_two_choices, consistent_hash, sticky"),
        Case(group("    dns_refresh: 0"), line: 7, path: "upstreams[0].dns_refresh", "duration must be greater than 0"),
        Case(group("    dns_refresh: often"), line: 7, path: "upstreams[0].dns_refresh", "invalid duration \"often\""),
        // hash_key.
        Case(group("    hash_key: \"header:\""), line: 7, path: "upstreams[0].hash_key", "hash_key \"header:\" needs a header name after \"header:\""),
        Case(group("    hash_key: \"cookie:\""), line: 7, path: "upstreams[0].hash_key", "needs a cookie name after \"cookie:\""),
        Case(group("    hash_key: \"cookie:a b\""), line: 7, path: "upstreams[0].hash_key", "invalid cookie name \"a b\""),
        Case(group("    hash_key: \"header:X Y\""), line: 7, path: "upstreams[0].hash_key", "invalid header name \"X Y\""),
        Case(group("    hash_key: client-ip"), line: 7, path: "upstreams[0].hash_key", "unknown hash_key \"client-ip\" (did you mean \"client_ip\"?)"),
        Case(group("    hash_key: heder:X-Id"), line: 7, path: "upstreams[0].hash_key", "(did you mean \"header:X-Id\"?)"),
        Case(group("    hash_key: query"), line: 7, path: "upstreams[0].hash_key", "(expected client_ip, path, \"header:NAME\" or \"cookie:NAME\")"),
        Case(group("    hash_key: [path]"), line: 7, path: "upstreams[0].hash_key", "expected a string, found a sequence"),
        // sticky.
        Case(group("    sticky: { cookei: s }"), line: 7, path: "upstreams[0].sticky.cookei", "did you mean \"cookie\"?"),
        Case(group("    sticky: { cookie: \"a;b\" }"), line: 7, path: "upstreams[0].sticky.cookie", "invalid cookie name \"a;b\""),
        Case(group("    sticky: { fallback: consistent_hash }"), line: 7, path: "upstreams[0].sticky.fallback", "consistent_hash cannot be a sticky fallback (expected one of: round_robin, weighted_round_robin, least_requests, power_of_two_choices)"),
        Case(group("    sticky: { fallback: round_robn }"), line: 7, path: "upstreams[0].sticky.fallback", "did you mean \"round_robin\"?"),
        Case(group("    sticky: { max_age: 0 }"), line: 7, path: "upstreams[0].sticky.max_age", "duration must be greater than 0"),
        Case(group("    sticky: { max_age: 1500ms }"), line: 7, path: "upstreams[0].sticky.max_age", "whole number of seconds"),
        Case(group("    sticky: { path: app }"), line: 7, path: "upstreams[0].sticky.path", "cookie path must start with \"/\""),
        Case(group("    sticky: { path: \"/a;b\" }"), line: 7, path: "upstreams[0].sticky.path", "must not contain \";\""),
        Case(group("    sticky: { same_site: lax }"), line: 7, path: "upstreams[0].sticky.same_site", "unknown same_site value \"lax\" (did you mean \"Lax\"?)"),
        Case(group("    sticky: { same_site: true }"), line: 7, path: "upstreams[0].sticky.same_site", "expected one of: Lax, Strict, None, off"),
        Case(group("    sticky: { same_site: None }"), line: 7, path: "upstreams[0].sticky.same_site", "same_site None requires secure: true"),
        Case(group("    sticky: { cookie: __Secure-s }"), line: 7, path: "upstreams[0].sticky.cookie", "requires secure: true"),
        Case(group("    sticky: { cookie: __Host-s, secure: true, path: /app }"), line: 7, path: "upstreams[0].sticky.cookie", "requires path: /"),
        Case(group("    sticky: { secure: \"yes\" }"), line: 7, path: "upstreams[0].sticky.secure", "expected true or false"),
        Case(group("    sticky: on"), line: 7, path: "upstreams[0].sticky", "expected a mapping"),
        // Servers.
        Case(group("      - address: 127.0.0.1:9002\n        weight: 0"), line: 8, path: "upstreams[0].servers[1].weight", "weight must be between 1 and 1000, found 0"),
        Case(group("      - { address: 127.0.0.1:9002, weight: 1001 }"), line: 7, path: "upstreams[0].servers[1].weight", "weight must be between 1 and 1000, found 1001"),
        Case(group("      - { address: 127.0.0.1:9002, weight: heavy }"), line: 7, path: "upstreams[0].servers[1].weight", "expected an integer, found \"heavy\""),
        Case(group("      - { address: 127.0.0.1:9002, max_connections: 0 }"), line: 7, path: "upstreams[0].servers[1].max_connections", "max_connections must be at least 1, found 0"),
        Case(group("      - { address: 127.0.0.1:9002, backup: 1 }"), line: 7, path: "upstreams[0].servers[1].backup", "expected true or false"),
        Case(group("      - { address: 127.0.0.1:9002, slow_start: 0s }"), line: 7, path: "upstreams[0].servers[1].slow_start", "duration must be greater than 0"),
        Case(group("      - { address: 127.0.0.1:9002, wieght: 2 }"), line: 7, path: "upstreams[0].servers[1].wieght", "did you mean \"weight\"?"),
        Case(group("      - { weight: 2 }"), line: 7, path: "upstreams[0].servers[1]", "missing required key \"address\" in server"),
        Case(group("      - address: \"http://127.0.0.1:9001/\""), line: 7, path: "upstreams[0].servers[1].address", "duplicate server \"127.0.0.1:9001\" (first defined at line 6)"),
        Case(group("      - \"127.0.0.1:9001\""), line: 7, path: "upstreams[0].servers[1]", "duplicate server \"127.0.0.1:9001\" (first defined at line 6)"),
        Case(group("").replacingOccurrences("- \"127.0.0.1:9001\"", "- { address: \"127.0.0.1:9001\", backup: true }"),
             line: 6, path: "upstreams[0].servers", "at least one server must not be a backup"),
        // Health checks.
        Case(group("    health_check: 5s"), line: 7, path: "upstreams[0].health_check", "expected a mapping, found \"5s\""),
        Case(group("    health_check:\n      path: healthz"), line: 8, path: "upstreams[0].health_check.path", "path must start with \"/\", found \"healthz\""),
        Case(group("    health_check: { path: \"/a b\" }"), line: 7, path: "upstreams[0].health_check.path", "must not contain spaces"),
        Case(group("    health_check: { path: \"/a#b\" }"), line: 7, path: "upstreams[0].health_check.path", "must not contain \"#\""),
        Case(group("    health_check: { method: \"G T\" }"), line: 7, path: "upstreams[0].health_check.method", "invalid method \"G T\""),
        Case(group("    health_check: { host: \"a b\" }"), line: 7, path: "upstreams[0].health_check.host", "invalid host \"a b\""),
        Case(group("    health_check: { host: \"\" }"), line: 7, path: "upstreams[0].health_check.host", "host must not be empty"),
        Case(group("    health_check: { interval: 0s }"), line: 7, path: "upstreams[0].health_check.interval", "duration must be greater than 0"),
        Case(group("    health_check: { timeout: soon }"), line: 7, path: "upstreams[0].health_check.timeout", "invalid duration \"soon\""),
        Case(group("    health_check: { expect_status: 600 }"), line: 7, path: "upstreams[0].health_check.expect_status", "status 600 is out of range (100 to 599)"),
        Case(group("    health_check: { expect_status: 2xx-3xx }"), line: 7, path: "upstreams[0].health_check.expect_status", "invalid status range \"2xx-3xx\""),
        Case(group("    health_check: { expect_status: abc }"), line: 7, path: "upstreams[0].health_check.expect_status", "invalid status range \"abc\" (use a status such as 200"),
        Case(group("    health_check: { expect_status: 6xx }"), line: 7, path: "upstreams[0].health_check.expect_status", "status class \"6xx\" is out of range"),
        Case(group("    health_check: { expect_status: 399-200 }"), line: 7, path: "upstreams[0].health_check.expect_status", "is reversed (write 200-399)"),
        Case(group("    health_check: { expect_status: 200-300-400 }"), line: 7, path: "upstreams[0].health_check.expect_status", "invalid status range"),
        Case(group("    health_check: { expect_status: \"-200\" }"), line: 7, path: "upstreams[0].health_check.expect_status", "invalid status range"),
        Case(group("    health_check: { expect_body: \"\" }"), line: 7, path: "upstreams[0].health_check.expect_body", "expect_body must not be empty"),
        Case(group("    health_check: { method: HEAD, expect_body: ok }"), line: 7, path: "upstreams[0].health_check.expect_body", "method HEAD"),
        Case(group("    health_check: { healthy_threshold: 0 }"), line: 7, path: "upstreams[0].health_check.healthy_threshold", "healthy_threshold must be at least 1, found 0"),
        Case(group("    health_check: { unhealthy_threshold: 0 }"), line: 7, path: "upstreams[0].health_check.unhealthy_threshold", "unhealthy_threshold must be at least 1, found 0"),
        Case(group("    health_check: { start_healthy: maybe }"), line: 7, path: "upstreams[0].health_check.start_healthy", "expected true or false"),
        // Outlier detection.
        Case(group("    outlier_detection: { enabled: \"no\" }"), line: 7, path: "upstreams[0].outlier_detection.enabled", "expected true or false"),
        Case(group("    outlier_detection: { consecutive_failures: 0 }"), line: 7, path: "upstreams[0].outlier_detection.consecutive_failures", "consecutive_failures must be at least 1, found 0"),
        Case(group("    outlier_detection: { statuses: [502, 600] }"), line: 7, path: "upstreams[0].outlier_detection.statuses[1]", "status must be between 100 and 599, found 600"),
        Case(group("    outlier_detection: { statuses: [502, 502] }"), line: 7, path: "upstreams[0].outlier_detection.statuses[1]", "duplicate status 502"),
        Case(group("    outlier_detection: { statuses: { a: 1 } }"), line: 7, path: "upstreams[0].outlier_detection.statuses", "expected a sequence, found a mapping"),
        Case(group("    outlier_detection: { max_ejected_percent: 101 }"), line: 7, path: "upstreams[0].outlier_detection.max_ejected_percent", "max_ejected_percent must be between 0 and 100, found 101"),
        Case(group("    outlier_detection:\n      base_ejection_time: 30s\n      max_ejection_time: 10s"), line: 9, path: "upstreams[0].outlier_detection.max_ejection_time",
             "max_ejection_time must be at least base_ejection_time (30s), found 10s"),
        Case(group("    outlier_detection: { max_ejection_time: 10s }"), line: 7, path: "upstreams[0].outlier_detection.max_ejection_time",
             "max_ejection_time must be at least the default base_ejection_time (30s), found 10s"),
        Case(group("    outlier_detection: { base_ejection_time: 10m, max_ejection_time: soon }"), line: 7, path: "upstreams[0].outlier_detection.max_ejection_time", "invalid duration \"soon\""),
        Case(group("    sticky: { same_site: None, secure: \"yes\" }"), line: 7, path: "upstreams[0].sticky.secure", "expected true or false"),
        Case(group("    outlier_detection: { base_ejection_time: 10m }"), line: 7, path: "upstreams[0].outlier_detection.base_ejection_time",
             "base_ejection_time must be at most the default max_ejection_time (5m), found 10m"),
        // Retries.
        Case(group("    retries: { attempt: 3 }"), line: 7, path: "upstreams[0].retries.attempt", "did you mean \"attempts\"?"),
        Case(group("    retries: { attempts: 0 }"), line: 7, path: "upstreams[0].retries.attempts", "attempts must be between 1 and 10, found 0"),
        Case(group("    retries: { attempts: 11 }"), line: 7, path: "upstreams[0].retries.attempts", "attempts must be between 1 and 10, found 11"),
        Case(group("    retries: { timeout: 0 }"), line: 7, path: "upstreams[0].retries.timeout", "duration must be greater than 0 (use off for no limit)"),
        Case(group("    retries: { timeout: true }"), line: 7, path: "upstreams[0].retries.timeout", "expected a duration or off, found \"true\""),
        Case(group("    retries: { timeout: forever }"), line: 7, path: "upstreams[0].retries.timeout", "invalid duration \"forever\""),
        Case(group("    retries: { on_status: [99] }"), line: 7, path: "upstreams[0].retries.on_status[0]", "status must be between 100 and 599, found 99"),
        Case(group("    retries: { budget_percent: 101 }"), line: 7, path: "upstreams[0].retries.budget_percent", "budget_percent must be between 0 and 100, found 101"),
        Case(group("    retries: { min_per_second: -1 }"), line: 7, path: "upstreams[0].retries.min_per_second", "min_per_second must be at least 0, found -1"),
        Case(group("    retries: { replay_buffer: 64XB }"), line: 7, path: "upstreams[0].retries.replay_buffer", "invalid size \"64XB\""),
        // Queue.
        Case(group("    queue: { size: -1 }"), line: 7, path: "upstreams[0].queue.size", "queue size must be at least 0, found -1"),
        Case(group("    queue: { timeout: 0ms }"), line: 7, path: "upstreams[0].queue.timeout", "duration must be greater than 0"),
        Case(group("    queue: { sise: 1 }"), line: 7, path: "upstreams[0].queue.sise", "did you mean \"size\"?"),
    ]

    @Test(arguments: cases)
    func badSnippetReportsOneDiagnostic(_ testCase: Case) {
        ConfigDiagnosticsTests.expectOneDiagnostic(testCase)
    }

    @Test func theBriefsExampleMessageIsExact() {
        let yaml = Self.group("      - address: 127.0.0.1:9002\n        weight: 0")
        #expect(ConfigDiagnosticsTests.diagnostics(yaml).map(\.description) == [
            "test.yaml:8:17: upstreams[0].servers[1].weight: weight must be between 1 and 1000, found 0",
        ])
    }

    @Test func everyProblemInAGroupIsReportedAtOnce() {
        let yaml = Self.group("""
                  - { address: "127.0.0.1:9001", weight: 0 }
                balance: sticky
                sticky: { fallback: sticky }
                health_check: { expect_status: 2xx-3xx, interval: 0s }
                outlier_detection: { statuses: [700] }
                retries: { attempts: 20, timeout: "yes" }
                queue: { size: many }
            """)
        let diagnostics = ConfigDiagnosticsTests.diagnostics(yaml)
        #expect(diagnostics.map(\.path) == [
            "upstreams[0].servers[1].address",
            "upstreams[0].servers[1].weight",
            "upstreams[0].sticky.fallback",
            "upstreams[0].health_check.expect_status",
            "upstreams[0].health_check.interval",
            "upstreams[0].outlier_detection.statuses[0]",
            "upstreams[0].retries.attempts",
            "upstreams[0].retries.timeout",
            "upstreams[0].queue.size",
        ], "\(diagnostics.map(\.description))")
        #expect(diagnostics.map(\.line) == [7, 7, 9, 10, 10, 11, 12, 12, 13])
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
