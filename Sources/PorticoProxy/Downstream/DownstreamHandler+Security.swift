import NIOCore
import NIOHTTP1
import PorticoCore

/// Per-request edge security: the real client address, request filtering, access
/// lists, rate and concurrency limits, body size, authentication. See docs/security.md.
extension DownstreamHandler {
    /// The client's address for logs, limits and access rules: the TCP peer, or, when
    /// the peer is a trusted proxy, the address its `X-Forwarded-For`/`Forwarded` names.
    func resolveClientIP(_ head: ParsedRequestHead, security: SecurityRuntime) -> String {
        guard let resolver = security.clientAddressResolver, let peer = self.peerIP, resolver.isTrusted(peer) else {
            return self.clientAddress
        }
        let fieldName = security.clientIPHeader == .forwarded ? "forwarded" : "x-forwarded-for"
        var values: [Substring] = []
        var index = head.fieldIndex(nameMatching: fieldName, from: 0)
        while let found = index {
            values.append(Substring(String(decoding: head.value(at: found), as: UTF8.self)))
            index = head.fieldIndex(nameMatching: fieldName, from: found + 1)
        }
        return resolver.resolve(peer: peer, headerValues: values).description
    }

    /// Whether this connection's peer is a configured trusted proxy (then its
    /// `X-Forwarded-For`/`Forwarded` are passed on, extended; otherwise replaced).
    var peerIsTrustedProxy: Bool {
        guard let resolver = self.worker.snapshot.security.clientAddressResolver, let peer = self.peerIP else {
            return false
        }
        return resolver.isTrusted(peer)
    }

    /// Runs the route's checks in order; answers and returns on the first refusal,
    /// otherwise authenticates (possibly asynchronously) and performs the route's action.
    func guardRequest(_ exchange: Exchange, route: CompiledRoute, routeGuard: RouteGuard, path: Substring) {
        let head = exchange.head
        let method = exchange.method.rawValue
        for rule in routeGuard.denyRules where rule.matches(method: method, path: path, head: head) {
            self.respondLocally(exchange, error: .forbidden, detail: "denied by a filtering rule")
            return
        }
        if let access = routeGuard.access {
            guard let address = IPAddress(exchange.clientIP), access.permits(address) else {
                self.respondLocally(exchange, error: .forbidden)
                return
            }
        }
        if let rateLimit = routeGuard.rateLimit {
            let key = rateLimit.key(clientIP: exchange.clientIP, head: head)
            let now = Int64(truncatingIfNeeded: exchange.startTime.uptimeNanoseconds)
            let config = rateLimit.config
            if config.delay > 0 {
                switch rateLimit.limiter.checkWithDelay(key: key, now: now, delayThreshold: config.burst) {
                case .allow:
                    break
                case .delay(let nanos):
                    self.delayRequest(exchange, by: nanos, route: route, routeGuard: routeGuard, path: path)
                    return
                case .reject(let retryAfter):
                    let decision = GCRADecision(allowed: false, remaining: 0, retryAfterNanos: retryAfter, resetAfterNanos: retryAfter)
                    self.rejectForRate(exchange, rateLimit: rateLimit, decision: decision)
                    return
                }
            } else {
                let decision = rateLimit.limiter.check(key: key, now: now)
                if !decision.allowed {
                    self.rejectForRate(exchange, rateLimit: rateLimit, decision: decision)
                    return
                }
                if config.headers {
                    exchange.responseExtraFields += rateLimit.headerFields(decision)
                }
            }
        }
        self.continueGuard(exchange, route: route, routeGuard: routeGuard)
    }

