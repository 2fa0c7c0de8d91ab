/// Checks that span sections: uniqueness of addresses and names, and that every
/// `upstream:` a route names exists. They run after all sections are decoded, so a
/// route may refer to an upstream group defined further down the file.
extension ConfigReader {
    mutating func validateReferences(
        listeners: [DecodedListener],
        upstreams: [DecodedUpstream],
        routes: [DecodedRoute]
    ) {
        // Port 0 asks for an ephemeral port, so several `:0` listeners do not collide.
        reportDuplicates(
            listeners.compactMap { listener in
                listener.address.flatMap { $0.port == 0 ? nil : ($0.description, listener.addressSite) }
            },
            what: "listener address"
        )
        reportDuplicates(
            listeners.filter(\.hasExplicitName).map { ($0.config.name, $0.nameSite) },
            what: "listener name"
        )
        reportDuplicates(
            upstreams.filter { !$0.config.name.isEmpty }.map { ($0.config.name, $0.nameSite) },
            what: "upstream name"
        )
        reportDuplicates(routes.map { ($0.config.name, $0.nameSite) }, what: "route name")

        let known = upstreams.map(\.config.name).filter { !$0.isEmpty }
        for route in routes {
            guard let reference = route.upstreamReference, !known.contains(reference.name) else { continue }
            let hint: String
            if let close = ConfigSuggestions.closest(to: reference.name, in: known) {
                hint = " (did you mean \(configQuoted(close))?)"
            } else if known.isEmpty {
                hint = " (no upstreams are defined)"
            } else {
                hint = " (known upstreams: \(known.map { configQuoted($0) }.joined(separator: ", ")))"
            }
            report("unknown upstream \(configQuoted(reference.name))\(hint)", at: reference.site)
        }
    }

    /// Reports every occurrence after the first of each key, pointing back at the first.
    mutating func reportDuplicates(_ entries: [(key: String, site: ConfigSite)], what: String) {
        var first: [String: ConfigSite] = [:]
        for (key, site) in entries {
            if let original = first[key] {
                let whereText = original.line > 0 ? " (first defined at line \(original.line))" : ""
                report("duplicate \(what) \(configQuoted(key))\(whereText)", at: site)
            } else {
                first[key] = site
            }
        }
    }
}
