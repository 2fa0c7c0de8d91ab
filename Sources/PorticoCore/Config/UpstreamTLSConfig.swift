/// TLS from Portico to the servers of an upstream group (`upstreams[].tls:`), see
/// `docs/upstream-tls-and-h2.md`.
///
/// A group with `tls:` speaks TLS to every server; without it, only servers written
/// `https://…` do (with these defaults). Portico always verifies the server's
/// certificate chain and name unless `verify: false` says otherwise (RFC 9110 §4.3.4:
/// an `https` origin is only authoritative when its certificate is valid for its name).
public struct UpstreamTLSConfig: Sendable, Equatable {
    /// PEM file of the certificate authorities trusted for the servers' certificates;
    /// `nil` means the system trust store.
    public var caFile: String?
    /// The name sent in SNI and checked against the certificate; `nil` means each
    /// server's configured host name (an IP literal sends no SNI and is checked
    /// against the certificate's IP address SANs).
    public var serverName: String?
    /// `false` turns certificate verification off entirely (testing only: anyone on the
    /// path can then read and change the traffic).
    public var verify: Bool
    /// A certificate Portico presents when the servers ask for one (mutual TLS).
    public var clientCertificate: UpstreamClientCertificateConfig?

    public init(
        caFile: String? = nil,
        serverName: String? = nil,
        verify: Bool = true,
        clientCertificate: UpstreamClientCertificateConfig? = nil
    ) {
        self.caFile = caFile
        self.serverName = serverName
        self.verify = verify
        self.clientCertificate = clientCertificate
    }
}

/// `tls.client_certificate`: PEM files of the certificate (chain, leaf first) and its key.
public struct UpstreamClientCertificateConfig: Sendable, Equatable {
    public var certificateFile: String
    public var keyFile: String

    public init(certificateFile: String, keyFile: String) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}

/// The HTTP version Portico speaks to an upstream group's servers (`protocol:`).
public enum UpstreamProtocol: String, Sendable, Equatable, CaseIterable {
    /// HTTP/1.1 over pooled keep-alive connections (the default).
    case http1
    /// HTTP/2 (RFC 9113): with TLS negotiated by ALPN `h2`, without TLS by prior
    /// knowledge (h2c, §3.3). Requests are multiplexed as streams over a few
    /// connections per worker; needed for gRPC.
    case h2
}
