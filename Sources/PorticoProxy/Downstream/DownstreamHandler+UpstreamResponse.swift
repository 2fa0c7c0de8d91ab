import NIOCore
import NIOHTTP1
import PorticoCore

/// Relaying the upstream response to the client (the `UpstreamResponseReceiver` side).
extension DownstreamHandler: UpstreamResponseReceiver {
    // MARK: UpstreamResponseReceiver

    var downstreamIsWritable: Bool {
        self.context?.channel.isWritable ?? false
    }

    func upstreamDidReceiveHead(_ head: ParsedResponseHead, framing: ResponseFraming) {
        if let state = self.exchange?.cache, state.isBackgroundRefresh, head.status >= 200, let exchange = self.exchange {
            // stale-while-revalidate: the client has its answer; this one is for the store.
            _ = self.cacheInterceptsHead(exchange, state, head: head, framing: framing)
            return
        }
        guard let exchange = self.exchange, !exchange.responseStarted, let context = self.context else { return }
        if head.status < 200 {
            // 100 Continue is answered by Portico itself; other 1xx (103 Early Hints)
            // go to HTTP/1.1 clients (RFC 9110 §15.2: not to HTTP/1.0 clients).
            if head.status != 100 && exchange.version.minor >= 1 {
                var out = ByteBuffer()
                WireHeadWriter.writeResponse(
                    head, framing: .asReceived, connection: .none, rules: CompiledHeaderRules.none, into: &out
                )
                context.write(self.wrapOutboundOut(out), promise: nil)
            }
            return
        }
        if let group = exchange.group, let server = exchange.server {
            if self.retryForStatus(head.status, exchange, group: group, server: server) {
                return
            }
        }
        if let statuses = exchange.route?.routeGuard?.errorPageStatuses, statuses.contains(head.status) {
            // `error_pages`: the origin's error page (and whatever it reveals) is dropped
            // for Portico's own; the connection cannot be reused mid-body.
            self.abandonUpstream(exchange)
            self.endAttempt(exchange)
            self.failExchange(exchange, status: HTTPResponseStatus(statusCode: head.status), detail: nil)
            return
        }
        if let start = exchange.upstreamStart {
            exchange.upstreamDuration = .now() - start
        }
        exchange.upstreamKeepAlive = exchange.upstream?.responseKeepAlive ?? false
        if let state = exchange.cache {
            if self.cacheInterceptsHead(exchange, state, head: head, framing: framing) {
                return  // a 304 freshened the stored entry, or a stale one was served
            }
            exchange.responseExtraFields += self.cacheStatusFields(state, ttl: nil)
        }
        let compression = self.compressionPlan(exchange, head: head, framing: framing)

        // How the body travels to the client (RFC 9112 §6.3, §7).
        let clientSpeaks11 = exchange.version.minor >= 1
        var clientFraming = WireHeadWriter.ClientFraming.asReceived
        switch framing {
        case .none, .contentLength:
            exchange.responseBody = .passThrough
            if framing == .none, exchange.method == .HEAD, head.fieldIndex(named: "transfer-encoding") != nil,
                head.fieldIndex(named: "content-length") == nil
            {
                clientFraming = .chunked  // mirror what a GET would have said
            }
        case .chunked:
            if clientSpeaks11 {
                exchange.responseBody = .passThrough
                clientFraming = .chunked
            } else {
                exchange.responseBody = .dechunk(ChunkedScanner(mode: .decode))
                clientFraming = .untilClose
            }
        case .untilClose:
            if clientSpeaks11 {
                exchange.responseBody = .encodeChunks
                clientFraming = .chunked
            } else {
                exchange.responseBody = .passThrough
                clientFraming = .untilClose
            }
        }
        if let encoder = compression?.encoder {
            // The length changes: chunked to HTTP/1.1 clients, until close to HTTP/1.0.
            exchange.responseBody = .passThrough
            clientFraming = clientSpeaks11 ? .chunked : .untilClose
            exchange.bodyTransform = ResponseBodyTransform(
                upstreamChunked: framing == .chunked, capture: exchange.bodyTransform?.capture, encoder: encoder,
                chunkedOutput: clientSpeaks11, discardOutput: false
            )
        }
        if clientFraming == .untilClose {
            exchange.closeAfterResponse = true
        }
        let connection: WireHeadWriter.ConnectionHeader =
            exchange.closeAfterResponse ? .close : (clientSpeaks11 ? .none : .keepAlive)
        var out = ProxyWorker.take(&self.worker.responseHeadScratch)
        WireHeadWriter.writeResponse(
            head,
            framing: clientFraming,
            connection: connection,
            rules: self.responseRules(for: exchange),
            extraLines: compression.map { self.extraResponseLines(for: exchange) + $0.lines }
                ?? self.extraResponseLines(for: exchange),
            requestID: self.responseRequestID(exchange, status: head.status),
            dropping: compression?.dropped ?? [],
            into: &out
        )
        exchange.status = head.status
        exchange.responseStarted = true
        context.write(self.wrapOutboundOut(out), promise: nil)
        self.worker.responseHeadScratch = out
    }

