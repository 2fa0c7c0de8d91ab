import Yams

/// Decoders for TLS termination: a listener's `tls:` and `redirect_https:`, and a
/// route's `redirect_https:`. Certificate files are read and checked here
/// (`TLSCertificateFiles`), so `portico validate` and every reload report a missing,
/// mismatched or expired certificate at its `cert:`/`key:` path before anything binds.
extension ConfigReader {
    static let listenerTLSKeys = ["tls", "redirect_https"]
    static let tlsKeys = ["certificates", "min_version", "cipher_suites", "alpn", "client_auth", "hsts"]
    static let tlsCertificateKeys = ["cert", "key", "default"]
    static let clientAuthKeys = ["mode", "ca", "subject_header"]
    static let hstsKeys = ["max_age", "include_subdomains", "preload"]
    /// ALPN protocol ids Portico can serve (RFC 7301; "h2" is RFC 9113 §3.2).
    static let alpnProtocols = ["h2", "http/1.1"]

    /// The TLS keys of one listener, read from the listener's own fields.
    mutating func listenerTLS(_ fields: ConfigFields, into listener: inout ListenerConfig) {
        if let child = fields["tls"] { listener.tls = listenerTLSConfig(child) }
        if let child = fields["redirect_https"] {
            listener.redirectHTTPS = httpsRedirect(child)
            if fields.has("tls") {
                report("redirect_https is for cleartext listeners; this listener already serves TLS", at: fields.keySite("redirect_https"))
            }
        }
        if fields.has("tls"), let child = fields["proxy_protocol"], child.node.bool == true {
            // The PROXY header precedes the TLS ClientHello; reading it before the TLS
            // handshake is not implemented yet.
            report("proxy_protocol cannot be combined with tls yet", at: fields.keySite("proxy_protocol"))
        }
    }

    /// `redirect_https: true` or a port number (`false` = no redirect).
    mutating func httpsRedirect(_ value: ConfigNode) -> HTTPSRedirect? {
        if value.node.tag.rawValue == Tag.Name.bool.rawValue, let flag = value.node.bool {
            return flag ? .defaultPort : nil
        }
        guard case .scalar(let scalar) = value.node, !value.node.isNull,
              scalar.string.allSatisfy({ ("0"..."9").contains($0) })
        else {
            report("expected true, false or a port number, found \(value.node.kindDescription)", at: value.site)
            return nil
        }
        guard let port = int(value, in: 1...65535, "redirect_https port") else { return nil }
        return .port(port)
    }

    private mutating func listenerTLSConfig(_ value: ConfigNode) -> ListenerTLSConfig? {
        guard let fields = fields(value, known: Self.tlsKeys) else { return nil }
        requireKey("certificates", in: fields, context: "tls")
        var config = ListenerTLSConfig(certificates: [])
        if let child = fields["certificates"], let items = items(child) {
            requireNonEmpty(items, child, "certificate")
            config.certificates = items.compactMap { tlsCertificate($0) }
            let defaults = items.indices.filter { index in
                index < config.certificates.count && config.certificates[index].isDefault
            }
            if defaults.count > 1 {
                report("only one certificate may be the default, found \(defaults.count)", at: items[defaults[1]].site)
            }
        }
        if let child = fields["min_version"], let text = string(child) {
            if let version = ListenerTLSConfig.MinimumVersion(rawValue: text) {
                config.minimumVersion = version
            } else if ["1.0", "1.1", "1"].contains(text) {
                report("TLS \(text) is not supported (RFC 8996 deprecates TLS 1.0 and 1.1); use \"1.2\" or \"1.3\"", at: child.site)
            } else {
                report("unknown min_version \(configQuoted(text)) (use \"1.2\" or \"1.3\")", at: child.site)
            }
        }
        if let child = fields["cipher_suites"], let list = oneOrMany(child) {
            requireNonEmpty(list, child, "cipher suite")
            var suites: [String] = []
            for item in list {
                guard let name = string(item) else { continue }
                if ListenerTLSConfig.knownCipherSuites.contains(name) {
                    suites.append(name)
                } else {
                    let hint = ConfigSuggestions.hintOrList(for: name, in: ListenerTLSConfig.knownCipherSuites)
                    report("unknown cipher suite \(configQuoted(name))\(hint)", at: item.site)
                }
            }
            config.cipherSuites = suites
        }
        if let child = fields["alpn"], let list = oneOrMany(child) {
            requireNonEmpty(list, child, "ALPN protocol")
            var protocols: [String] = []
            for item in list {
                guard let name = choice(item, from: Self.alpnProtocols, "ALPN protocol") else { continue }
                if protocols.contains(name) {
                    report("duplicate ALPN protocol \(configQuoted(name))", at: item.site)
                } else {
                    protocols.append(name)
                }
            }
            config.alpn = protocols
        }
        if let child = fields["client_auth"] { config.clientAuth = clientAuth(child) }
        if let child = fields["hsts"] { config.hsts = hsts(child) }
        return config
    }

