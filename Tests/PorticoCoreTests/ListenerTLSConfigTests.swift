import Foundation
import PorticoCore
import PorticoTesting
import Testing

/// Certificate files for the TLS configuration tests, written once per test process.
struct TLSConfigFiles: Sendable {
    let directory: URL
    let certificate: String
    let key: String
    let otherKey: String
    let expired: (certificate: String, key: String)
    let notYetValid: (certificate: String, key: String)
    let empty: String
    let authority: String

    static let shared: TLSConfigFiles = {
        do { return try TLSConfigFiles() } catch { fatalError("cannot write test certificates: \(error)") }
    }()

    init() throws {
        let directory = try makeTemporaryDirectory(prefix: "portico-tls-config")
        let ca = try TestCertificateAuthority()
        let good = try ca.issue(dnsNames: ["a.test", "*.wild.test"]).write(to: directory, name: "good")
        let other = try ca.issue(dnsNames: ["b.test"]).write(to: directory, name: "other")
        self.directory = directory
        self.certificate = good.certificate
        self.key = good.key
        self.otherKey = other.key
        self.expired = try ca.issue(dnsNames: ["old.test"], notValidBefore: Date().addingTimeInterval(-7200), validFor: 3600)
            .write(to: directory, name: "expired")
        self.notYetValid = try ca.issue(dnsNames: ["new.test"], notValidBefore: Date().addingTimeInterval(86400))
            .write(to: directory, name: "future")
        self.empty = directory.appendingPathComponent("empty.pem").path
        try "".write(toFile: self.empty, atomically: true, encoding: .utf8)
        self.authority = directory.appendingPathComponent("ca.pem").path
        try ca.certificatePEM.write(toFile: self.authority, atomically: true, encoding: .utf8)
    }
}

@Suite("Listener TLS configuration")
struct ListenerTLSConfigTests {
    typealias Case = ConfigDiagnosticsTests.Case
    static var files: TLSConfigFiles { TLSConfigFiles.shared }

    /// A TLS listener whose certificate entry is on lines 5–6; `extra` lines start at line 7.
    static func listener(cert: String? = nil, key: String? = nil, extra: String = "") -> String {
        """
        listeners:
          - address: "127.0.0.1:8443"
            tls:
              certificates:
                - cert: "\(cert ?? files.certificate)"
                  key: "\(key ?? files.key)"
        \(extra)
        upstreams:
          - { name: api, servers: ["127.0.0.1:9001"] }
        routes: [{ upstream: api }]
        """
    }

    static let certPath = "listeners[0].tls.certificates[0].cert"
    static let keyPath = "listeners[0].tls.certificates[0].key"

