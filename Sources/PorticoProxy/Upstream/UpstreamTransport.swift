import Logging
import NIOCore
import NIOSSL
import PorticoCore

/// How connections to one upstream group's servers are made, compiled once per
/// configuration generation (in `RuntimeSnapshot.init`, off the data path): the HTTP
/// version, and for TLS servers the `NIOSSLContext` (trust roots, client certificate,
/// ALPN) that every worker shares. Building a context parses certificates and keys;
/// doing it per connection would put that on every connect.
final class UpstreamTransport: Sendable {
    let upstreamProtocol: UpstreamProtocol
    /// The context for servers that speak TLS (the group's `tls:`, or the defaults for
    /// `https://` servers), or nil when no server of the group does.
    let tlsContext: NIOSSLContext?
    let tls: UpstreamTLSConfig?
    /// The group has its own `tls:` (so plain `host:port` servers use TLS too).
    let groupHasTLS: Bool
    /// `keepalive.idle_timeout`: an HTTP/2 connection without streams this long closes.
    let idleTimeout: TimeAmount
    /// Where TLS handshake failures are logged (one line per failed connect).
    let logger: Logger

    /// Plain HTTP/1.1, for groups built without a compiled transport (tests).
    static let plain = UpstreamTransport(
        upstreamProtocol: .http1, tlsContext: nil, tls: nil, idleTimeout: .seconds(60), groupHasTLS: false, logger: Logger(label: "portico.upstream")
    )

    init(
        upstreamProtocol: UpstreamProtocol, tlsContext: NIOSSLContext?, tls: UpstreamTLSConfig?,
        idleTimeout: TimeAmount, groupHasTLS: Bool, logger: Logger
    ) {
        self.idleTimeout = idleTimeout
        self.upstreamProtocol = upstreamProtocol
        self.tlsContext = tlsContext
        self.tls = tls
        self.groupHasTLS = groupHasTLS
        self.logger = logger
    }

    /// Compiles `group`'s transport.
    /// - Throws: `NIOSSLError` when a CA, certificate or key file cannot be loaded (the
    ///   validator checked them, but a file can change between validation and start).
    convenience init(group: UpstreamGroupConfig, logger: Logger) throws {
        let tls = group.tls ?? (group.servers.contains(where: \.tls) ? UpstreamTLSConfig() : nil)
        var context: NIOSSLContext?
        if let tls {
            context = try NIOSSLContext(configuration: Self.tlsConfiguration(tls, protocol: group.upstreamProtocol))
            if !tls.verify {
                logger.warning(
                    "upstream TLS certificate verification is off (tls.verify: false): the connection is encrypted but not authenticated",
                    metadata: ["upstream": "\(group.name)"]
                )
            }
        }
        self.init(
            upstreamProtocol: group.upstreamProtocol, tlsContext: context, tls: tls,
            idleTimeout: TimeAmount(group.keepalive.idleTimeout), groupHasTLS: group.tls != nil, logger: logger
        )
    }

    /// TLS 1.2 or later (RFC 8446 for 1.3; 1.0/1.1 are deprecated by RFC 8996), the
    /// configured trust roots, an optional client certificate, and ALPN naming the one
    /// protocol Portico will speak (RFC 7301): `h2` (RFC 9113 §3.2) or `http/1.1`.
    static func tlsConfiguration(_ tls: UpstreamTLSConfig, protocol: UpstreamProtocol) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile = tls.caFile {
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        }
        configuration.certificateVerification = tls.verify ? .fullVerification : .none
        if let client = tls.clientCertificate {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(client.certificateFile).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: client.keyFile, format: .pem))
        }
        configuration.applicationProtocols = `protocol` == .h2 ? ["h2"] : ["http/1.1"]
        return configuration
    }

    /// Whether connections to `server` use TLS: every server with a group `tls:`,
    /// else only servers written `https://`.
    func usesTLS(_ server: UpstreamServerConfig) -> Bool {
        self.tlsContext != nil && (self.groupHasTLS || server.tls)
    }

    /// The name sent in SNI and verified against the certificate: `server_name`, else
    /// the configured host name; nil for an IP literal (no SNI, RFC 6066 §3 forbids
    /// literals there; the certificate is then checked against the IP address SANs).
    static func verificationName(tls: UpstreamTLSConfig, server: UpstreamServerConfig) -> String? {
        if let name = tls.serverName { return name }
        let host = server.address.host
        if (try? SocketAddress(ipAddress: host, port: 0)) != nil { return nil }
        return host
    }
}