    private mutating func tlsCertificate(_ value: ConfigNode) -> ListenerTLSConfig.Certificate? {
        guard let fields = fields(value, known: Self.tlsCertificateKeys) else { return nil }
        requireKey("cert", in: fields, context: "certificate")
        requireKey("key", in: fields, context: "certificate")
        var certificate = ListenerTLSConfig.Certificate(certificatePath: "", keyPath: "")
        if let child = fields["cert"], let path = nonEmptyString(child, "cert") { certificate.certificatePath = path }
        if let child = fields["key"], let path = nonEmptyString(child, "key") { certificate.keyPath = path }
        if let child = fields["default"], let flag = bool(child) { certificate.isDefault = flag }
        guard !certificate.certificatePath.isEmpty, !certificate.keyPath.isEmpty,
              let certificateNode = fields["cert"], let keyNode = fields["key"]
        else { return nil }
        if case .failure(let problem) = TLSCertificateFiles.inspect(
            certificatePath: certificate.certificatePath, keyPath: certificate.keyPath
        ) {
            report(problem.message, at: problem.file == .certificate ? certificateNode.site : keyNode.site)
        }
        return certificate
    }

    private mutating func clientAuth(_ value: ConfigNode) -> ListenerTLSConfig.ClientAuth? {
        guard let fields = fields(value, known: Self.clientAuthKeys) else { return nil }
        requireKey("ca", in: fields, context: "client_auth")
        var config = ListenerTLSConfig.ClientAuth(caPath: "")
        if let child = fields["mode"], let text = choice(child, from: ListenerTLSConfig.ClientAuth.Mode.allCases.map(\.rawValue), "client_auth mode") {
            config.mode = ListenerTLSConfig.ClientAuth.Mode(rawValue: text) ?? .require
        }
        if let child = fields["subject_header"], let name = nonEmptyString(child, "subject_header") {
            config.subjectHeader = check(ConfigScalar.checkHeaderName(name), at: child.site)
        }
        guard let child = fields["ca"], let path = nonEmptyString(child, "ca") else { return nil }
        config.caPath = path
        if case .failure(let problem) = TLSCertificateFiles.inspectAuthorities(path: path) {
            report(problem.message, at: child.site)
        }
        return config
    }

    private mutating func hsts(_ value: ConfigNode) -> HSTSConfig? {
        guard let fields = fields(value, known: Self.hstsKeys) else { return nil }
        var config = HSTSConfig()
        if let child = fields["max_age"], let seconds = hstsMaxAge(child) { config.maxAge = seconds }
        if let child = fields["include_subdomains"], let flag = bool(child) { config.includeSubdomains = flag }
        if let child = fields["preload"], let flag = bool(child) {
            config.preload = flag
            // The preload lists (hstspreload.org) refuse anything less.
            if flag, !config.includeSubdomains || config.maxAge < 31_536_000 {
                report("preload requires include_subdomains: true and a max_age of at least 1y", at: child.site)
            }
        }
        return config
    }

    /// Seconds: a duration (`"1h"`, `3600`) or days/years (`"180d"`, `"1y"` = 365 days).
    /// 0 is allowed: `max-age=0` tells browsers to forget the policy (RFC 6797 §6.1.1).
    private mutating func hstsMaxAge(_ value: ConfigNode) -> Int? {
        guard let text = string(value) else { return nil }
        for (suffix, unit) in [("d", 86_400), ("y", 31_536_000)] where text.hasSuffix(suffix) {
            guard let count = Int(text.dropLast()), count >= 0, count <= 100 * 365 else {
                report("invalid max_age \(configQuoted(text)) (use e.g. \"1y\", \"180d\", \"1h\" or seconds)", at: value.site)
                return nil
            }
            return count * unit
        }
        if text == "0" { return 0 }
        guard let duration = check(ConfigScalar.checkDuration(text), at: value.site) else { return nil }
        return Int(duration.components.seconds)
    }
}
