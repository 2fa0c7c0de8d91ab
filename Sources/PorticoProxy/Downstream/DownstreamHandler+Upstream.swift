import NIOCore
import NIOHTTP1
import PorticoCore

/// Forwarding a request to an upstream server and relaying its response.
///
/// Retry rules (the safe subset; the load-balancing issue extends them):
/// - a failed TCP connect is always retried on the group's next server, once per server;
/// - a pooled connection that closes before any response byte, when the request has
///   no body, is retried once on a fresh connection (the server closed the idle
///   connection while we were reusing it, RFC 9112 §9.3.1);
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
            requestMethod: exchange.method,
            headerTimeout: settings.upstreamHeaderTimeout,
            idleTimeout: settings.upstreamIdleTimeout
        )
        connection.write(head)
        exchange.bodyTarget = .upstream
        if exchange.requestComplete {
            exchange.requestForwardedComplete = true
        } else if exchange.expectsContinue {
            // RFC 9110 §10.1.1: tell the client to send the body now that it has
            // somewhere to go.
            self.context?.writeAndFlush(self.wrapOutboundOut(ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
        }
        self.upstreamNeedsFlush = true
        if self.inReadCycle {
            return  // processInbound goes on with the body and flushes at the end of the read
        }
        self.processInbound()
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
        if !self.isClosing {
            self.processInbound()
        }
    }

    // MARK: UpstreamResponseReceiver

    var downstreamIsWritable: Bool {
        self.context?.channel.isWritable ?? false
    }

    func upstreamDidReceiveHead(_ head: ParsedResponseHead, framing: ResponseFraming) {
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
        if let start = exchange.upstreamStart {
            exchange.upstreamDuration = .now() - start
        }
        exchange.upstreamKeepAlive = exchange.upstream?.responseKeepAlive ?? false

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
            rules: exchange.route?.responseRules ?? .none,
            into: &out
        )
        exchange.status = head.status
        exchange.responseStarted = true
        context.write(self.wrapOutboundOut(out), promise: nil)
        self.worker.responseHeadScratch = out
    }

    func upstreamDidReceiveBody(_ bytes: ByteBuffer) {
        guard let exchange = self.exchange, let context = self.context else { return }
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
        if case .encodeChunks = exchange.responseBody {
            context.write(self.wrapOutboundOut(ByteBuffer(staticString: "0\r\n\r\n")), promise: nil)
        }
        exchange.upstreamKeepAlive = exchange.upstream?.responseKeepAlive ?? false
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