    /// After the rate limit (possibly after a `delay`): concurrency, body size, auth.
    private func continueGuard(_ exchange: Exchange, route: CompiledRoute, routeGuard: RouteGuard) {
        if let concurrency = routeGuard.concurrency {
            guard concurrency.tryAcquire() else {
                self.respondLocally(exchange, error: .serviceUnavailable, detail: "too many concurrent requests for this route")
                return
            }
            exchange.concurrencySlot = concurrency
        }
        if let limit = routeGuard.maxBodySize {
            if case .contentLength(let length) = exchange.head.framing, length > limit {
                // RFC 9110 §15.5.14: refuse up front; the body is never read or forwarded.
                exchange.closeAfterResponse = true
                self.respondLocally(exchange, error: .payloadTooLarge)
                return
            }
            exchange.bodyLimit = limit
        }
        guard let authenticator = routeGuard.authenticator else {
            self.performAction(exchange, route: route, snapshot: self.worker.snapshot)
            return
        }
        let snapshot = self.worker.snapshot
        guard let eventLoop = self.context?.eventLoop else { return }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let boundExchange = NIOLoopBound(exchange, eventLoop: eventLoop)
        authenticator.authenticate(head: exchange.head, clientIP: exchange.clientIP, eventLoop: eventLoop) { outcome in
            eventLoop.execute {
                let handler = bound.value
                let exchange = boundExchange.value
                guard handler.exchange === exchange, !handler.isClosing else { return }
                handler.finishAuthentication(exchange, outcome: outcome, route: route, snapshot: snapshot, authenticator: authenticator)
            }
        }
    }

    private func finishAuthentication(
        _ exchange: Exchange,
        outcome: RouteAuthenticator.Outcome,
        route: CompiledRoute,
        snapshot: RuntimeSnapshot,
        authenticator: RouteAuthenticator
    ) {
        switch outcome {
        case .allow(let fields):
            exchange.requestExtraFields = authenticator.withProtectedHeaders(fields)
            exchange.stripAuthorization = authenticator.stripAuthorization
            self.performAction(exchange, route: route, snapshot: snapshot)
        case .deny(let status, let fields):
            self.respondLocally(exchange, error: HTTPResponseStatus(statusCode: status), extraFields: fields)
            if !self.isClosing { self.processInbound() }
        case .relay(let status, let fields, let body):
            let contentType = fields.first { $0.0.lowercased() == "content-type" }?.1
            let others = fields.filter { $0.0.lowercased() != "content-type" }
            self.respondLocally(
                exchange, status: HTTPResponseStatus(statusCode: status), body: body, contentType: contentType,
                location: nil, extraFields: others
            )
            if !self.isClosing { self.processInbound() }
        }
    }

    private func rejectForRate(_ exchange: Exchange, rateLimit: RateLimitGuard, decision: GCRADecision) {
        self.worker.metrics.recordRateLimited(exchange)
        var fields = rateLimit.config.headers ? rateLimit.headerFields(decision) : []
        if !fields.contains(where: { $0.0 == RateLimitHeaders.retryAfterFieldName }) {
            // RFC 9110 §10.2.3 / RFC 6585 §4: tell the client when to come back.
            fields.append((RateLimitHeaders.retryAfterFieldName, String(RateLimitHeaders.retryAfterSeconds(nanos: decision.retryAfterNanos))))
        }
        self.respondLocally(
            exchange, error: HTTPResponseStatus(statusCode: rateLimit.config.status),
            detail: "rate limit exceeded", extraFields: fields
        )
    }

    /// nginx `limit_req … delay=`: an excess request within the burst waits until it
    /// conforms to the rate, then goes on.
    private func delayRequest(_ exchange: Exchange, by nanos: Int64, route: CompiledRoute, routeGuard: RouteGuard, path: Substring) {
        guard let eventLoop = self.context?.eventLoop else { return }
        exchange.delayTask = eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .nanoseconds(nanos)) { [self] in
            exchange.delayTask = nil
            guard self.exchange === exchange, !self.isClosing else { return }
            self.continueGuard(exchange, route: route, routeGuard: routeGuard)
        }
    }

    /// Request body bytes beyond the route's `max_body_size` (chunked bodies, whose size
    /// is not known up front): 413 if nothing was answered yet, else the connection
    /// closes. Nothing past the limit is forwarded.
    func requestBodyTooLarge(_ exchange: Exchange) {
        self.endAttempt(exchange)
        self.abandonUpstream(exchange)
        exchange.closeAfterResponse = true
        exchange.bodyTarget = .discard
        self.inbound.clear()
        if exchange.responseStarted {
            self.context?.close(promise: nil)
        } else {
            exchange.requestComplete = true
            self.respondLocally(exchange, error: .payloadTooLarge)
        }
    }

    /// Releases per-request security resources (the route's concurrency slot, a delay timer).
    func releaseGuards(_ exchange: Exchange) {
        if let slot = exchange.concurrencySlot {
            exchange.concurrencySlot = nil
            _ = slot.release()
        }
        if let task = exchange.delayTask {
            exchange.delayTask = nil
            task.cancel()
        }
    }
}
