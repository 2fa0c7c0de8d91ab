import PorticoCore
import Testing

/// Decoding and diagnostics of `upstreams[].tls`, `protocol` and `https://` servers.
/// Certificate-file checks that need real certificates (key mismatch, a valid CA) are
/// in `UpstreamTLSConfigFileTests` (PorticoProxyTests, which can make certificates).
@Suite("Config upstream TLS and protocol")
struct ConfigUpstreamTLSTests {
    typealias Case = ConfigDiagnosticsTests.Case

    static func group(_ lines: String) -> String { ConfigBalancingTests.group(lines) }

    /// A group whose only server is `server` (line 6), with `lines` from line 7.
    static func group(server: String, _ lines: String = "") -> String {
        """
        listeners: [{ address: ":8080" }]
        routes: [{ upstream: app }]
        upstreams:
          - name: app
            servers:
              - "\(server)"
        \(lines)
        """
    }

    @Test func httpsServerTurnsTLSOnWithPort443ByDefault() throws {
        let config = try ConfigLoader.parse(yaml: Self.group(server: "https://api.internal"), file: "t.yaml")
        let group = try #require(config.upstreams.first)
        #expect(group.servers[0].address == HostPort(host: "api.internal", port: 443))
        #expect(group.servers[0].tls)
        #expect(group.tls == nil)
        #expect(group.tlsSettings(for: group.servers[0]) == UpstreamTLSConfig())
        #expect(group.upstreamProtocol == .http1)
    }

    @Test func plainServersStayPlainWithoutGroupTLS() throws {
        let config = try ConfigLoader.parse(yaml: Self.group(server: "http://a:8080"), file: "t.yaml")
        let group = try #require(config.upstreams.first)
        #expect(!group.servers[0].tls)
        #expect(group.tlsSettings(for: group.servers[0]) == nil)
    }

    @Test func groupTLSAppliesToBareServersAndProtocolDecodes() throws {
        let yaml = Self.group("    tls: { server_name: API.Internal, verify: false }\n    protocol: h2")
        let group = try #require(try ConfigLoader.parse(yaml: yaml, file: "t.yaml").upstreams.first)
        #expect(group.tls == UpstreamTLSConfig(serverName: "api.internal", verify: false))
        #expect(group.tlsSettings(for: group.servers[0])?.verify == false)
        #expect(group.upstreamProtocol == .h2)
    }

    @Test func emptyTLSSectionMeansDefaults() throws {
        let group = try #require(try ConfigLoader.parse(yaml: Self.group("    tls: {}"), file: "t.yaml").upstreams.first)
        #expect(group.tls == UpstreamTLSConfig())
    }

    static let cases: [Case] = [
        Case(group("    tls: { verfy: false }"), line: 7, path: "upstreams[0].tls.verfy", "did you mean \"verify\"?"),
        Case(group("    tls: { verify: \"no\" }"), line: 7, path: "upstreams[0].tls.verify", "expected true or false"),
        Case(group("    tls: { ca: /nonexistent/portico-ca.pem }"), line: 7, path: "upstreams[0].tls.ca", "cannot read the certificate file \"/nonexistent/portico-ca.pem\": No such file or directory"),
        Case(group("    tls: { ca: \"\" }"), line: 7, path: "upstreams[0].tls.ca", "ca must not be empty"),
        Case(group("    tls: { ca: /etc/passwd }"), line: 7, path: "upstreams[0].tls.ca", "holds no PEM certificate"),
        Case(group("    tls: { server_name: \"a b\" }"), line: 7, path: "upstreams[0].tls.server_name", "invalid server_name"),
        Case(group("    tls: { client_certificate: { cert: /nonexistent/c.pem } }"), line: 7, path: "upstreams[0].tls.client_certificate", "missing required key \"key\""),
        Case(group("    tls: { client_certificate: { cert: /nonexistent/c.pem, key: /etc/passwd } }"), line: 7, path: "upstreams[0].tls.client_certificate.cert", "cannot read the certificate file"),
        Case(group("    tls: [a]"), line: 7, path: "upstreams[0].tls", "expected a mapping, found a sequence"),
        Case(group("    protocol: http2"), line: 7, path: "upstreams[0].protocol", "unknown protocol \"http2\""),
        Case(group(server: "http://a:80", "    tls: {}"), line: 6, path: "upstreams[0].servers[0]", "is written http:// but the group has tls:"),
        Case(group(server: "ftp://a:21"), line: 6, path: "upstreams[0].servers[0]", "unsupported scheme \"ftp\" (only http:// and https:// are supported)"),
        Case(group(server: "https://a/path"), line: 6, path: "upstreams[0].servers[0]", "a path, query or fragment is not allowed"),
    ]

    @Test(arguments: cases)
    func badSnippetReportsOneDiagnostic(_ testCase: Case) {
        ConfigDiagnosticsTests.expectOneDiagnostic(testCase)
    }

    @Test func quickFormAcceptsHTTPS() throws {
        let config = try PorticoConfig.quick(listen: ":8080", upstreams: ["https://api.internal:8443"])
        #expect(config.upstreams[0].servers[0].tls)
    }
}
