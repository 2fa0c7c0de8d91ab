import NIOCore
import NIOHTTP1
import PorticoCore

#if canImport(Glibc)
import Glibc
#endif

extension DownstreamHandler {
    /// A new, already validated request head: route it, then answer locally or forward.
    func startExchange(_ head: ParsedRequestHead) {
        let snapshot = self.worker.snapshot
        let settings = snapshot.settings
        let wallClock = settings.accessLogEnabled ? Int(time(nil)) : 0
        let exchange: Exchange
        var spare: Exchange?
        swap(&spare, &self.spareExchange)  // move it out: a copy would defeat the uniqueness check
        if isKnownUniquelyReferenced(&spare), let reusable = spare {
            // Only reused when nothing else (e.g. a pending connect callback) holds it.
            reusable.reset(head: head, startTime: .now(), wallClockSeconds: wallClock)
            exchange = reusable
        } else {
            exchange = Exchange(head: head, startTime: .now(), wallClockSeconds: wallClock)
        }
        self.exchange = exchange
        self.hasHadRequest = true
        self.identifyRequest(exchange, head: head, settings: settings)
        if exchange.requestComplete {
            self.timerPurpose = .none
            self.timer?.disarm()
        } else {
            self.timerPurpose = .body
            self.timer?.arm(settings.clientBodyTimeout)
        }
        if !head.isKeepAlive || self.isQuiescing || self.stream != nil {
            exchange.closeAfterResponse = true
        }
        if head.connection.contains(.upgrade) {
            self.offerUpgrade(exchange, head: head)
        }

        let target = head.bytes.withUnsafeReadableBytes { all in
            String(decoding: UnsafeRawBufferPointer(rebasing: all[head.targetRange]), as: UTF8.self)
        }
        guard let parsedTarget = RequestTarget.parse(target) else {
            exchange.closeAfterResponse = true
            self.respondLocally(exchange, error: .badRequest)
            return
        }
        let hostValue: Substring?
        if let authority = parsedTarget.authority {
            hostValue = authority
        } else if let index = head.hostFieldIndex {
            hostValue = Substring(String(decoding: head.value(at: index), as: UTF8.self))
        } else {
            hostValue = nil
        }
        exchange.host = hostValue.map(String.init) ?? ""
        exchange.clientIP = self.resolveClientIP(head, security: snapshot.security)
        if self.listener.tlsPolicy.hasRequestHooks,
            self.applyListenerTLSPolicy(exchange, host: hostValue, target: parsedTarget.originForm)
        {
            return
        }

        // Route on the normalised path, and forward that same path, so a rule on
        // `/admin` also covers `/%61dmin` and `/x/../admin` (RFC 3986 §6.2.2).
        var path = parsedTarget.path
        var originForm = parsedTarget.originForm
        if let options = snapshot.security.pathOptions, PathNormalizer.needsNormalization(path, options: options) {
            switch PathNormalizer.normalize(path, options: options) {
            case .success(let normalized):
                let query = originForm.dropFirst(path.count)
                path = Substring(normalized)
                originForm = Substring(normalized + query)
                exchange.pathWasNormalized = true
            case .failure:
                exchange.closeAfterResponse = true
                self.respondLocally(exchange, error: .badRequest)
                return
            }
        }

        let routingHost = hostValue.flatMap(HostHeader.normalizedHost)
        guard
            let routeIndex = snapshot.routeTable.firstMatch(
                method: head.method,
                host: routingHost,
                path: path,
                headers: head
            )
        else {
            self.respondLocally(exchange, error: .notFound)
            return
        }
        let route = snapshot.routes[routeIndex]
        exchange.routeName = route.name
        exchange.route = route
        exchange.routeIndex = routeIndex
        if route.redirectHTTPS != nil || !self.listener.tlsPolicy.hstsFields.isEmpty,
            self.applyRouteTLSPolicy(exchange, route: route, host: hostValue, target: parsedTarget.originForm)
        {
            return
        }

        if case .upstream = route.action {
            if let prefix = route.stripPrefix {
                exchange.upstreamTarget = PathRewrite.stripPrefix(prefix, from: originForm)
            } else if parsedTarget.form == .absolute || exchange.pathWasNormalized {
                // RFC 9112 §3.2.2: origins get the origin form; the authority becomes Host.
                exchange.upstreamTarget = String(originForm)
            }
            if !route.preserveHost {
                exchange.hostSource = .server
            } else if parsedTarget.authority != nil {
                exchange.hostSource = .fixed(exchange.host)
            } else if head.hostFieldIndex == nil {
                // HTTP/1.0 without Host: HTTP/1.1 upstreams require one (RFC 9112 §3.2).
                exchange.hostSource = .server
            }
            if route.cache != nil {
                self.prepareCache(exchange, route: route, originForm: originForm)
            }
        }
        if let routeGuard = route.routeGuard, routeGuard.isActive {
            // Filtering, access lists, limits, body size; authentication may finish later.
            self.guardRequest(exchange, route: route, routeGuard: routeGuard, path: path)
            return
        }
        self.performAction(exchange, route: route, snapshot: snapshot)
    }

