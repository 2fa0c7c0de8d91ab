import NIOCore
import PorticoCore

/// Connection-level edge security: admission on accept (listener access list,
/// `max_connections`, `max_connections_per_ip`, `security.max_connections` with idle
/// eviction), the PROXY protocol header, the send timeout and the minimum request-body
/// rate. See docs/security-connections.md.
///
/// Everything here costs nothing on a listener without these settings: the checks
/// are behind one flag test on accept, the extra timers are created lazily.
extension DownstreamHandler {
    // MARK: Admission

    /// Runs the checks that can run on accept. On refusal the connection is closed at
    /// once (nothing read, nothing written) and false is returned.
    func admitOnAccept() -> Bool {
        if let refusal = self.admission.admitOnAccept(listener: self.listener, peerIP: self.peerIP, worker: self.worker) {
            self.refuseConnection(refusal)
            return false
        }
        if self.listener.global != nil {
            self.idleSince = self.worker.eventLoop.now
        }
        if self.listener.proxyProtocol {
            self.awaitingProxyHeader = true
        }
        return true
    }

    /// The checks that depend on the client's address: on accept, or, with the PROXY
    /// protocol, once the header named the client.
    func admitClientAddress() -> ListenerRuntime.Refusal? {
        self.admission.admitClientAddress(listener: self.listener, peerIP: self.peerIP)
    }

    /// Closes a connection that may not be served, without a response.
    func refuseConnection(_ reason: ListenerRuntime.Refusal) {
        self.listener.noteRefused(reason, client: self.clientAddress)
        self.isClosing = true
        self.awaitingProxyHeader = false
        self.timerPurpose = .none
        self.timer?.cancel()
        self.inbound = Self.emptyBuffer
        self.releaseConnectionSlots()
        self.context?.close(promise: nil)
    }

    /// Returns every slot this connection holds; safe to call more than once.
    func releaseConnectionSlots() {
        self.admission.release(listener: self.listener)
    }

    // MARK: Idle eviction (security.max_connections)

    /// Waiting for a request (its first, or the next on a keep-alive connection), with
    /// nothing buffered: closing it loses no work.
    var isIdleForEviction: Bool {
        !self.isClosing && !self.awaitingProxyHeader && self.exchange == nil
            && self.inbound.readableBytes == 0 && self.admission.holdsGlobalSlot && self.context != nil
    }

    /// Closes this idle connection to make room for a new one, which takes over its
    /// `security.max_connections` slot (so the count never exceeds the cap, and each
    /// slot is released exactly once, by whoever holds it last).
    func evictForCapacity() {
        self.admission.holdsGlobalSlot = false
        self.listener.noteEvicted()
        self.isClosing = true
        self.timer?.cancel()
        self.context?.close(promise: nil)
    }

    // MARK: PROXY protocol

    /// Collects and parses the PROXY header; the bytes after it go to the HTTP parser.
    /// The wait is bounded by the header timeout armed on accept.
    func receiveProxyHeader(_ bytes: inout ByteBuffer) {
        if self.inbound.readableBytes == 0 {
            self.inbound = bytes
        } else {
            self.inbound.writeBuffer(&bytes)
        }
        switch ProxyProtocol.parse(&self.inbound) {
        case .needMoreData:
            return
        case .invalid:
            // §2.1: a connection whose header does not match is dropped, unanswered.
            self.refuseConnection(.proxyProtocol)
        case .header(let header):
            self.awaitingProxyHeader = false
            if !header.isLocal, let source = header.source {
                self.peerIP = source
                self.clientAddress = source.description
            }
            if let refusal = self.admitClientAddress() {
                self.refuseConnection(refusal)
                return
            }
            if self.inbound.readableBytes > 0 {
                // The first bytes of the request head: its header timeout starts now.
                self.timer?.arm(self.settings.clientHeaderTimeout)
            }
            self.processInbound()
        }
    }

    // MARK: Send timeout (timeouts.client_send)