    func upstreamDidReceiveBody(_ bytes: ByteBuffer) {
        guard let exchange = self.exchange, let context = self.context else { return }
        if let transform = exchange.bodyTransform {
            let pieces = transform.data(of: bytes)
            if transform.discardOutput { return }
            if transform.encoder != nil {
                self.writeCompressed(exchange, transform, pieces: pieces)
                return
            }
        }
        switch exchange.responseBody {
        case .passThrough:
            exchange.bytesSent += bytes.readableBytes
            context.write(self.wrapOutboundOut(bytes), promise: nil)
        case .dechunk(var scanner):
            exchange.responseBody = .passThrough  // keep the scanner uniquely referenced
            var input = bytes
            decoding: while true {
                switch scanner.scan(&input) {
                case .data(let data):
                    exchange.bytesSent += data.readableBytes
                    context.write(self.wrapOutboundOut(data), promise: nil)
                case .needMoreData, .end, .error:
                    // The upstream handler validated the framing already.
                    break decoding
                }
            }
            exchange.responseBody = .dechunk(scanner)
        case .encodeChunks:
            guard bytes.readableBytes > 0 else { return }
            exchange.bytesSent += bytes.readableBytes
            var size = ByteBuffer()
            size.writeString(String(bytes.readableBytes, radix: 16))
            size.writeStaticString("\r\n")
            context.write(self.wrapOutboundOut(size), promise: nil)
            context.write(self.wrapOutboundOut(bytes), promise: nil)
            context.write(self.wrapOutboundOut(ByteBuffer(staticString: "\r\n")), promise: nil)
        }
    }

    func upstreamDidReceiveEnd() {
        guard let exchange = self.exchange, let context = self.context else { return }
        if let transform = exchange.bodyTransform, transform.encoder != nil, !transform.discardOutput {
            self.finishCompressed(exchange, transform)
        } else if case .encodeChunks = exchange.responseBody {
            context.write(self.wrapOutboundOut(ByteBuffer(staticString: "0\r\n\r\n")), promise: nil)
        }
        exchange.upstreamKeepAlive = exchange.upstream?.responseKeepAlive ?? false
        if let state = exchange.cache, self.cacheResponseEnded(exchange, state) {
            return  // served from the freshened entry, or a background refresh ended
        }
        self.endAttempt(exchange)
        if exchange.requestComplete {
            // Return the connection before finishing, so a pipelined next request can
            // already reuse it.
            self.releaseUpstream(of: exchange)
        } else if exchange.upstreamKeepAlive, exchange.bodyTarget == .upstream, exchange.upstream != nil {
            // The origin answered before the whole request body arrived (RFC 9110
            // §15.5.14 allows it). Keep forwarding the rest, as HAProxy does: the origin
            // reads and drops it, and both connections stay reusable. The upstream
            // connection is released when the request body has been sent.
        } else {
            // The origin will not read the rest: drop it here, keep the client connection.
            self.abandonUpstream(exchange)
            exchange.bodyTarget = .discard
        }
        self.finishResponse(exchange)
    }

    /// Hands the exchange's upstream connection back to the pool if it can carry
    /// another request (request fully sent, response complete, keep-alive), else closes it.
    func releaseUpstream(of exchange: Exchange) {
        guard let upstream = exchange.upstream else { return }
        exchange.upstream = nil
        if exchange.requestForwardedComplete && upstream.responseKeepAlive && upstream.responseComplete,
            let group = exchange.group
        {
            self.worker.pool.release(upstream, keepalive: group.keepalive)
        } else {
            upstream.detach()
            upstream.close()
        }
    }

    func upstreamDidCompleteRead() {
        if let exchange = self.exchange, let transform = exchange.bodyTransform, transform.encoder != nil,
            !transform.discardOutput, !exchange.responseComplete
        {
            self.flushCompressed(exchange, transform)
        }
        self.context?.flush()
    }

