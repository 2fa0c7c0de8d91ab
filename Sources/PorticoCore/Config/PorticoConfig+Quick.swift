extension PorticoConfig {
    /// The `portico run --listen ADDR --upstream URL...` quick form: one listener, one
    /// upstream group "default" with those servers, and one catch-all route "default"
    /// to it; everything else takes its default.
    ///
    /// Addresses follow the same rules as in `portico.yaml`. Diagnostics use the file
    /// name `"command line"` and the option as the path (`--listen`, `--upstream[0]`;
    /// indices are 0-based like the YAML paths), and every bad option is reported.
    public static func quick(listen: String, upstreams: [String]) throws(ConfigError) -> PorticoConfig {
        var diagnostics: [ConfigDiagnostic] = []
        func report(_ path: String, _ message: String) {
            diagnostics.append(ConfigDiagnostic(file: "command line", line: 0, column: 0, path: path, message: message))
        }

        var address: HostPort?
        switch HostPort.check(listen) {
        case .success(let parsed): address = parsed
        case .failure(let problem): report("--listen", problem.message)
        }

        var servers: [UpstreamServerConfig] = []
        if upstreams.isEmpty { report("--upstream", "at least one --upstream is required") }
        for (index, text) in upstreams.enumerated() {
            switch HostPort.checkUpstreamServerURL(text) {
            case .success(let parsed): servers.append(UpstreamServerConfig(address: parsed.address, tls: parsed.scheme == "https"))
            case .failure(let problem): report("--upstream[\(index)]", problem.message)
            }
        }

        guard diagnostics.isEmpty, let address else { throw ConfigError(diagnostics: diagnostics) }
        return PorticoConfig(
            listeners: [ListenerConfig(name: listen, address: address)],
            upstreams: [UpstreamGroupConfig(name: "default", servers: servers)],
            routes: [RouteConfig(name: "default", action: .upstream("default"))]
        )
    }
}