    /// The client is not taking response bytes as fast as they come: it gets
    /// `client_send` to start reading again before the connection is closed.
    func clientStoppedReading() {
        let timeout = self.settings.clientSendTimeout
        guard timeout > .zero, !self.isClosing, let context = self.context else { return }
        if self.sendTimer == nil {
            // Strong capture, broken in handlerRemoved (see handlerAdded).
            self.sendTimer = LazyDeadlineTimer(eventLoop: context.eventLoop) { [self] in
                self.sendTimerExpired()
            }
        }
        self.sendTimer?.arm(timeout)
    }

    private func sendTimerExpired() {
        guard let context = self.context, !context.channel.isWritable else { return }
        self.listener.logger.debug(
            "client not reading: send timeout",
            metadata: ["listener": "\(self.listener.name)", "client": "\(self.clientAddress)"]
        )
        self.isClosing = true
        context.close(promise: nil)
    }

    func cancelSecondaryTimers() {
        self.sendTimer?.cancel()
        self.sendTimer = nil
        self.rateTimer?.cancel()
        self.rateTimer = nil
        self.bodyRate = nil
    }

    // MARK: Minimum body rate (timeouts.client_min_body_rate)

    private var nowNanos: Int64 {
        Int64(truncatingIfNeeded: self.worker.eventLoop.now.uptimeNanoseconds)
    }

    /// After a new head: if a body follows, the rate clock starts (with its grace period).
    func startBodyRateIfBodyExpected() {
        guard let exchange = self.exchange, !exchange.requestComplete, !self.isClosing,
            let context = self.context
        else { return }
        let settings = self.settings
        var tracker = DataRateTracker(
            minBytesPerSecond: settings.clientMinBodyRate,
            gracePeriodNanos: settings.clientMinBodyRateGraceNanos
        )
        let now = self.nowNanos
        tracker.start(now: now)
        // Body bytes that came with the head count too.
        tracker.record(bytes: self.inbound.readableBytes, now: now)
        if self.heldRead {
            tracker.pause(now: now)
        }
        self.bodyRate = tracker
        if self.rateTimer == nil {
            self.rateTimer = LazyDeadlineTimer(eventLoop: context.eventLoop) { [self] in
                self.rateTimerExpired()
            }
        }
        self.armRateTimer()
    }

    func recordBodyBytes(_ count: Int) {
        guard self.bodyRate?.isStarted == true else { return }
        self.bodyRate?.record(bytes: count, now: self.nowNanos)
        self.armRateTimer()
    }

    func pauseBodyRate() {
        guard self.bodyRate?.isStarted == true else { return }
        self.bodyRate?.pause(now: self.nowNanos)
        self.rateTimer?.disarm()
    }

    func resumeBodyRate() {
        guard self.bodyRate?.pausedAt != nil else { return }
        self.bodyRate?.resume(now: self.nowNanos)
        self.armRateTimer()
    }

    /// Called after inbound processing: the rate applies only while a body is awaited.
    func stopBodyRateIfBodyDone() {
        guard self.bodyRate?.isStarted == true else { return }
        if let exchange = self.exchange, !exchange.requestComplete { return }
        self.stopBodyRate()
    }

    func stopBodyRate() {
        guard self.bodyRate != nil else { return }
        self.bodyRate = nil
        self.rateTimer?.disarm()
    }

    private func armRateTimer() {
        guard let tracker = self.bodyRate, tracker.isStarted, tracker.pausedAt == nil else {
            self.rateTimer?.disarm()
            return
        }
        let remaining = max(0, tracker.deadline &- self.nowNanos)
        // One nanosecond past the deadline: the client is too slow only *after* it.
        self.rateTimer?.arm(.nanoseconds(remaining < .max ? remaining + 1 : remaining))
    }

    private func rateTimerExpired() {
        guard let tracker = self.bodyRate, tracker.isStarted, !self.isClosing else { return }
        guard let exchange = self.exchange, !exchange.requestComplete else {
            self.stopBodyRate()
            return
        }
        if tracker.isTooSlow(now: self.nowNanos) {
            self.listener.logger.debug(
                "request body below client_min_body_rate",
                metadata: ["listener": "\(self.listener.name)", "client": "\(self.clientAddress)"]
            )
            self.requestBodyTimedOut()
        } else {
            self.armRateTimer()
        }
    }
}
