/// The admin listener (`admin:`): Prometheus metrics, the JSON admin API and the live
/// status page, on an address of its own so that it never shares a port (or an access
/// list) with proxied traffic.
///
/// It is loopback-only by default. Exposing it on other interfaces requires a bearer
/// token, because the API can drain servers and reload the configuration.
public struct AdminConfig: Sendable, Equatable {
    /// `127.0.0.1:9901`: loopback, on the port Envoy's admin interface made familiar.
    public static let defaultAddress = HostPort(host: "127.0.0.1", port: 9901)

    public var address: HostPort
    /// Required as `Authorization: Bearer <token>` on every endpoint except the health
    /// probes and the (data-free) status page shell; `nil` = no authentication.
    /// Read from `token` or, trimmed, from `token_file` when the configuration is loaded.
    public var token: String?

    public init(address: HostPort = AdminConfig.defaultAddress, token: String? = nil) {
        self.address = address
        self.token = token
    }

    /// Whether `address` is reachable only from this host: `localhost`, `127.0.0.0/8`
    /// or `::1`. Wildcards (`0.0.0.0`, `::`) and every other address are not.
    public var isLoopback: Bool {
        Self.isLoopbackHost(self.address.host)
    }

    static func isLoopbackHost(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { Int($0).map { (0...255).contains($0) } ?? false }
    }
}
