import NIOCore
import NIOHTTP1
import PorticoCore

/// Forwarding a request to an upstream server and relaying its response.
///
/// Retry rules (the safe subset; the load-balancing issue extends them):
/// - a failed TCP connect is always retried on the group's next server, once per server;
/// - a pooled connection that closes before any response byte, when the request has
///   no body, is retried once on a fresh connection (the server closed the idle
///   connection while we were reusing it: RFC 9112 §9.3.1 allows retrying such
///   idempotent-by-construction cases);
/// - nothing is retried after a response byte went to the client.
extension DownstreamHandler: UpstreamResponseReceiver {
    func forwardToUpstream(_ exchange: Exchange) {
        guard let group = exchange.group, !group.servers.isEmpty else {
            self.respondLocally(exchange, error: .badGateway)
            return
        }
        exchange.bodyTarget = .queue
        let server = group.servers[exchange.serverIndex % group.servers.count]
        exchange.upstreamAddress = server.hostHeader
        if exchange.freshConnectionRetries == 0, let idle = self.worker.pool.takeIdle(for: server.address) {
            self.attach(idle, to: exchange)
            return
        }
        self.worker.pool.connect(to: server, connectTimeout: self.settings.upstreamConnectTimeout) { [self] result in
            guard self.exchange === exchange, !self.isClosing else {
                if case .success(let connection) = result { connection.close() }
                return
            }
            switch result {
            case .success(let connection):
                self.attach(connection, to: exchange)
            case .failure(let error):
                self.upstreamAttemptFailed(exchange, failure: .connectFailed("\(error)"))
            }
        }
    }

