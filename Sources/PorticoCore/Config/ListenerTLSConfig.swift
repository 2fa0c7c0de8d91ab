/// `listeners[].tls:` — TLS termination on a listener (RFC 8446 for TLS 1.3, RFC 5246
/// for TLS 1.2). Paths are kept, not file contents: certificate files are read when the
/// configuration is validated and again whenever a generation is compiled (start and
/// every reload), so replacing the files and reloading rotates certificates.
public struct ListenerTLSConfig: Sendable, Equatable {
    /// One certificate chain and its private key.
    public struct Certificate: Sendable, Equatable {
        /// PEM file with the full chain, leaf first.
        public var certificatePath: String
        /// PEM file with the leaf's private key (PKCS#8, SEC1 or PKCS#1).
        public var keyPath: String
        /// Served to clients that send no SNI, or a name no certificate covers.
        public var isDefault: Bool

        public init(certificatePath: String, keyPath: String, isDefault: Bool = false) {
            self.certificatePath = certificatePath
            self.keyPath = keyPath
            self.isDefault = isDefault
        }
    }

    /// Lowest protocol version accepted. TLS 1.0 and 1.1 are never offered (RFC 8996).
    public enum MinimumVersion: String, Sendable, Equatable, CaseIterable {
        case tls12 = "1.2"
        case tls13 = "1.3"
    }

    /// `client_auth:` — mutual TLS (RFC 8446 §4.3.2 CertificateRequest).
    public struct ClientAuth: Sendable, Equatable {
        public enum Mode: String, Sendable, Equatable, CaseIterable {
            /// A client certificate signed by `ca` is required; the handshake fails otherwise.
            case require
            /// A certificate is asked for; one that is presented must verify, but a client
            /// may present none.
            case request
        }

        public var mode: Mode
        /// PEM file of the CA certificate(s) client certificates must chain to.
        public var caPath: String
        /// Request header that carries the verified client certificate's subject
        /// (RFC 4514 string) upstream. The client's own fields of that name are always
        /// removed on this listener, so the origin can trust it. `nil` = none.
        public var subjectHeader: String?

        public init(mode: Mode = .require, caPath: String, subjectHeader: String? = nil) {
            self.mode = mode
            self.caPath = caPath
            self.subjectHeader = subjectHeader
        }
    }

    /// The first certificate marked `isDefault`, else the first, is the default.
    public var certificates: [Certificate]
    public var minimumVersion: MinimumVersion
    /// TLS 1.2 cipher suites (OpenSSL names); `nil` = `ListenerTLSConfig.defaultCipherSuites`.
    /// TLS 1.3 suites are fixed by BoringSSL (all three are AEAD).
    public var cipherSuites: [String]?
    /// ALPN protocols offered, in server preference order (RFC 7301).
    public var alpn: [String]
    public var clientAuth: ClientAuth?
    /// `Strict-Transport-Security` sent on this listener's responses; `nil` = none.
    public var hsts: HSTSConfig?

    public init(
        certificates: [Certificate],
        minimumVersion: MinimumVersion = .tls12,
        cipherSuites: [String]? = nil,
        alpn: [String] = ["h2", "http/1.1"],
        clientAuth: ClientAuth? = nil,
        hsts: HSTSConfig? = nil
    ) {
        self.certificates = certificates
        self.minimumVersion = minimumVersion
        self.cipherSuites = cipherSuites
        self.alpn = alpn
        self.clientAuth = clientAuth
        self.hsts = hsts
    }

    /// The index of the certificate for clients without (matching) SNI.
    public var defaultCertificateIndex: Int {
        self.certificates.firstIndex(where: \.isDefault) ?? 0
    }

    /// Every file this listener reads (certificates, keys, client CA): what
    /// `--watch` polls besides the configuration file.
    public var filePaths: [String] {
        self.certificates.flatMap { [$0.certificatePath, $0.keyPath] } + (self.clientAuth.map { [$0.caPath] } ?? [])
    }

    /// Mozilla's "intermediate" TLS 1.2 list: ECDHE key exchange (forward secrecy) with
    /// AEAD ciphers only, ECDSA before RSA, AES-GCM before ChaCha20.
    public static let defaultCipherSuites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ]

    /// TLS 1.2 suites `cipher_suites` may name: ECDHE or (for old clients) plain RSA key
    /// exchange, AES-GCM/ChaCha20 or AES-CBC. Anything weaker (3DES, RC4, NULL, export)
    /// is not accepted at all.
    public static let knownCipherSuites = defaultCipherSuites + [
        "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA",
        "ECDHE-PSK-CHACHA20-POLY1305",
        "AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA", "AES256-SHA",
    ]
}

/// `hsts:` on a TLS listener: RFC 6797 HTTP Strict Transport Security.
public struct HSTSConfig: Sendable, Equatable {
    /// `max-age` in seconds (RFC 6797 §6.1.1).
    public var maxAge: Int
    public var includeSubdomains: Bool
    /// `preload` (not in RFC 6797; required by browser preload lists).
    public var preload: Bool

    public init(maxAge: Int = 31_536_000, includeSubdomains: Bool = false, preload: Bool = false) {
        self.maxAge = maxAge
        self.includeSubdomains = includeSubdomains
        self.preload = preload
    }

    /// The `Strict-Transport-Security` field value.
    public var headerValue: String {
        var value = "max-age=\(self.maxAge)"
        if self.includeSubdomains { value += "; includeSubDomains" }
        if self.preload { value += "; preload" }
        return value
    }
}

/// `redirect_https:` on a cleartext listener or a route: answer with a redirect to the
/// same host and target over `https`.
public enum HTTPSRedirect: Sendable, Equatable {
    /// `true`: the default HTTPS port (443, not written in the URL).
    case defaultPort
    /// A port number: written in the URL unless it is 443.
    case port(Int)

    /// The port to write in `Location`, or nil for 443.
    public var explicitPort: Int? {
        switch self {
        case .defaultPort: nil
        case .port(let port): port == 443 ? nil : port
        }
    }
}

extension PorticoConfig {
    /// Every certificate, key and CA file the configuration names (for `--watch`).
    public var tlsFilePaths: [String] {
        var seen = Set<String>()
        return self.listeners.flatMap { $0.tls?.filePaths ?? [] }.filter { seen.insert($0).inserted }
    }
}
