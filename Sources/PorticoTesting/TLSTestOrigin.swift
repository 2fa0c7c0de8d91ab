import NIOSSL

/// TLS server contexts for in-process origins (`TestOrigin.start(tls:)`,
/// `HTTP2TestOrigin.start(tls:)`), made from test certificates so no key material is
/// ever committed.
extension TestCertificate {
    /// A server context presenting this certificate.
    /// - Parameters:
    ///   - alpn: protocols offered in ALPN (`["h2"]` for an HTTP/2 origin).
    ///   - clientAuthority: when set, clients must present a certificate issued by it
    ///     (mutual TLS); hostnames of clients are not checked.
    public func serverContext(alpn: [String] = [], clientAuthority: TestCertificateAuthority? = nil) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(self.certificatePEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(self.privateKeyPEM.utf8), format: .pem))
        )
        if let clientAuthority {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates([
                try NIOSSLCertificate(bytes: Array(try clientAuthority.certificatePEM.utf8), format: .pem)
            ])
        }
        configuration.applicationProtocols = alpn
        return try NIOSSLContext(configuration: configuration)
    }
}