    static var cases: [Case] {
        let files = Self.files
        return [
            // Certificate and key files.
            Case(listener(cert: "/nonexistent/portico.crt"), line: 5, path: certPath, "cannot read certificate file \"/nonexistent/portico.crt\": No such file or directory"),
            Case(listener(cert: files.empty), line: 5, path: certPath, "contains no PEM certificate"),
            Case(listener(key: "/nonexistent/portico.key"), line: 6, path: keyPath, "cannot read key file \"/nonexistent/portico.key\""),
            Case(listener(key: files.certificate), line: 6, path: keyPath, "contains no PEM private key"),
            Case(listener(key: files.otherKey), line: 6, path: keyPath, "does not match the certificate"),
            Case(listener(cert: files.expired.certificate, key: files.expired.key), line: 5, path: certPath, "expired on"),
            Case(listener(cert: files.notYetValid.certificate, key: files.notYetValid.key), line: 5, path: certPath, "is not valid before"),
            Case(listener(extra: "        - cert: \"\(files.certificate)\""), line: 7, path: "listeners[0].tls.certificates[1]", "missing required key \"key\" in certificate"),
            Case(listener(extra: "        - { cert: \"\(files.certificate)\", key: \"\(files.key)\", default: true }\n        - { cert: \"\(files.certificate)\", key: \"\(files.key)\", default: true }"),
                 line: 8, path: "listeners[0].tls.certificates[2]", "only one certificate may be the default"),
            // Protocol settings.
            Case(listener(extra: "      min_version: \"1.1\""), line: 7, path: "listeners[0].tls.min_version", "RFC 8996"),
            Case(listener(extra: "      min_version: \"2.0\""), line: 7, path: "listeners[0].tls.min_version", "unknown min_version \"2.0\""),
            Case(listener(extra: "      cipher_suites: [ECDHE-RSA-AES128-GCM-SHA256, RC4-MD5]"), line: 7, path: "listeners[0].tls.cipher_suites[1]", "unknown cipher suite \"RC4-MD5\""),
            Case(listener(extra: "      alpn: [h3]"), line: 7, path: "listeners[0].tls.alpn[0]", "unknown ALPN protocol \"h3\""),
            Case(listener(extra: "      alpn: []"), line: 7, path: "listeners[0].tls.alpn", "at least one ALPN protocol is required"),
            Case(listener(extra: "      cypher_suites: []"), line: 7, path: "listeners[0].tls.cypher_suites", "did you mean \"cipher_suites\"?"),
            // Client certificates.
            Case(listener(extra: "      client_auth: { mode: require }"), line: 7, path: "listeners[0].tls.client_auth", "missing required key \"ca\" in client_auth"),
            Case(listener(extra: "      client_auth: { ca: /nonexistent/ca.pem }"), line: 7, path: "listeners[0].tls.client_auth.ca", "cannot read CA file \"/nonexistent/ca.pem\""),
            Case(listener(extra: "      client_auth: { ca: \"\(files.empty)\" }"), line: 7, path: "listeners[0].tls.client_auth.ca", "contains no PEM certificate"),
            Case(listener(extra: "      client_auth: { ca: \"\(files.authority)\", mode: maybe }"), line: 7, path: "listeners[0].tls.client_auth.mode", "unknown client_auth mode \"maybe\""),
            Case(listener(extra: "      client_auth: { ca: \"\(files.authority)\", subject_header: \"X Subject\" }"), line: 7, path: "listeners[0].tls.client_auth.subject_header", "invalid header name"),
            // HSTS.
            Case(listener(extra: "      hsts: { max_age: forever }"), line: 7, path: "listeners[0].tls.hsts.max_age", "invalid duration \"forever\""),
            Case(listener(extra: "      hsts: { max_age: 1y, preload: true }"), line: 7, path: "listeners[0].tls.hsts.preload", "preload requires include_subdomains"),
            // Redirects.
            Case(listener(extra: "    redirect_https: true"), line: 7, path: "listeners[0].redirect_https", "already serves TLS"),
            Case(listener(extra: "    proxy_protocol: true"), line: 7, path: "listeners[0].proxy_protocol", "cannot be combined with tls"),
            Case(ConfigDiagnosticsTests.base + "timeouts: { tls_handshake: 0s }\n", line: 6, path: "timeouts.tls_handshake", "duration must be greater than 0"),
            Case("listeners: [{ address: \":80\", redirect_https: 0 }]\nroutes: [{ respond: { status: 200 } }]\n", line: 1, path: "listeners[0].redirect_https", "redirect_https port must be between 1 and 65535, found 0"),
            Case("listeners: [{ address: \":80\", redirect_https: yes please }]\nroutes: [{ respond: { status: 200 } }]\n", line: 1, path: "listeners[0].redirect_https", "expected true, false or a port number"),
            Case("listeners: [{ address: \":80\" }]\nroutes: [{ respond: { status: 200 }, redirect_https: \"https\" }]\n", line: 2, path: "routes[0].redirect_https", "expected true, false or a port number"),
        ]
    }

    @Test(arguments: cases)
    func badSnippetReportsOneDiagnostic(_ testCase: Case) {
        ConfigDiagnosticsTests.expectOneDiagnostic(testCase)
    }

