import PorticoCore
import Testing

/// `timeouts.tunnel_idle`: the idle timeout of Upgrade (WebSocket) tunnels.
@Suite("Config tunnel timeout")
struct ConfigTunnelTests {
    typealias Case = ConfigDiagnosticsTests.Case

    @Test func defaultsToOneHour() throws {
        let config = try ConfigLoader.parse(yaml: ConfigDiagnosticsTests.base, file: "t.yaml")
        #expect(config.timeouts.tunnelIdle == .seconds(3600))
        #expect(TimeoutsConfig().tunnelIdle == .seconds(3600))
    }

    @Test func isRead() throws {
        let config = try ConfigLoader.parse(yaml: ConfigDiagnosticsTests.base + "timeouts:\n  tunnel_idle: 15m\n", file: "t.yaml")
        #expect(config.timeouts.tunnelIdle == .seconds(900))
    }

    static let cases: [Case] = [
        Case(ConfigDiagnosticsTests.base + "timeouts:\n  tunnel_idle: 0s\n", line: 7, path: "timeouts.tunnel_idle", "must be greater than 0"),
        Case(ConfigDiagnosticsTests.base + "timeouts:\n  tunnel_idle: forever\n", line: 7, path: "timeouts.tunnel_idle", "invalid duration \"forever\""),
        Case(ConfigDiagnosticsTests.base + "timeouts:\n  tunnel_idel: 1h\n", line: 7, path: "timeouts.tunnel_idel", "did you mean \"tunnel_idle\"?"),
    ]

    @Test(arguments: cases)
    func badValueReportsOneDiagnostic(_ testCase: Case) {
        ConfigDiagnosticsTests.expectOneDiagnostic(testCase)
    }
}
