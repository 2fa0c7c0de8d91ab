import Yams

/// Decoder for `admin:`, the admin listener.
///
/// ```yaml
/// admin:
///   address: 127.0.0.1:9901     # the default
///   token_file: /etc/portico/admin-token   # or token: "..."
/// ```
extension ConfigReader {
    static let adminKeys = ["address", "token", "token_file"]

    /// The admin listener, or `nil` when `admin:` is `false`/`off`. An empty `admin:`
    /// enables it with the defaults.
    mutating func admin(_ value: ConfigNode) -> AdminConfig? {
        if value.node.tag.rawValue == Tag.Name.bool.rawValue, let flag = value.node.bool {
            return flag ? AdminConfig() : nil
        }
        if case .scalar(let scalar) = value.node, scalar.string == "off" { return nil }
        if !value.node.isNull, value.node.mapping == nil {
            typeMismatch(expected: "a mapping, true or off", value)
            return nil
        }
        var config = AdminConfig()
        guard let fields = fields(value, known: Self.adminKeys) else { return config }
        if let child = fields["address"], let text = string(child),
           let address = check(HostPort.check(text), at: child.site) {
            config.address = address
        }
        if fields.has("token"), fields.has("token_file") {
            let second = fields.order.first { $0 == "token" || $0 == "token_file" } == "token" ? "token_file" : "token"
            report("give either token or token_file, not both", at: fields.keySite(second))
        } else if let child = fields["token"] {
            config.token = adminToken(child)
        } else if let child = fields["token_file"] {
            config.token = adminTokenFile(child)
        }
        let tokenGiven = fields.has("token") || fields.has("token_file")
        if config.token == nil, !tokenGiven, !config.isLoopback {
            let site = fields["address"]?.site ?? fields.site
            report(
                "admin.address \(config.address) is reachable from the network; set admin.token or admin.token_file"
                    + " (or listen on 127.0.0.1)",
                at: site
            )
        }
        return config
    }

    /// A token written in the file: printable ASCII without spaces, so that it fits an
    /// `Authorization` header unchanged (RFC 6750 §2.1 `b64token` is narrower still).
    private mutating func adminToken(_ value: ConfigNode) -> String? {
        guard let text = nonEmptyString(value, "admin token") else { return nil }
        return validAdminToken(text, at: value.site)
    }

    /// The trimmed contents of a token file, read now so a missing or empty file stops
    /// the load (or the reload) instead of leaving the API open or locked.
    private mutating func adminTokenFile(_ value: ConfigNode) -> String? {
        guard let path = nonEmptyString(value, "token_file") else { return nil }
        switch ConfigLoader.readFile(path, what: "token_file \(configQuoted(path))") {
        case .failure(let problem):
            report(problem.message, at: value.site)
            return nil
        case .success(let contents):
            let token = trimmedWhitespace(contents)
            guard !token.isEmpty else {
                report("token_file \(configQuoted(path)) is empty", at: value.site)
                return nil
            }
            return validAdminToken(token, at: value.site)
        }
    }

    private mutating func validAdminToken(_ token: String, at site: ConfigSite) -> String? {
        guard token.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            report("the admin token must be printable ASCII without spaces", at: site)
            return nil
        }
        return token
    }
}

/// `text` without leading and trailing spaces, tabs and line breaks (PorticoCore does
/// not use Foundation).
private func trimmedWhitespace(_ text: String) -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
    guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) }) else {
        return ""
    }
    return String(text[first...last])
}