    /// The route's action, once every check passed.
    func performAction(_ exchange: Exchange, route: CompiledRoute, snapshot: RuntimeSnapshot) {
        switch route.action {
        case .respond(let status, let body, let contentType):
            self.respondLocally(exchange, status: status, body: body, contentType: contentType, location: nil)
        case .redirect(let status, let location):
            self.respondLocally(exchange, status: status, body: ByteBuffer(), contentType: nil, location: location)
        case .upstream(let groupIndex):
            guard groupIndex >= 0, groupIndex < snapshot.groups.count else {
                self.respondLocally(exchange, error: .badGateway)
                return
            }
            let group = snapshot.groups[groupIndex]
            exchange.group = group
            exchange.groupIndex = groupIndex
            self.addClientCertificateField(exchange)
            self.prepareBalancing(exchange, group: group)
            if let state = exchange.cache, self.cacheHandlesRequest(exchange, state) {
                return  // answered from storage, or waiting for a collapsed fetch
            }
            self.forwardToUpstream(exchange)
        }
    }

    /// Takes the current request's body bytes from `inbound` and sends them where they go.
    func consumeRequestBody(_ exchange: Exchange) {
        if self.timerPurpose == .body {
            self.timer?.arm(self.settings.clientBodyTimeout)
        }
        let bytes: ByteBuffer
        var ended = false
        switch exchange.requestBody {
        case .none:
            return
        case .contentLength(let remaining):
            let take = min(remaining, self.inbound.readableBytes)
            bytes = self.inbound.readSlice(length: take)!
            if take == remaining {
                exchange.requestBody = .none
                ended = true
            } else {
                exchange.requestBody = .contentLength(remaining: remaining - take)
            }
        case .chunked(var scanner):
            exchange.requestBody = .none  // keep the scanner uniquely referenced while it mutates
            let (raw, event) = scanner.scanRaw(&self.inbound)
            if let limit = exchange.bodyLimit, scanner.dataBytes > limit {
                // Checked before forwarding: no byte past the limit goes upstream.
                self.requestBodyTooLarge(exchange)
                return
            }
            switch event {
            case .needMoreData, .data:
                exchange.requestBody = .chunked(scanner)
            case .end:
                ended = true
            case .error:
                self.malformedRequestBody(exchange)
                return
            }
            bytes = raw
        }
        switch exchange.bodyTarget {
        case .upstream:
            if let upstream = exchange.upstream, bytes.readableBytes > 0 {
                exchange.bodyBytesForwarded += bytes.readableBytes
                self.keepForReplay(bytes, exchange)
                upstream.write(bytes)
                self.upstreamNeedsFlush = true
                if !upstream.isWritable {
                    // Flush now so the writability change can come; reads pause until then.
                    self.flushUpstreamIfNeeded()
                }
            }
        case .discard, .queue:
            break
        }
        if ended {
            self.requestEnded(exchange)
        }
    }

    /// The whole request body has been read.
    private func requestEnded(_ exchange: Exchange) {
        exchange.requestComplete = true
        self.timerPurpose = .none
        self.timer?.disarm()
        switch exchange.bodyTarget {
        case .upstream:
            guard exchange.upstream != nil else { return }
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
        case .discard:
            if exchange.responseComplete {
                self.exchangeFinished()
            }
        case .queue:
            break
        }
    }

    /// The request body's chunked framing is invalid: whatever went upstream is
    /// abandoned, and the client learns why if nothing was sent yet (RFC 9112 §7.1).
    private func malformedRequestBody(_ exchange: Exchange) {
        self.endAttempt(exchange)
        if let upstream = exchange.upstream {
            exchange.upstream = nil
            upstream.detach()
            upstream.close()
        }
        exchange.closeAfterResponse = true
        exchange.bodyTarget = .discard
        self.inbound.clear()
        if exchange.responseStarted {
            self.context?.close(promise: nil)
        } else {
            exchange.requestComplete = true
            self.respondLocally(exchange, error: .badRequest)
        }
    }

    /// Answers an unparseable or timed-out request head and closes the connection.
    func rejectMalformed(status: HTTPResponseStatus) {
        self.inbound.clear()
        self.isClosing = true
        self.timer?.cancel()
        guard let context = self.context else { return }
        let id = self.worker.requestIDs.next()
        let requestID = id.description
        let body = ErrorPage.body(status: Int(status.code), requestID: requestID)
        var out = ByteBuffer()
        LocalResponseWriter.write(
            status: status,
            body: ByteBuffer(string: body),
            contentType: "text/plain; charset=utf-8",
            location: nil,
            requestID: requestID,
            serverHeader: self.settings.serverHeader,
            date: self.worker.httpDate(),
            rules: nil,
            connection: .close,
            includeBody: true,
            into: &out
        )
        if let log = self.worker.accessLog {
            log.log(
                AccessLogRecord(
                    timestamp: Int(time(nil)), client: self.clientAddress, method: "-", target: "-",
                    version: "-", host: "", status: Int(status.code), bytesSent: body.utf8.count,
                    duration: .zero, upstreamAddress: nil, upstreamDuration: nil, requestID: .generated(id),
                    route: "", userAgent: "", referer: "", listener: self.listener.name
                ),
                layout: self.accessLogLayout
            )
        }
        let channel = context.channel
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(self.wrapOutboundOut(out), promise: written)
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }
}
