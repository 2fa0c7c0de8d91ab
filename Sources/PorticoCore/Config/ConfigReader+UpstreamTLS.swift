import X509

/// Decoders for how Portico talks to a group's servers: `tls:` (upstream TLS) and
/// `protocol:` (HTTP/1.1 or HTTP/2). See `docs/upstream-tls-and-h2.md`.
///
/// The certificate files are read and parsed here, at validation time, so that a
/// missing file, a file that is not PEM, or a key that does not belong to its
/// certificate is a diagnostic with its path rather than a failed TLS handshake later.
extension ConfigReader {
    static let upstreamTLSKeys = ["ca", "server_name", "verify", "client_certificate"]
    static let clientCertificateKeys = ["cert", "key"]

    mutating func upstreamTransport(_ fields: ConfigFields, into group: inout UpstreamGroupConfig) {
        if let child = fields["tls"] { group.tls = upstreamTLS(child) }
        if let child = fields["protocol"],
            let text = choice(child, from: UpstreamProtocol.allCases.map(\.rawValue), "protocol"),
            let value = UpstreamProtocol(rawValue: text)
        {
            group.upstreamProtocol = value
        }
    }

    private mutating func upstreamTLS(_ value: ConfigNode) -> UpstreamTLSConfig {
        var config = UpstreamTLSConfig()
        guard let fields = fields(value, known: Self.upstreamTLSKeys) else { return config }
        if let child = fields["ca"], let path = nonEmptyString(child, "ca"), self.certificates(atPath: path, child) != nil {
            config.caFile = path
        }
        if let child = fields["server_name"], let name = nonEmptyString(child, "server_name") {
            if let problem = HostPort.hostNameProblem(Substring(name)) {
                report("invalid server_name: \(problem)", at: child.site)
            } else {
                config.serverName = name.lowercased()
            }
        }
        if let child = fields["verify"], let flag = bool(child) { config.verify = flag }
        if let child = fields["client_certificate"] { config.clientCertificate = clientCertificate(child) }
        return config
    }

    private mutating func clientCertificate(_ value: ConfigNode) -> UpstreamClientCertificateConfig? {
        guard let fields = fields(value, known: Self.clientCertificateKeys) else { return nil }
        requireKey("cert", in: fields, context: "client_certificate")
        requireKey("key", in: fields, context: "client_certificate")
        guard let certNode = fields["cert"], let certPath = nonEmptyString(certNode, "cert"),
            let keyNode = fields["key"], let keyPath = nonEmptyString(keyNode, "key")
        else { return nil }
        let chain = self.certificates(atPath: certPath, certNode)
        guard let keyText = self.fileText(atPath: keyPath, keyNode, what: "the key file"), let chain else {
            return nil  // the key is only judged against a certificate that loaded
        }
        let key: Certificate.PrivateKey
        do {
            key = try Certificate.PrivateKey(pemEncoded: keyText)
        } catch {
            report("the key file \(configQuoted(keyPath)) holds no PEM private key Portico can use (PKCS#8, SEC1 EC or PKCS#1 RSA)", at: keyNode.site)
            return nil
        }
        guard let leaf = chain.first else { return nil }
        guard key.publicKey == leaf.publicKey else {
            report("the key in \(configQuoted(keyPath)) does not belong to the certificate in \(configQuoted(certPath))", at: keyNode.site)
            return nil
        }
        return UpstreamClientCertificateConfig(certificateFile: certPath, keyFile: keyPath)
    }

    /// The certificates of a PEM file (at least one), or nil after reporting why not.
    private mutating func certificates(atPath path: String, _ node: ConfigNode) -> [Certificate]? {
        guard let text = self.fileText(atPath: path, node, what: "the certificate file") else { return nil }
        var certificates: [Certificate] = []
        for block in Self.pemCertificateBlocks(text) {
            guard let certificate = try? Certificate(pemEncoded: block) else {
                report("\(configQuoted(path)) holds a CERTIFICATE block that is not a valid X.509 certificate", at: node.site)
                return nil
            }
            certificates.append(certificate)
        }
        guard !certificates.isEmpty else {
            report("\(configQuoted(path)) holds no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks)", at: node.site)
            return nil
        }
        return certificates
    }

    /// The `-----BEGIN CERTIFICATE-----` … `-----END CERTIFICATE-----` blocks of a PEM
    /// bundle, in order (text between blocks, such as OpenSSL's comments, is skipped).
    static func pemCertificateBlocks(_ text: String) -> [String] {
        let begin = "-----BEGIN CERTIFICATE-----"
        let end = "-----END CERTIFICATE-----"
        var blocks: [String] = []
        var rest = Substring(text)
        while let start = rest.range(of: begin), let stop = rest[start.upperBound...].range(of: end) {
            blocks.append(String(rest[start.lowerBound..<stop.upperBound]))
            rest = rest[stop.upperBound...]
        }
        return blocks
    }

    private mutating func fileText(atPath path: String, _ node: ConfigNode, what: String) -> String? {
        switch ConfigLoader.readFile(path, what: "\(what) \(configQuoted(path))") {
        case .success(let text): return text
        case .failure(let problem):
            report(problem.message, at: node.site)
            return nil
        }
    }
}

extension UpstreamGroupConfig {
    /// The TLS settings connections to `server` use, or nil for plain TCP: the group's
    /// `tls:` when present, else the defaults for a server written `https://`.
    public func tlsSettings(for server: UpstreamServerConfig) -> UpstreamTLSConfig? {
        if let tls { return tls }
        return server.tls ? UpstreamTLSConfig() : nil
    }
}
