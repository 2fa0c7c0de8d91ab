import Foundation
import PorticoCore
import PorticoTesting
import Testing

@testable import PorticoProxy

/// `upstreams[].tls` certificate files with real certificates: a valid CA and client
/// certificate decode (and compile into an `NIOSSLContext`); a key that belongs to
/// another certificate is a diagnostic at `client_certificate.key`.
@Suite("Upstream TLS config files")
struct UpstreamTLSConfigFileTests {
    static func yaml(_ tls: String) -> String {
        """
        listeners: [{ address: ":8080" }]
        routes: [{ upstream: app }]
        upstreams:
          - name: app
            servers: ["https://127.0.0.1:9443"]
            tls: \(tls)
        """
    }

    @Test func validFilesDecodeAndCompile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let authority = try TestCertificateAuthority()
        let caPath = directory.appendingPathComponent("ca.pem").path
        try authority.certificatePEM.write(toFile: caPath, atomically: true, encoding: .utf8)
        let client = try authority.issue(commonName: "portico", clientAuth: true).write(to: directory, name: "client")
        let config = try ConfigLoader.parse(
            yaml: Self.yaml("{ ca: \(caPath), client_certificate: { cert: \(client.certificate), key: \(client.key) } }"), file: "t.yaml"
        )
        let group = try #require(config.upstreams.first)
        #expect(group.tls?.caFile == caPath)
        #expect(group.tls?.clientCertificate == UpstreamClientCertificateConfig(certificateFile: client.certificate, keyFile: client.key))
        let transport = try UpstreamTransport(group: group, logger: .init(label: "test"))
        #expect(transport.tlsContext != nil)
        #expect(transport.usesTLS(group.servers[0]))
        #expect(UpstreamTransport.verificationName(tls: group.tls!, server: group.servers[0]) == nil)
    }

    @Test func keyOfAnotherCertificateIsReportedAtTheKey() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let authority = try TestCertificateAuthority()
        let client = try authority.issue(commonName: "a", clientAuth: true).write(to: directory, name: "a")
        let other = try authority.issue(commonName: "b", clientAuth: true).write(to: directory, name: "b")
        let yaml = Self.yaml("{ client_certificate: { cert: \(client.certificate), key: \(other.key) } }")
        #expect {
            try ConfigLoader.parse(yaml: yaml, file: "t.yaml")
        } throws: { error in
            guard let diagnostics = (error as? ConfigError)?.diagnostics, diagnostics.count == 1 else { return false }
            return diagnostics[0].path == "upstreams[0].tls.client_certificate.key"
                && diagnostics[0].message.contains("does not belong to the certificate")
        }
    }

    @Test func keyFileWithoutAKeyIsReported() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let authority = try TestCertificateAuthority()
        let client = try authority.issue(commonName: "a", clientAuth: true).write(to: directory, name: "a")
        let yaml = Self.yaml("{ client_certificate: { cert: \(client.certificate), key: \(client.certificate) } }")
        #expect {
            try ConfigLoader.parse(yaml: yaml, file: "t.yaml")
        } throws: { error in
            (error as? ConfigError)?.diagnostics.first?.message.contains("holds no PEM private key") == true
        }
    }

    @Test func verificationNameDefaultsToTheConfiguredHostName() {
        let server = UpstreamServerConfig(address: HostPort(host: "api.internal", port: 443), tls: true)
        #expect(UpstreamTransport.verificationName(tls: UpstreamTLSConfig(), server: server) == "api.internal")
        #expect(UpstreamTransport.verificationName(tls: UpstreamTLSConfig(serverName: "x.test"), server: server) == "x.test")
    }
}