    private func attach(_ connection: UpstreamHandler, to exchange: Exchange) {
        guard let head = exchange.upstreamHead else { return }
        let settings = self.settings
        exchange.upstream = connection
        exchange.upstreamStart = .now()
        connection.attach(
            to: self,
            headerTimeout: settings.upstreamHeaderTimeout,
            idleTimeout: settings.upstreamIdleTimeout
        )
        connection.write(.head(head))
        exchange.bodyTarget = .upstream
        if exchange.requestComplete {
            // A bodyless request retried on a fresh connection: its end was already seen.
            connection.write(.end(nil))
            exchange.requestForwardedComplete = true
        } else if exchange.expectsContinue {
            // RFC 9110 §10.1.1: tell the client to send the body now that it has
            // somewhere to go.
            self.context?.writeAndFlush(
                self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))),
                promise: nil
            )
        }
        self.upstreamNeedsFlush = true
        if self.inReadCycle {
            return  // flushed at channelReadComplete; queued parts were not needed
        }
        self.processPending()
        self.flushUpstreamIfNeeded()
    }

    /// An attempt failed before the response started: retry if that is safe, else answer 502/504.
    private func upstreamAttemptFailed(_ exchange: Exchange, failure: UpstreamFailure, reusedConnection: Bool = false) {
        guard let group = exchange.group else { return }
        switch failure {
        case .connectFailed:
            exchange.serversTried += 1
            if exchange.serversTried < group.servers.count {
                exchange.serverIndex += 1
                self.forwardToUpstream(exchange)
                return
            }
        case .closedBeforeResponse:
            if reusedConnection && exchange.bodyBytesForwarded == 0 && !exchange.hasBody
                && exchange.freshConnectionRetries == 0
            {
                exchange.freshConnectionRetries += 1
                exchange.requestForwardedComplete = false
                self.forwardToUpstream(exchange)
                return
            }
        default:
            break
        }
        // The rest of the request body (if any) is read and dropped, or the connection
        // closes; `respondLocally` decides by how much is left.
        exchange.bodyTarget = .discard
        let status: HTTPResponseStatus = failure == .headerTimeout ? .gatewayTimeout : .badGateway
        self.respondLocally(exchange, error: status)
        self.processPending()
    }

    // MARK: UpstreamResponseReceiver

    var downstreamIsWritable: Bool {
        self.context?.channel.isWritable ?? false
    }

    func upstreamDidReceiveHead(_ head: HTTPResponseHead) {
        guard let exchange = self.exchange, !exchange.responseStarted, let context = self.context else { return }
        if head.status.code < 200 {
            // 100 Continue is answered by Portico itself; other 1xx (103 Early Hints)
            // go to HTTP/1.1 clients (RFC 9110 §15.2: not to HTTP/1.0 clients).
            if head.status != .continue && exchange.head.version.minor >= 1 {
                var informational = HTTPResponseHead(version: .http1_1, status: head.status)
                informational.headers = head.headers
                context.write(self.wrapOutboundOut(.head(informational)), promise: nil)
            }
            return
        }
        if let reason = ResponseValidator.validate(head, requestMethod: exchange.head.method) {
            // Never pass on a response we would frame differently from the origin.
            _ = reason
            self.abandonUpstream(exchange)
            exchange.bodyTarget = .discard
            self.respondLocally(exchange, error: .badGateway)
            self.processPending()
            return
        }
        if let start = exchange.upstreamStart {
            exchange.upstreamDuration = .now() - start
        }
        exchange.upstreamKeepAlive = head.isKeepAlive
        if head.status == .switchingProtocols {
            // Upgrade was stripped from the request, so a 101 is a protocol violation.
            self.abandonUpstream(exchange)
            exchange.closeAfterResponse = true
            self.respondLocally(exchange, error: .badGateway)
            return
        }
        let output = ClientResponseBuilder.build(
            upstream: head,
            requestMethod: exchange.head.method,
            clientVersion: exchange.head.version,
            closeConnection: exchange.closeAfterResponse,
            rules: exchange.responseRules,
            forwardedHeaders: self.settings.forwardedHeaders
        )
        exchange.closeAfterResponse = output.closeConnection
        exchange.status = Int(head.status.code)
        exchange.responseStarted = true
        context.write(self.wrapOutboundOut(.head(output.head)), promise: nil)
    }

    func upstreamDidReceiveBody(_ buffer: ByteBuffer) {
        guard let exchange = self.exchange, let context = self.context else { return }
        exchange.bytesSent += buffer.readableBytes
        context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
    }

    func upstreamDidReceiveEnd(_ trailers: HTTPHeaders?) {
        guard let exchange = self.exchange, self.context != nil else { return }
        if exchange.requestComplete {
            // Return the connection before writing the end, so a pipelined next request
            // can already reuse it.
            self.releaseUpstream(of: exchange)
        } else if exchange.upstreamKeepAlive, exchange.bodyTarget == .upstream, exchange.upstream != nil {
            // The origin answered before the whole request body arrived (RFC 9110
            // §15.5.14 allows it). Keep forwarding the rest, as HAProxy does: the origin
            // reads and drops it, and both connections stay reusable. The upstream
            // connection is released when the request end has been sent.
        } else {
            // The origin will not read the rest: drop it here, keep the client connection.
            self.abandonUpstream(exchange)
            exchange.bodyTarget = .discard
        }
        self.finishResponse(exchange, trailers: trailers)
    }

    /// Hands the exchange's upstream connection back to the pool if it can carry
    /// another request (request fully sent, response complete, keep-alive), else closes it.
    func releaseUpstream(of exchange: Exchange) {
        guard let upstream = exchange.upstream else { return }
        exchange.upstream = nil
        if exchange.requestForwardedComplete && exchange.upstreamKeepAlive && upstream.responseComplete,
            let group = exchange.group
        {
            self.worker.pool.release(upstream, keepalive: group.keepalive)
        } else {
            upstream.detach()
            upstream.close()
        }
    }

    func upstreamDidCompleteRead() {
        self.context?.flush()
    }

    func upstreamDidFail(_ failure: UpstreamFailure) {
        guard let exchange = self.exchange, let upstream = exchange.upstream else { return }
        exchange.upstream = nil
        upstream.close()
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
}
