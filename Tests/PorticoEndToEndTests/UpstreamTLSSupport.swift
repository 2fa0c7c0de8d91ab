import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOSSL
import PorticoCore
import PorticoServer
import PorticoTesting

/// Certificates and helpers for the upstream TLS and HTTP/2 tests: a private CA, a
/// server certificate for `127.0.0.1` and `origin.test`, files for Portico's `ca:`.
struct UpstreamTLSMaterial {
    let directory: URL
    let authority: TestCertificateAuthority
    let caPath: String
    let server: TestCertificate

    init() throws {
        self.directory = try makeTemporaryDirectory(prefix: "portico-upstream-tls")
        self.authority = try TestCertificateAuthority(commonName: "Upstream Test CA")
        self.caPath = self.directory.appendingPathComponent("ca.pem").path
        try self.authority.certificatePEM.write(toFile: self.caPath, atomically: true, encoding: .utf8)
        self.server = try self.authority.issue(dnsNames: ["origin.test"], ipAddresses: ["127.0.0.1"])
    }

    /// A TLS server context for an origin, optionally requiring client certificates
    /// issued by this CA, with the given ALPN protocols.
    /// - Parameter dnsOnly: serve a certificate for `origin.test` only (no IP SAN):
    ///   NIOSSL also accepts a certificate whose IP SAN matches the connected address,
    ///   so name checks need a certificate without one.
    func serverContext(requireClientCertificate: Bool = false, alpn: [String] = [], dnsOnly: Bool = false) throws -> NIOSSLContext {
        let leaf = dnsOnly ? try self.authority.issue(dnsNames: ["origin.test"]) : self.server
        return try leaf.serverContext(alpn: alpn, clientAuthority: requireClientCertificate ? self.authority : nil)
    }

    /// Writes a client certificate (clientAuth) and key; returns their paths.
    func clientCertificateFiles() throws -> (certificate: String, key: String) {
        try self.authority.issue(commonName: "portico-client", clientAuth: true).write(to: self.directory, name: "client")
    }

    func remove() {
        try? FileManager.default.removeItem(at: self.directory)
    }
}

/// Keeps every log message (with its metadata) so tests can check what was logged.
final class CapturedLogs: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    var all: [String] { self.lines.withLockedValue { $0 } }

    func append(_ line: String) {
        self.lines.withLockedValue { $0.append(line) }
    }

    func logger() -> Logger {
        var logger = Logger(label: "portico-test") { _ in CapturingLogHandler(logs: self) }
        logger.logLevel = .info
        return logger
    }
}

struct CapturingLogHandler: LogHandler {
    let logs: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = self.metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        self.logs.append("\(event.level) \(event.message) \(fields)")
    }
}

/// Starts Portico with one listener, one group `origin` (built by the caller) and a
/// catch-all route to it, logging into `logs`.
func startProxy(
    group: UpstreamGroupConfig,
    logs: CapturedLogs = CapturedLogs(),
    configure: (inout PorticoConfig) -> Void = { _ in }
) async throws -> ProxyFixture {
    var config = PorticoConfig(
        listeners: [ListenerConfig(name: "test", address: HostPort(host: "127.0.0.1", port: 0))],
        upstreams: [group],
        routes: [RouteConfig(name: "default", action: .upstream("origin"))],
        workers: 2,
        accessLog: AccessLogConfig(destination: .off)
    )
    configure(&config)
    let server = try ProxyServer(config: config, logger: logs.logger())
    try await server.start()
    return ProxyFixture(server: server, port: server.listeningPorts[0])
}
