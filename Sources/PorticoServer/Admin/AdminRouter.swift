import PorticoProxy

/// One thing the admin listener can do.
public enum AdminEndpoint: Sendable, Equatable {
    /// `GET /`: the live status page (HTML shell; its data comes from the API).
    case statusPage
    /// `GET /metrics`: Prometheus text exposition.
    case metrics
    /// `GET /healthz`: liveness.
    case healthz
    /// `GET /readyz`: readiness for an outer load balancer.
    case readyz
    /// `GET /api/config`: the configuration in force, secrets redacted.
    case config
    /// `GET /api/upstreams`: every group's servers with their live state.
    case upstreams
    /// `POST /api/upstreams/{group}/servers/{server}/{action}`.
    case serverAction(group: String, server: String, action: ServerAction)
    /// `POST /api/reload`.
    case reload
    /// `GET /api/reloads`: recent reload attempts.
    case reloads
    /// `GET /api/stats`: the rolling statistics the status page charts.
    case stats
    /// `GET /api/cache`: the response cache's statistics and outcome counts.
    case cacheStatus
    /// `POST /api/cache/purge?url=…` or `?prefix=…`.
    case cachePurge(CachePurgeTarget)

    /// Whether a configured admin token is required. The probes must work for load
    /// balancers that cannot send credentials, and the status page shell holds no data
    /// (it authenticates its own API calls).
    public var requiresToken: Bool {
        switch self {
        case .healthz, .readyz, .statusPage: false
        default: true
        }
    }
}

/// The operations of `POST /api/upstreams/{group}/servers/{server}/{action}`.
public enum ServerAction: String, Sendable, Equatable, CaseIterable {
    case drain, undrain, enable, disable

    /// The admin state the action sets. `undrain` and `enable` both return the server
    /// to rotation; they differ only in what the operator meant to undo.
    public var targetState: ServerAdminState {
        switch self {
        case .drain: .draining
        case .disable: .disabled
        case .undrain, .enable: .enabled
        }
    }
}

/// What `POST /api/cache/purge` removes.
public enum CachePurgeTarget: Sendable, Equatable {
    /// Every stored variant of one absolute URL (`?url=`).
    case url(String)
    /// Every URL starting with the prefix (`?prefix=`).
    case prefix(String)

    /// The arguments of `AdminBackend.purgeCache(url:prefix:)`.
    public var url: String? {
        if case .url(let url) = self { return url }
        return nil
    }

    public var prefix: String? {
        if case .prefix(let prefix) = self { return prefix }
        return nil
    }
}

/// Maps a method and request target to an endpoint; pure, so it is tested without
/// sockets.
public enum AdminRouter {
    public enum Outcome: Sendable, Equatable {
        case endpoint(AdminEndpoint)
        /// 404: no such resource.
        case notFound
        /// 405: the resource exists but not for this method (RFC 9110 §15.5.6 requires
        /// `Allow`).
        case methodNotAllowed(allow: [String])
        /// 400: the path is not valid (bad percent-encoding).
        case badRequest(String)
    }

    private static let readMethods = ["GET", "HEAD"]

    /// Routes `method` and `target` (origin-form). The query string is ignored except
    /// by `POST /api/cache/purge`, whose parameters it carries.
    /// `HEAD` is accepted wherever `GET` is (RFC 9110 §9.3.2).
    public static func route(method: String, target: String) -> Outcome {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init) ?? ""
        let query = parts.count > 1 ? parts[1] : nil
        guard path.hasPrefix("/") else { return .notFound }
        var segments: [String] = []
        for raw in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            guard let decoded = percentDecode(raw) else { return .badRequest("invalid percent-encoding in the path") }
            segments.append(decoded)
        }
        // A trailing slash names the same resource (`/api/upstreams/`).
        if segments.count > 1, segments.last == "" { segments.removeLast() }

        func read(_ endpoint: AdminEndpoint) -> Outcome {
            readMethods.contains(method) ? .endpoint(endpoint) : .methodNotAllowed(allow: readMethods)
        }
        func write(_ endpoint: AdminEndpoint) -> Outcome {
            method == "POST" ? .endpoint(endpoint) : .methodNotAllowed(allow: ["POST"])
        }

        switch segments {
        case [""]: return read(.statusPage)
        case ["metrics"]: return read(.metrics)
        case ["healthz"]: return read(.healthz)
        case ["readyz"]: return read(.readyz)
        case ["api", "config"]: return read(.config)
        case ["api", "upstreams"]: return read(.upstreams)
        case ["api", "reloads"]: return read(.reloads)
        case ["api", "stats"]: return read(.stats)
        case ["api", "reload"]: return write(.reload)
        case ["api", "cache"]: return read(.cacheStatus)
        case ["api", "cache", "purge"]:
            guard method == "POST" else { return .methodNotAllowed(allow: ["POST"]) }
            switch CachePurgeQuery.parse(query) {
            case .success(let target): return .endpoint(.cachePurge(target))
            case .failure(let problem): return .badRequest(problem.message)
            }
        default:
            if segments.count == 6, segments[0] == "api", segments[1] == "upstreams", segments[3] == "servers",
               !segments[2].isEmpty, !segments[4].isEmpty, let action = ServerAction(rawValue: segments[5]) {
                return write(.serverAction(group: segments[2], server: segments[4], action: action))
            }
            return .notFound
        }
    }

    /// RFC 3986 §2.1 percent-decoding of one path segment; nil for a malformed escape
    /// or a result that is not UTF-8.
    static func percentDecode<S: StringProtocol>(_ text: S) -> String? {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
