import PorticoCore

/// The TLS parts of `GET /api/config`. File paths are shown (they say which files are in
/// use, which is what an operator rotating certificates needs); file contents, and so
/// private keys, never are.
extension ConfigJSON {
    static func listenerTLS(_ tls: ListenerTLSConfig) -> AdminJSON {
        .object([
            ("certificates", .array(tls.certificates.enumerated().map { index, certificate in
                .object([
                    ("cert", .string(certificate.certificatePath)),
                    ("key", .string(certificate.keyPath)),
                    ("default", .bool(index == tls.defaultCertificateIndex)),
                ])
            })),
            ("min_version", .string(tls.minimumVersion.rawValue)),
            ("cipher_suites", .array((tls.cipherSuites ?? ListenerTLSConfig.defaultCipherSuites).map(AdminJSON.string))),
            ("alpn", .array(tls.alpn.map(AdminJSON.string))),
            ("client_auth", tls.clientAuth.map { auth in
                .object([
                    ("mode", .string(auth.mode.rawValue)),
                    ("ca", .string(auth.caPath)),
                    ("subject_header", .optional(auth.subjectHeader)),
                ])
            } ?? .null),
            ("hsts", tls.hsts.map { hsts in
                .object([
                    ("max_age", .int(hsts.maxAge)),
                    ("include_subdomains", .bool(hsts.includeSubdomains)),
                    ("preload", .bool(hsts.preload)),
                ])
            } ?? .null),
        ])
    }

    static func httpsRedirect(_ redirect: HTTPSRedirect) -> AdminJSON {
        switch redirect {
        case .defaultPort: .bool(true)
        case .port(let port): .int(port)
        }
    }
}