    func upstreamDidFail(_ failure: UpstreamFailure) {
        guard let exchange = self.exchange, let upstream = exchange.upstream else { return }
        if let state = exchange.cache, state.isBackgroundRefresh, exchange.responseComplete {
            exchange.upstream = nil
            upstream.close()
            self.finishBackgroundRefresh(exchange)
            return
        }
        exchange.upstream = nil
        upstream.close()
        if exchange.responseStarted || exchange.responseComplete {
            self.endAttempt(exchange)
            if let group = exchange.group, let server = exchange.server {
                group.attemptFailed(on: server, now: Self.uptimeNanos(), reason: Self.describe(failure))
            }
        }
        if exchange.responseComplete {
            // The response is already complete; the origin just stopped taking the
            // rest of the request body. Drop it here instead.
            exchange.bodyTarget = .discard
            return
        }
        if exchange.responseStarted {
            // Bytes already reached the client: the only honest signal left is to
            // close without completing the message (RFC 9112 §8).
            exchange.closeAfterResponse = true
            self.logAccess(exchange)
            exchange.responseComplete = true
            self.context?.flush()
            self.context?.close(promise: nil)
            return
        }
        self.upstreamAttemptFailed(exchange, failure: failure, reusedConnection: upstream.isReused)
    }

    func upstreamWritabilityDidChange(isWritable: Bool) {
        if isWritable {
            self.resumeReadingIfPossible()
        }
    }

    func abandonUpstream(_ exchange: Exchange) {
        if let upstream = exchange.upstream {
            exchange.upstream = nil
            upstream.detach()
            upstream.close()
        }
    }

    /// A status listed in `outlier_detection.statuses` counts against the server; one
    /// listed in `retries.on_status` sends an idempotent request to another server
    /// instead of to the client. Returns true when the response is dropped for a retry.
    private func retryForStatus(
        _ status: Int,
        _ exchange: Exchange,
        group: UpstreamGroupRuntime,
        server: UpstreamServer
    ) -> Bool {
        if group.config.outlierDetection.statuses.contains(status) {
            group.attemptFailed(on: server, now: Self.uptimeNanos(), reason: "status \(status)")
        } else {
            group.attemptSucceeded(on: server)
        }
        guard group.config.retries.onStatuses.contains(status) else { return false }
        let decision = RetryDecider.decide(
            method: exchange.method.rawValue,
            failure: .retryableStatus(status),
            responseStarted: exchange.responseStarted,
            bodyReplayable: exchange.bodyReplayable,
            attemptsMade: exchange.attempts,
            elapsedNanos: (exchange.firstAttemptStart.map { NIODeadline.now() - $0 } ?? .zero).nanoseconds,
            config: group.config.retries
        )
        guard decision == .retry else { return false }
        // Is there another server to try, and budget for it? Only then drop this answer.
        let index = exchange.groupIndex
        if self.worker.hasCurrentState(for: group, at: index) {
            var tried = exchange.tried
            tried.insert(exchange.serverIndex)
            let view = LiveServerView(
                servers: exchange.members?.servers ?? [], now: Self.uptimeNanos(), backupTier: false, checkLimits: false
            )
            let backups = LiveServerView(
                servers: exchange.members?.servers ?? [], now: Self.uptimeNanos(), backupTier: true, checkLimits: false
            )
            let candidates = (0..<view.serverCount).contains { !tried.contains($0) && (view.isEligible($0) || backups.isEligible($0)) }
            guard candidates, self.worker.groupStates[index].budget.tryAcquireRetry(now: Self.uptimeNanos()) else {
                return false
            }
        }
        self.abandonUpstream(exchange)
        self.endAttempt(exchange)
        exchange.lastFailure = .retryableStatus(status)
        exchange.onlyConnectFailures = false
        exchange.tried.insert(exchange.serverIndex)
        exchange.requestForwardedComplete = false
        exchange.bodyBytesForwarded = 0
        exchange.upstreamStart = nil
        self.forwardToUpstream(exchange)
        return true
    }

    /// Fields Portico adds to a forwarded response: the sticky cookie, RateLimit headers.
    func extraResponseLines(for exchange: Exchange) -> [String] {
        let cookie = self.stickyCookieField(for: exchange)
        if cookie == nil && exchange.responseExtraFields.isEmpty { return [] }
        var lines = exchange.responseExtraFields.map { "\($0.0): \($0.1)" }
        if let cookie { lines.append(cookie) }
        return lines
    }

    /// `Set-Cookie` for `balance: sticky` when the client's cookie does not already name
    /// the server that answered (first visit, or its server was unavailable).
    private func stickyCookieField(for exchange: Exchange) -> String? {
        guard let group = exchange.group, group.config.balance == .sticky, let server = exchange.server else {
            return nil
        }
        if let token = exchange.stickyToken, token == server.stickyToken[...] { return nil }
        return "Set-Cookie: " + StickyCookie.setCookieValue(token: server.stickyToken, config: group.config.sticky)
    }
}
