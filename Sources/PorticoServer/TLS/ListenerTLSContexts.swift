import NIOCore
import NIOSSL
import PorticoCore
import Synchronization

/// The TLS side of one listener generation: one `NIOSSLContext` per configured
/// certificate, and the table that picks one from a ClientHello's SNI.
///
/// Built once per configuration generation (start and every reload: the files are read
/// again, so replacing them and reloading rotates certificates), never per connection.
/// A connection takes the generation in force when it is accepted and keeps it: a
/// reload does not touch handshakes or connections already under way.
///
/// Each context carries the listener's whole policy (versions, ciphers, ALPN, client
/// verification), so the certificate choice is the only per-connection decision.
public final class ListenerTLSContexts: Sendable {
    public struct SetupError: Error, CustomStringConvertible {
        public var description: String
    }

    let contexts: [NIOSSLContext]
    let serverNames: ServerNameTable
    /// Longest time from accept to a finished handshake (a silent client cannot hold a
    /// socket and a handshake slot forever).
    let handshakeTimeout: TimeAmount
    let offersHTTP2: Bool
    /// Handshake failures and timeouts; shared by the generations of one listener.
    let counters: TLSListenerCounters

    /// - Parameters:
    ///   - listenerName: for error messages.
    ///   - counters: the previous generation's, so a reload does not reset them.
    public init(
        config: ListenerTLSConfig,
        listenerName: String,
        handshakeTimeout: Duration,
        counters: TLSListenerCounters? = nil
    ) throws {
        guard !config.certificates.isEmpty else {
            throw SetupError(description: "listener \(listenerName): tls needs at least one certificate")
        }
        var names: [[String]] = []
        var contexts: [NIOSSLContext] = []
        let trustRoots: [NIOSSLCertificate]?
        if let clientAuth = config.clientAuth {
            do {
                trustRoots = try NIOSSLCertificate.fromPEMFile(clientAuth.caPath)
            } catch {
                throw SetupError(description: "listener \(listenerName): cannot load client_auth.ca \(clientAuth.caPath): \(error)")
            }
        } else {
            trustRoots = nil
        }
        for certificate in config.certificates {
            // The same checks as `portico validate`, for configurations built in code and
            // for files changed between validation and this load.
            switch TLSCertificateFiles.inspect(certificatePath: certificate.certificatePath, keyPath: certificate.keyPath) {
            case .success(let inspected): names.append(inspected.names)
            case .failure(let problem): throw SetupError(description: "listener \(listenerName): \(problem.message)")
            }
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(certificate.certificatePath)
                let key = try NIOSSLPrivateKey(file: certificate.keyPath, format: .pem)
                let tls = Self.configuration(config, chain: chain, key: key, trustRoots: trustRoots)
                contexts.append(try NIOSSLContext(configuration: tls))
            } catch {
                throw SetupError(description: "listener \(listenerName): cannot load \(certificate.certificatePath): \(error)")
            }
        }
        self.contexts = contexts
        self.serverNames = ServerNameTable(names: names, defaultIndex: config.defaultCertificateIndex)
        self.handshakeTimeout = TimeAmount(handshakeTimeout)
        self.offersHTTP2 = config.alpn.contains("h2")
        self.counters = counters ?? TLSListenerCounters()
    }

    /// The NIOSSL settings of one certificate.
    ///
    /// - Versions: TLS 1.2 or 1.3 at least, 1.3 at most (RFC 8996 retires 1.0/1.1).
    /// - Ciphers: TLS 1.2 suites from the configuration (default: ECDHE + AEAD only);
    ///   TLS 1.3 suites are BoringSSL's fixed AEAD set.
    /// - Client certificates: `require` maps to `.noHostnameVerification` (BoringSSL's
    ///   `SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT`), `request` to
    ///   `.optionalVerification` (a presented certificate must verify, none is accepted).
    ///   Client certificates carry no host name to check. The CA names are sent in the
    ///   CertificateRequest so clients with several certificates pick the right one.
    /// - Session resumption: BoringSSL's defaults, which NIOSSL leaves alone: stateless
    ///   session tickets (TLS 1.2 RFC 5077, TLS 1.3 RFC 8446 §4.6.1) under per-context
    ///   random keys, and the in-memory server session cache for TLS 1.2 session IDs.
    ///   A reload makes new contexts, so tickets issued before it lead to full handshakes.
    static func configuration(
        _ config: ListenerTLSConfig,
        chain: [NIOSSLCertificate],
        key: NIOSSLPrivateKey,
        trustRoots: [NIOSSLCertificate]?
    ) -> TLSConfiguration {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        tls.minimumTLSVersion = config.minimumVersion == .tls13 ? .tlsv13 : .tlsv12
        tls.maximumTLSVersion = .tlsv13
        tls.cipherSuites = (config.cipherSuites ?? ListenerTLSConfig.defaultCipherSuites).joined(separator: ":")
        tls.applicationProtocols = config.alpn
        if let clientAuth = config.clientAuth, let trustRoots {
            tls.certificateVerification = clientAuth.mode == .require ? .noHostnameVerification : .optionalVerification
            tls.trustRoots = .certificates(trustRoots)
            tls.sendCANameList = true
        }
        return tls
    }

    /// The context for a ClientHello's SNI (nil: none sent).
    func context(for serverName: String?) -> NIOSSLContext {
        self.contexts[self.serverNames.index(for: serverName)]
    }

    /// Whether a connection needs the ClientHello's SNI to pick a certificate.
    var needsServerName: Bool { self.contexts.count > 1 }
}

/// TLS counters of one listener, kept across reloads (`portico_tls_handshake_failures_total`).
public final class TLSListenerCounters: Sendable {
    let handshakeFailures = Atomic<Int>(0)

    public init() {}

    public var handshakeFailureCount: Int { self.handshakeFailures.load(ordering: .relaxed) }
}
