/// How one upstream attempt failed, as far as the retry decision is concerned.
public enum AttemptFailure: Sendable, Equatable {
    /// The TCP connect failed or timed out: the server never saw the request.
    case connectFailed
    /// A pooled (reused) connection closed before any response byte: the server most likely
    /// closed it as idle while the request was on its way (RFC 9112 §9.3.1), so it did not
    /// process the request.
    case reusedConnectionClosed
    /// A fresh connection closed before any response byte: the server may have processed
    /// the request and crashed, so only an idempotent request may be sent again.
    case closedBeforeResponse
    /// No response in time (header or idle timeout); the server may still be processing it.
    case timedOut
    /// The upstream answered with one of `retries.on_statuses` (the caller only reports
    /// statuses from that list).
    case retryableStatus(Int)
}

/// Why a failed attempt is not tried again.
public enum RetryRefusal: Sendable, Equatable {
    /// A response byte already went to the client: the response cannot be replaced.
    case responseStarted
    /// `retries.max_attempts` tries have been made.
    case attemptsExhausted
    /// `retries.try_timeout` has passed since the first attempt started.
    case tryTimeoutExpired
    /// The server may have processed the request and the method is not idempotent.
    case notIdempotent
    /// Part of the request body has been sent and is no longer held for replay.
    case bodyNotReplayable
}

/// The outcome of `RetryDecider.decide`.
public enum RetryDecision: Sendable, Equatable {
    case retry
    case fail(RetryRefusal)
}

/// Whether a failed upstream attempt may be tried again on another server.
///
/// The rules, checked in this order:
/// 1. Never once the response has started: bytes already went to the client.
/// 2. At most `max_attempts` tries in all, and no new try once `try_timeout` has passed
///    since the first one started (so retries cannot stretch a request without bound).
/// 3. A failure where the server cannot have processed the request (connect failure, or a
///    reused connection closed before any response byte, RFC 9112 §9.3.1) is retried for
///    any method, POST included.
/// 4. Any other failure (a fresh connection closed, a timeout, a retryable status) may have
///    had effects on the server, so only idempotent methods are retried (RFC 9110 §9.2.2:
///    a client "SHOULD NOT automatically retry a request with a non-idempotent method").
/// 5. In every case the request body must still be replayable (fully buffered).
///
/// The group's retry budget (`RetryBudget`) is checked by the caller after a `.retry`, so a
/// refused decision does not consume budget.
public struct RetryDecider: Sendable {
    /// Whether `method` (an uppercase token; methods are case-sensitive, RFC 9110 §9.1) is
    /// one of the idempotent methods of RFC 9110 §9.2.2: the safe methods GET, HEAD, OPTIONS
    /// and TRACE, plus PUT and DELETE. Unknown methods are not.
    public static func isIdempotent(_ method: String) -> Bool {
        switch method {
        case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE": true
        default: false
        }
    }

    /// - Parameters:
    ///   - method: the request method, an uppercase token.
    ///   - failure: how the attempt that just ended failed.
    ///   - responseStarted: whether any response byte was sent to the client.
    ///   - bodyReplayable: whether the whole request body (if any) can be sent again.
    ///   - attemptsMade: tries made so far, the failed one included (1 after the first).
    ///   - elapsedNanos: time since the first attempt started.
    public static func decide(
        method: String,
        failure: AttemptFailure,
        responseStarted: Bool,
        bodyReplayable: Bool,
        attemptsMade: Int,
        elapsedNanos: Int64,
        config: RetryConfig
    ) -> RetryDecision {
        if responseStarted { return .fail(.responseStarted) }
        if attemptsMade >= config.maxAttempts { return .fail(.attemptsExhausted) }
        if let tryTimeout = config.tryTimeout, elapsedNanos >= HealthTime.nanoseconds(tryTimeout) {
            return .fail(.tryTimeoutExpired)
        }
        switch failure {
        case .connectFailed, .reusedConnectionClosed:
            break  // the server did not process the request: any method
        case .closedBeforeResponse, .timedOut, .retryableStatus:
            guard isIdempotent(method) else { return .fail(.notIdempotent) }
        }
        return bodyReplayable ? .retry : .fail(.bodyNotReplayable)
    }
}
