import NIOCore
import PorticoCore

/// Per-request balancing inputs, in-flight accounting, the replay buffer and the
/// upstream request head (which depends on the chosen server when `Host` does).
extension DownstreamHandler {
    /// Records the request in the group's retry budget and computes what the policy
    /// needs from the request: the hash key (`consistent_hash`) or the sticky cookie.
    func prepareBalancing(_ exchange: Exchange, group: UpstreamGroupRuntime) {
        let index = exchange.groupIndex
        // The request's start time, not a fresh clock read: one fewer per request.
        let now = Int64(truncatingIfNeeded: exchange.startTime.uptimeNanoseconds)
        guard self.worker.hasCurrentState(for: group, at: index) else {
            exchange.members = group.members
            return
        }
        self.worker.groupStates[index].refresh(from: group)
        self.worker.groupStates[index].budget.recordRequest(now: now)
        let members = self.worker.groupStates[index].members
        exchange.members = members
        switch group.config.balance {
        case .consistentHash:
            exchange.balanceRequest.hashKey = BalanceKey.hash(
                source: group.config.hashKey, head: exchange.head, clientIP: exchange.clientIP
            )
        case .sticky:
            if let value = exchange.head.cookieValue(named: group.config.sticky.cookieName) {
                let token = Substring(String(decoding: value, as: UTF8.self))
                exchange.stickyToken = token
                exchange.balanceRequest.stickyServer = members.stickyIndexByToken[String(token)]
            }
        default:
            break
        }
    }

    /// Monotonic nanoseconds, the clock of passive health and the retry budget.
    @inline(__always)
    static func uptimeNanos() -> Int64 {
        Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds)
    }

    /// Starts counting the request against `server` (only when something reads the count).
    func beginAttempt(_ exchange: Exchange, on server: UpstreamServer, group: UpstreamGroupRuntime) {
        exchange.server = server
        exchange.attempts += 1
        exchange.upstreamAddress = server.identity
        if group.countsInFlight {
            server.state.inFlight.wrappingAdd(1, ordering: .relaxed)
            exchange.inFlightState = server.state
        }
    }

    /// The current attempt is over (response complete, failed, or abandoned): give its
    /// slot back and let a queued request have it. Idempotent.
    func endAttempt(_ exchange: Exchange) {
        guard let state = exchange.inFlightState else { return }
        exchange.inFlightState = nil
        state.inFlight.wrappingSubtract(1, ordering: .relaxed)
        exchange.group?.waitQueue.slotFreed()
    }

    /// Keeps a copy of forwarded body bytes while they fit the replay buffer, so the
    /// request can go to another server if this attempt fails before any response.
    @inline(__always)
    func keepForReplay(_ bytes: ByteBuffer, _ exchange: Exchange) {
        guard !exchange.replayOverflowed, let group = exchange.group else { return }
        let limit = group.config.retries.replayBufferBytes
        let kept = exchange.replay?.readableBytes ?? 0
        var fits = kept + bytes.readableBytes <= limit
        if fits, kept == 0, case .contentLength(let total) = exchange.head.framing, total > limit {
            fits = false  // it will not fit: do not copy the first part only to drop it
        }
        guard group.config.retries.maxAttempts > 1, fits else {
            exchange.replayOverflowed = true
            exchange.replay = nil
            return
        }
        if exchange.replay == nil {
            exchange.replay = ByteBuffer()
        }
        exchange.replay!.writeImmutableBuffer(bytes)
    }

    /// Writes the upstream request head for `server`, once per exchange unless `Host`
    /// names the server (then once per attempt, so a retry names the right server).
    /// A reused head gets the attempt's span id patched in.
    func prepareUpstreamHead(_ exchange: Exchange, for server: UpstreamServer) {
        let host: String?
        switch exchange.hostSource {
        case .keep:
            if exchange.upstreamHead != nil { return self.refreshAttemptSpan(in: exchange) }
            host = nil
        case .fixed(let value):
            if exchange.upstreamHead != nil { return self.refreshAttemptSpan(in: exchange) }
            host = value
        case .server:
            host = server.hostHeader
        }
        var upstreamHead = ProxyWorker.take(&self.worker.requestHeadScratch)
        exchange.traceParentOffset = WireHeadWriter.writeRequest(
            exchange.head,
            edits: .init(
                target: exchange.upstreamTarget,
                host: host,
                forwardedHost: exchange.host.isEmpty ? nil : exchange.host,
                clientAddress: self.clientAddress,
                proto: self.scheme,
                rules: exchange.route?.requestRules ?? .none,
                trustForwarded: self.peerIsTrustedProxy,
                extraFields: exchange.requestExtraFields,
                dropAuthorization: exchange.stripAuthorization,
                requestID: exchange.requestID,
                trace: exchange.trace,
                keepTraceState: exchange.trace == nil || exchange.keepTraceState,
                upgrade: exchange.upgrade != nil
            ),
            into: &upstreamHead
        )
        exchange.upstreamHead = upstreamHead
        self.worker.requestHeadScratch = upstreamHead
    }

    // MARK: Waiting for a free server (max_connections)

    /// Every server that could take the request is full: wait in the group's queue.
    func enqueue(_ exchange: Exchange, group: UpstreamGroupRuntime) {
        guard let context = self.context else { return }
        let id = group.waitQueue.makeID()
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let waiter = GroupWaitQueue.Waiter(id: id, eventLoop: context.eventLoop) {
            bound.value.queuedRequestMayProceed(id: id, group: group)
        }
        guard group.waitQueue.enqueue(waiter) else {
            self.failExchange(exchange, status: .serviceUnavailable, detail: "all upstream servers are busy")
            return
        }
        exchange.queueID = id
        exchange.queueTimeout = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(
            in: TimeAmount(group.config.queue.timeout)
        ) { [self] in
            // Strong on purpose (no weak side table on a hot object); `leaveQueue`
            // cancels this task when the exchange or the connection ends.
            self.queuedRequestTimedOut(id: id)
        }
    }

    private func queuedRequestMayProceed(id: UInt64, group: UpstreamGroupRuntime) {
        guard let exchange = self.exchange, exchange.queueID == id, !self.isClosing else {
            // This waiter gave up meanwhile; pass the freed slot on.
            group.waitQueue.slotFreed()
            return
        }
        exchange.queueID = nil
        exchange.queueTimeout?.cancel()
        exchange.queueTimeout = nil
        self.forwardToUpstream(exchange)
    }

    private func queuedRequestTimedOut(id: UInt64) {
        guard let exchange = self.exchange, exchange.queueID == id else { return }
        exchange.queueID = nil
        exchange.queueTimeout = nil
        exchange.group?.waitQueue.remove(id: id)
        self.failExchange(exchange, status: .serviceUnavailable, detail: "all upstream servers stayed busy")
    }

    /// The client left (or the exchange ended) while queued.
    func leaveQueue(_ exchange: Exchange) {
        guard let id = exchange.queueID else { return }
        exchange.queueID = nil
        exchange.queueTimeout?.cancel()
        exchange.queueTimeout = nil
        exchange.group?.waitQueue.remove(id: id)
    }
}
