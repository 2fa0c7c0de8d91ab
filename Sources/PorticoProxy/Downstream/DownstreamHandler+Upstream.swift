import NIOCore
import NIOHTTP1
import PorticoCore

/// Choosing a server and running upstream attempts: connect or reuse, send the request,
/// and on failure decide whether another server gets it.
///
/// Retry rules (`RetryDecider`, see docs/load-balancing.md):
/// - a failed connect, or a pooled connection closed before any response byte, is
///   tried on another server for any method (the server did not process it);
/// - other failures and `retries.on_status` statuses are retried only for idempotent
///   methods (RFC 9110 §9.2.2);
/// - only while the body sent so far is still in the replay buffer, within
///   `retries.attempts` and `retries.timeout`, and while the worker's retry budget allows;
/// - never after a response byte went to the client.
extension DownstreamHandler {
    func forwardToUpstream(_ exchange: Exchange) {
        guard let group = exchange.group else {
            self.respondLocally(exchange, error: .badGateway)
            return
        }
        exchange.bodyTarget = .queue
        let start: NIODeadline
        if exchange.firstAttemptStart == nil {
            // The first attempt follows the request head at once: reuse its clock read.
            start = exchange.startTime
            exchange.firstAttemptStart = start
        } else {
            start = .now()
        }
        let now = Int64(truncatingIfNeeded: start.uptimeNanoseconds)
        let selection: WorkerGroupState.Selection
        let index = exchange.groupIndex
        if self.worker.hasCurrentState(for: group, at: index) {
            self.worker.groupStates[index].refresh(from: group)
            if self.worker.groupStates[index].members !== exchange.members {
                // DNS changed the server list since the last attempt: indices moved.
                exchange.members = self.worker.groupStates[index].members
                exchange.tried.removeAll()
            }
            selection = self.worker.groupStates[index].select(
                request: exchange.balanceRequest, tried: exchange.tried, now: now, checkLimits: group.countsInFlight
            )
        } else {
            // Started under the previous configuration: choose with throwaway state.
            var state = WorkerGroupState(group: group)
            exchange.members = state.members
            selection = state.select(
                request: exchange.balanceRequest, tried: exchange.tried, now: now, checkLimits: group.countsInFlight
            )
        }
        guard let members = exchange.members else { return }
        switch selection {
        case .server(let serverIndex):
            exchange.serverIndex = serverIndex
            self.startAttempt(exchange, on: members.servers[serverIndex], group: group, freshConnection: false)
        case .allBusy:
            self.enqueue(exchange, group: group)
        case .noneAvailable:
            if exchange.lastFailure == .reusedConnectionClosed, exchange.freshConnectionRetries == 0,
                let server = exchange.server
            {
                // No other server left: the stale keep-alive connection's own server gets
                // the request again on a fresh connection (RFC 9112 §9.3.1).
                exchange.freshConnectionRetries += 1
                self.startAttempt(exchange, on: server, group: group, freshConnection: true)
            } else if exchange.attempts == 0 {
                self.failExchange(exchange, status: .serviceUnavailable, detail: "no upstream server is available")
            } else {
                self.failAfterAttempts(exchange)
            }
        }
    }

