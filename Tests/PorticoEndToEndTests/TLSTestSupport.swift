import Foundation
import PorticoCore
import PorticoServer
import PorticoTesting
import Testing

/// Certificates for one TLS test, written to a fresh directory (removed by `remove()`).
struct TLSTestFiles {
    let directory: URL
    let authority: TestCertificateAuthority

    init() throws {
        self.directory = try makeTemporaryDirectory()
        self.authority = try TestCertificateAuthority()
    }

    /// Issues a server certificate for `names` and writes `<file>.crt`/`.key`.
    func server(_ file: String, names: [String], commonName: String? = nil) throws -> ListenerTLSConfig.Certificate {
        let paths = try self.authority.issue(commonName: commonName, dnsNames: names).write(to: self.directory, name: file)
        return ListenerTLSConfig.Certificate(certificatePath: paths.certificate, keyPath: paths.key)
    }

    /// Writes the CA certificate (a `client_auth.ca` file) and returns its path.
    func authorityFile(_ name: String = "ca") throws -> String {
        let path = self.directory.appendingPathComponent("\(name).pem").path
        try self.authority.certificatePEM.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func remove() {
        try? FileManager.default.removeItem(at: self.directory)
    }
}

/// A TLS listener offering only HTTP/1.1 (these tests speak HTTP/1.1 through `TLSTestClient`;
/// HTTP2OverTLSTests covers `h2` by ALPN).
func tlsListener(
    _ certificates: [ListenerTLSConfig.Certificate],
    name: String = "test",
    configure: (inout ListenerTLSConfig) -> Void = { _ in }
) -> ListenerConfig {
    var tls = ListenerTLSConfig(certificates: certificates, alpn: ["http/1.1"])
    configure(&tls)
    var listener = ListenerConfig(name: name, address: HostPort(host: "127.0.0.1", port: 0))
    listener.tls = tls
    return listener
}

/// Whether the server refuses this TLS client: the handshake fails, or (TLS 1.3, where a
/// refused client certificate is only reported after the client's side of the handshake
/// is done) the first request finds the connection closed.
func tlsRefuses(port: Int, options: TLSTestClient.Options) async -> Bool {
    let client: TLSTestClient
    do {
        client = try await TLSTestClient.connect(port: port, options: options)
    } catch {
        return true
    }
    defer { Task { await client.close() } }
    do {
        let response = try await client.roundTrip("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n")
        Issue.record("expected a refusal, got \(response.status)")
        return false
    } catch {
        return true
    }
}
