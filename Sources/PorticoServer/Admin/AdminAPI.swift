import PorticoCore
import PorticoProxy

/// The admin listener's request handling, independent of the connection: routing,
/// authentication and the JSON documents. `AdminServer` feeds it complete requests.
public struct AdminAPI: Sendable {
    let backend: any AdminBackend
    /// The bearer token the listener started with; `nil` = no authentication.
    let startupToken: String?

    public init(backend: any AdminBackend, token: String?) {
        self.backend = backend
        self.startupToken = token
    }

    /// The token in force: that of the configuration currently running when it has an
    /// `admin:` section (so a reload rotates the token, `token_file` being re-read on
    /// each load), else the one the listener started with.
    var token: String? {
        guard let admin = self.backend.currentConfig().admin else { return self.startupToken }
        return admin.token
    }

    /// Answers one request. `authorization` is the `Authorization` header, if any.
    public func handle(method: String, target: String, authorization: String?) async -> AdminResponse {
        switch AdminRouter.route(method: method, target: target) {
        case .notFound:
            return .error(404, "no such resource")
        case .badRequest(let reason):
            return .error(400, reason)
        case .methodNotAllowed(let allow):
            return .error(405, "method \(method) is not allowed here", headers: [("Allow", allow.joined(separator: ", "))])
        case .endpoint(let endpoint):
            if endpoint.requiresToken, let token = self.token {
                switch AdminAuthorization.check(authorization: authorization, token: token) {
                case .allowed:
                    break
                case .missing:
                    // RFC 6750 §3: no error code when no credentials were sent.
                    return .error(401, "a bearer token is required", headers: [("WWW-Authenticate", "Bearer realm=\"portico-admin\"")])
                case .invalid:
                    return .error(
                        401, "the bearer token is not valid",
                        headers: [("WWW-Authenticate", "Bearer realm=\"portico-admin\", error=\"invalid_token\"")]
                    )
                }
            }
            return await self.respond(endpoint)
        }
    }

    private func respond(_ endpoint: AdminEndpoint) async -> AdminResponse {
        switch endpoint {
        case .statusPage:
            var response = AdminResponse.text(StatusPage.html, contentType: "text/html; charset=utf-8")
            response.headers += StatusPage.securityHeaders
            return response
        case .metrics:
            return .text(await self.backend.prometheusExposition(), contentType: AdminResponse.prometheusType)
        case .healthz:
            return .text("ok\n")
        case .readyz:
            return self.backend.isReady() ? .text("ready\n") : .text("not ready\n", status: 503)
        case .config:
            return .json(ConfigJSON.encode(self.backend.currentConfig()))
        case .upstreams:
            return .json(AdminDocuments.upstreams(config: self.backend.currentConfig(), status: self.backend.upstreamStatus()))
        case .serverAction(let group, let server, let action):
            return self.serverAction(group: group, server: server, action: action)
        case .reload:
            let event = await self.backend.reload(trigger: .admin)
            if event.succeeded {
                return .json(AdminDocuments.reloadEvent(event))
            }
            guard case .object(let members) = AdminDocuments.reloadEvent(event) else { return .error(422, event.message) }
            return .json(.object([("error", .string(event.message))] + members), status: 422)
        case .reloads:
            return .json(AdminDocuments.reloads(self.backend.reloadLog))
        case .stats:
            return .rawJSON(await self.backend.statsJSON())
        case .cacheStatus:
            guard let metrics = self.backend.cacheStatus() else { return .error(404, Self.noCache) }
            return .json(AdminDocuments.cache(metrics))
        case .cachePurge(let target):
            guard let purged = self.backend.purgeCache(url: target.url, prefix: target.prefix) else {
                return .error(404, Self.noCache)
            }
            return .json(.object([("purged", .int(purged))]))
        }
    }

    static let noCache = "no cache is configured"

    private func serverAction(group: String, server: String, action: ServerAction) -> AdminResponse {
        let known = self.backend.upstreamStatus()
        guard known.contains(where: { $0.group == group }) || self.backend.currentConfig().upstreams.contains(where: { $0.name == group })
        else {
            return .error(404, "no upstream group \(configQuotedText(group))")
        }
        guard self.backend.setAdminState(action.targetState, group: group, server: server),
              let status = self.backend.upstreamStatus().first(where: { $0.group == group && $0.server == server })
        else {
            return .error(404, "no server \(configQuotedText(server)) in upstream group \(configQuotedText(group)) (use ip:port as listed by /api/upstreams)")
        }
        return .json(.object([("group", .string(group)), ("server", AdminDocuments.server(status))]))
    }
}

/// `"text"` with JSON-style escaping, for names echoed in error messages.
func configQuotedText(_ text: String) -> String {
    var output = ""
    AdminJSON.quote(text, into: &output)
    return output
}