    private func startAttempt(
        _ exchange: Exchange,
        on server: UpstreamServer,
        group: UpstreamGroupRuntime,
        freshConnection: Bool
    ) {
        self.beginAttempt(exchange, on: server, group: group)
        self.startAttemptSpan(exchange)
        self.prepareUpstreamHead(exchange, for: server)
        if !freshConnection, let idle = self.worker.pool.takeIdle(for: server.address) {
            self.attach(idle, to: exchange)
            return
        }
        self.worker.pool.connect(to: server, connectTimeout: self.settings.upstreamConnectTimeout) { [self] result in
            guard self.exchange === exchange, !self.isClosing, exchange.server === server, exchange.upstream == nil else {
                if case .success(let connection) = result { connection.close() }
                return
            }
            switch result {
            case .success(let connection):
                self.attach(connection, to: exchange)
            case .failure(let error):
                if error is UpstreamTLSFailure {
                    // The server answered, with a certificate or handshake Portico refuses:
                    // a bad gateway (502, as nginx), not an unreachable one (503).
                    exchange.onlyConnectFailures = false
                }
                self.upstreamAttemptFailed(exchange, failure: .connectFailed(ConnectFailureReason.describe(error)))
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
            idleTimeout: settings.upstreamIdleTimeout,
            upgrade: exchange.upgrade
        )
        connection.write(head)
        if let replay = exchange.replay, replay.readableBytes > 0 {
            // A retry: the body bytes the failed attempt already sent.
            connection.write(replay)
            exchange.bodyBytesForwarded = replay.readableBytes
        }
        exchange.bodyTarget = .upstream
        if exchange.requestComplete {
            exchange.requestForwardedComplete = true
        } else if exchange.expectsContinue && !exchange.continueSent {
            // RFC 9110 §10.1.1: tell the client to send the body now that it has
            // somewhere to go.
            exchange.continueSent = true
            self.context?.writeAndFlush(self.wrapOutboundOut(ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
        }
        self.upstreamNeedsFlush = true
        if self.inReadCycle {
            return  // processInbound goes on with the body and flushes at the end of the read
        }
        self.processInbound()
    }

    /// An attempt failed before the response started: retry if that is safe, else answer.
    func upstreamAttemptFailed(_ exchange: Exchange, failure: UpstreamFailure, reusedConnection: Bool = false) {
        let kind: AttemptFailure
        switch failure {
        case .connectFailed: kind = .connectFailed
        case .closedBeforeResponse: kind = reusedConnection ? .reusedConnectionClosed : .closedBeforeResponse
        case .headerTimeout, .idleTimeout: kind = .timedOut
        case .closedMidResponse, .malformedResponse: kind = .closedBeforeResponse
        }
        self.endAttempt(exchange)
        if let group = exchange.group, let server = exchange.server, kind != .reusedConnectionClosed {
            // A stale keep-alive connection says nothing about the server's health.
            group.attemptFailed(on: server, now: Self.uptimeNanos(), reason: Self.describe(failure))
        }
        self.retryOrFail(exchange, kind: kind)
    }

    /// After a failed attempt: another server if the rules and the budget allow, else the error.
    func retryOrFail(_ exchange: Exchange, kind: AttemptFailure) {
        exchange.lastFailure = kind
        if kind != .connectFailed {
            exchange.onlyConnectFailures = false
        }
        exchange.tried.insert(exchange.serverIndex)
        exchange.upstream = nil
        if let group = exchange.group, self.mayRetry(exchange, kind: kind, group: group) {
            exchange.requestForwardedComplete = false
            exchange.bodyBytesForwarded = 0
            exchange.upstreamStart = nil
            self.forwardToUpstream(exchange)
            return
        }
        self.failAfterAttempts(exchange)
    }

    private func mayRetry(_ exchange: Exchange, kind: AttemptFailure, group: UpstreamGroupRuntime) -> Bool {
        let elapsed = exchange.firstAttemptStart.map { NIODeadline.now() - $0 } ?? .zero
        let decision = RetryDecider.decide(
            method: exchange.method.rawValue,
            failure: kind,
            responseStarted: exchange.responseStarted,
            bodyReplayable: exchange.bodyReplayable,
            attemptsMade: exchange.attempts,
            elapsedNanos: elapsed.nanoseconds,
            config: group.config.retries
        )
        guard decision == .retry else { return false }
        let index = exchange.groupIndex
        guard self.worker.hasCurrentState(for: group, at: index) else { return true }
        return self.worker.groupStates[index].budget.tryAcquireRetry(now: Self.uptimeNanos())
    }

    /// No (more) attempts: 504 after a timeout, 503 when no server could be reached at
    /// all (HAProxy's and Envoy's convention), 502 when a server answered badly.
    private func failAfterAttempts(_ exchange: Exchange) {
        if exchange.lastFailure == .timedOut {
            self.failExchange(exchange, status: .gatewayTimeout, detail: "the upstream server did not answer in time")
        } else if exchange.onlyConnectFailures {
            self.failExchange(exchange, status: .serviceUnavailable, detail: "no upstream server could be reached")
        } else {
            self.failExchange(exchange, status: .badGateway, detail: "the upstream server failed to answer")
        }
    }

    /// Answers with a Portico error page; the rest of the request body (if any) is read
    /// and dropped, or the connection closes (`respondLocally` decides by how much is left).
    func failExchange(_ exchange: Exchange, status: HTTPResponseStatus, detail: String?) {
        if exchange.cache != nil, self.cacheAnswersFailure(exchange, status: status) {
            return  // a stored response was served instead (stale-if-error)
        }
        exchange.bodyTarget = .discard
        self.respondLocally(exchange, error: status, detail: detail)
        if !self.isClosing {
            self.processInbound()
        }
    }

    static func describe(_ failure: UpstreamFailure) -> String {
        switch failure {
        case .connectFailed(let reason): return "connect failed: \(reason)"
        case .closedBeforeResponse: return "connection closed before the response"
        case .closedMidResponse: return "connection closed during the response"
        case .malformedResponse(let reason): return "malformed response: \(reason)"
        case .headerTimeout: return "response header timeout"
        case .idleTimeout: return "read timeout"
        }
    }
}