    @Test func aFullTLSListenerDecodes() throws {
        let files = Self.files
        let yaml = """
            listeners:
              - address: "0.0.0.0:443"
                tls:
                  certificates:
                    - { cert: "\(files.certificate)", key: "\(files.key)" }
                    - { cert: "\(files.certificate)", key: "\(files.key)", default: true }
                  min_version: "1.3"
                  cipher_suites: [ECDHE-ECDSA-AES128-GCM-SHA256]
                  alpn: ["http/1.1"]
                  client_auth: { mode: request, ca: "\(files.authority)", subject_header: X-Client-Subject }
                  hsts: { max_age: 180d, include_subdomains: true }
              - address: "0.0.0.0:80"
                redirect_https: 8443
            routes:
              - respond: { status: 200 }
                redirect_https: true
            timeouts: { tls_handshake: 5s }
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
        let tls = try #require(config.listeners[0].tls)
        #expect(tls.certificates.count == 2)
        #expect(tls.defaultCertificateIndex == 1)
        #expect(tls.minimumVersion == .tls13)
        #expect(tls.cipherSuites == ["ECDHE-ECDSA-AES128-GCM-SHA256"])
        #expect(tls.alpn == ["http/1.1"])
        #expect(tls.clientAuth == ListenerTLSConfig.ClientAuth(mode: .request, caPath: files.authority, subjectHeader: "X-Client-Subject"))
        #expect(tls.hsts?.headerValue == "max-age=15552000; includeSubDomains")
        #expect(config.listeners[1].tls == nil)
        #expect(config.listeners[1].redirectHTTPS == .port(8443))
        #expect(config.routes[0].redirectHTTPS == .defaultPort)
        #expect(config.timeouts.tlsHandshake == .seconds(5))
        #expect(config.tlsFilePaths == [files.certificate, files.key, files.authority])
    }

    @Test func defaultsAreModern() throws {
        let config = try ConfigLoader.parse(yaml: Self.listener(), file: "test.yaml")
        let tls = try #require(config.listeners[0].tls)
        #expect(tls.minimumVersion == .tls12)
        #expect(tls.cipherSuites == nil)
        #expect(tls.alpn == ["h2", "http/1.1"])
        #expect(tls.clientAuth == nil && tls.hsts == nil)
        #expect(tls.defaultCertificateIndex == 0)
        #expect(config.timeouts.tlsHandshake == .seconds(10))
        #expect(ListenerTLSConfig.defaultCipherSuites.allSatisfy { $0.hasPrefix("ECDHE-") && ($0.contains("GCM") || $0.contains("CHACHA20")) })
        #expect(HSTSConfig(maxAge: 31_536_000, includeSubdomains: true, preload: true).headerValue == "max-age=31536000; includeSubDomains; preload")
    }

    @Test func certificateInspectionReportsNames() throws {
        let files = Self.files
        let inspected = try TLSCertificateFiles.inspect(certificatePath: files.certificate, keyPath: files.key).get()
        #expect(inspected.names == ["a.test", "*.wild.test"])
        // Without SANs the subject CN names the certificate (RFC 6125 §6.4.4).
        let ca = try TestCertificateAuthority()
        let legacy = try ca.issue(commonName: "legacy.test")
        #expect(TLSCertificateFiles.dnsNames(of: legacy.certificate) == ["legacy.test"])
        let client = try ca.issue(commonName: "client-7", clientAuth: true)
        #expect(TLSCertificateFiles.subject(derEncoded: try client.certificate.serializeAsPEM().derBytes) == "CN=client-7")
    }
}

@Suite("SNI certificate selection")
struct ServerNameTableTests {
    /// 0: a.test and b.test; 1: *.wild.test; 2: exact c.wild.test; 3: the default.
    let table = ServerNameTable(
        names: [["a.test", "B.Test"], ["*.wild.test"], ["c.wild.test", "a.test"], ["default.test"]],
        defaultIndex: 3
    )

    @Test func exactNamesAreCaseInsensitiveAndIgnoreATrailingDot() {
        #expect(table.index(for: "a.test") == 0)
        #expect(table.index(for: "b.test") == 0)
        #expect(table.index(for: "A.TEST.") == 0)
        #expect(table.index(for: "default.test") == 3)
    }

    @Test func aWildcardCoversExactlyOneLabel() {
        #expect(table.index(for: "x.wild.test") == 1)
        #expect(table.index(for: "X.Wild.Test") == 1)
        #expect(table.index(for: "a.b.wild.test") == 3)
        #expect(table.index(for: "wild.test") == 3)
        #expect(table.index(for: ".wild.test") == 3)
    }

    @Test func exactBeatsWildcardAndTheFirstCertificateWins() {
        #expect(table.index(for: "c.wild.test") == 2)
        #expect(table.index(for: "a.test") == 0)
    }

    @Test func noSNIOrNoMatchGetsTheDefault() {
        #expect(table.index(for: nil) == 3)
        #expect(table.index(for: "unknown.test") == 3)
        #expect(table.index(for: "") == 3)
    }

    @Test func partialWildcardsAreIgnored() {
        let odd = ServerNameTable(names: [["f*.example.test", "*.*.example.test", "*."]], defaultIndex: 0)
        #expect(odd.index(for: "foo.example.test") == 0)
        let two = ServerNameTable(names: [["x.test"], ["f*.example.test"]], defaultIndex: 0)
        #expect(two.index(for: "foo.example.test") == 0)
    }
}

@Suite("HTTPS redirect location")
struct HTTPSRedirectTests {
    @Test func locationKeepsHostAndTargetAndSetsThePort() {
        #expect(HTTPSRedirect.defaultPort.location(host: "example.test:8080", target: "/a/b?c=d") == "https://example.test/a/b?c=d")
        #expect(HTTPSRedirect.port(8443).location(host: "example.test", target: "/") == "https://example.test:8443/")
        #expect(HTTPSRedirect.port(443).location(host: "example.test", target: "/x") == "https://example.test/x")
        #expect(HTTPSRedirect.port(8443).location(host: "[::1]:80", target: "/x") == "https://[::1]:8443/x")
        #expect(HTTPSRedirect.defaultPort.location(host: "example.test.", target: "/x") == "https://example.test/x")
    }

    @Test func anInvalidHostHasNoLocation() {
        #expect(HTTPSRedirect.defaultPort.location(host: "", target: "/") == nil)
        #expect(HTTPSRedirect.defaultPort.location(host: "user@evil.test", target: "/") == nil)
        #expect(HTTPSRedirect.defaultPort.location(host: "a b", target: "/") == nil)
    }

    @Test func getAndHeadGet301OthersGet308() {
        #expect(HTTPSRedirect.status(method: "GET") == 301)
        #expect(HTTPSRedirect.status(method: "HEAD") == 301)
        #expect(HTTPSRedirect.status(method: "POST") == 308)
        #expect(HTTPSRedirect.status(method: "DELETE") == 308)
    }
}
