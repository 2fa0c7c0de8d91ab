import NIOCore
import NIOHTTP1
import PorticoCore

#if canImport(Glibc)
import Glibc
#endif

extension DownstreamHandler {
    /// A new request head: validate, route, then answer locally or forward.
    func startExchange(_ head: HTTPRequestHead) {
        self.headStarted = false
        self.requestCount += 1
        let snapshot = self.worker.snapshot
        let settings = snapshot.settings

        let rejection = RequestValidator.validate(head, limits: settings.limits)
        let framing = rejection == nil ? BodyFraming.of(head) : .none
        let exchange = Exchange(
            head: head,
            framing: framing,
            startTime: .now(),
            wallClockSeconds: settings.accessLogEnabled ? Int(time(nil)) : 0
        )
        self.exchange = exchange
        if exchange.hasBody {
            self.timerPurpose = .body
            self.timer?.arm(settings.clientBodyTimeout)
        } else {
            self.timerPurpose = .none
            self.timer?.disarm()
        }

        if let rejection {
            // Smuggling defence: a request we cannot frame exactly as the client did is
            // never forwarded, and the connection is not reused (RFC 9112 §11.2).
            exchange.closeAfterResponse = true
            self.respondLocally(exchange, error: HTTPResponseStatus(statusCode: rejection.status))
            return
        }
        if !head.isKeepAlive || self.isQuiescing {
            exchange.closeAfterResponse = true
        }
        if head.method == .CONNECT {
            // Portico is a reverse proxy, not a forward proxy tunnel.
            exchange.closeAfterResponse = true
            self.respondLocally(exchange, error: .methodNotAllowed)
            return
        }
        if head.headers.contains(name: "upgrade") {
            // NIO's decoder stops parsing after an upgrade request; tunnels (WebSocket)
            // are not supported yet, so answer normally and close afterwards.
            exchange.closeAfterResponse = true
        }
        exchange.expectsContinue =
            head.version.minor >= 1 && exchange.hasBody
            && head.headers[canonicalForm: "expect"].contains { $0.lowercased() == "100-continue" }

        guard let target = RequestTarget.parse(head.uri) else {
            exchange.closeAfterResponse = true
            self.respondLocally(exchange, error: .badRequest)
            return
        }
        let host = target.authority ?? head.headers.first(name: "host").map { Substring($0) }
        exchange.host = host.map(String.init) ?? ""
        let routingHost = host.flatMap(HostHeader.normalizedHost)
        guard
            let routeIndex = snapshot.routeTable.firstMatch(
                method: head.method,
                host: routingHost,
                path: target.path,
                headers: head.headers
            )
        else {
            self.respondLocally(exchange, error: .notFound)
            return
        }
        let route = snapshot.routes[routeIndex]
        exchange.routeName = route.name
        exchange.responseRules = route.responseHeaders

        switch route.action {
        case .respond(let status, let body, let contentType):
            self.respondLocally(exchange, status: status, body: body, contentType: contentType, location: nil)
        case .redirect(let status, let location):
            self.respondLocally(
                exchange,
                status: status,
                body: ByteBuffer(),
                contentType: nil,
                location: location
            )
        case .upstream(let groupIndex):
            guard groupIndex >= 0, groupIndex < snapshot.groups.count else {
                self.respondLocally(exchange, error: .badGateway)
                return
            }
            let group = snapshot.groups[groupIndex]
            var path = target.originForm
            if let prefix = route.stripPrefix {
                path = Substring(PathRewrite.stripPrefix(prefix, from: path))
            }
            exchange.upstreamHead = UpstreamRequestBuilder.build(
                .init(
                    clientHead: head,
                    framing: framing,
                    clientAddress: self.clientAddress,
                    scheme: self.scheme,
                    forwardedHeaders: snapshot.settings.forwardedHeaders,
                    requestedHost: exchange.host.isEmpty ? nil : exchange.host,
                    target: String(path),
                    preserveHost: route.preserveHost,
                    upstreamHostHeader: group.servers.first?.hostHeader ?? "",
                    rules: route.requestHeaders
                )
            )
            exchange.group = group
            exchange.serverIndex = group.nextServerIndex()
            self.forwardToUpstream(exchange)
        }
    }

    func requestBody(_ buffer: ByteBuffer) {
        guard let exchange = self.exchange else { return }
        if self.timerPurpose == .body {
            self.timer?.arm(self.settings.clientBodyTimeout)
        }
        switch exchange.bodyTarget {
        case .upstream:
            guard let upstream = exchange.upstream else { return }
            exchange.bodyBytesForwarded += buffer.readableBytes
            upstream.write(.body(.byteBuffer(buffer)))
            self.upstreamNeedsFlush = true
            if !upstream.isWritable {
                // Flush now so the writability change can come; reads pause until then.
                self.flushUpstreamIfNeeded()
            }
        case .discard, .queue:
            break
        }
    }

    func requestEnd(_ trailers: HTTPHeaders?) {
        guard let exchange = self.exchange else { return }
        exchange.requestComplete = true
        self.timerPurpose = .none
        self.timer?.disarm()
        switch exchange.bodyTarget {
        case .upstream:
            if let upstream = exchange.upstream {
                upstream.write(.end(trailers))
                exchange.requestForwardedComplete = true
                self.upstreamNeedsFlush = true
                if !self.inReadCycle || exchange.responseComplete {
                    self.flushUpstreamIfNeeded()
                }
                if exchange.responseComplete {
                    // The origin answered early; the body has now been sent in full.
                    self.releaseUpstream(of: exchange)
                    self.exchangeFinished()
                }
            }
        case .discard:
            if exchange.responseComplete {
                self.exchangeFinished()
            }
        case .queue:
            break
        }
    }

    /// Answers an unparseable or timed-out request head and closes the connection.
    func rejectMalformed(status: HTTPResponseStatus) {
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "-")
        let exchange = Exchange(
            head: head,
            framing: .none,
            startTime: .now(),
            wallClockSeconds: self.settings.accessLogEnabled ? Int(time(nil)) : 0
        )
        exchange.requestComplete = true
        exchange.closeAfterResponse = true
        self.exchange = exchange
        self.pending.removeAll()
        self.respondLocally(exchange, error: status)
    }
}
