import PorticoCore
import Testing

struct RetryDeciderTests {
    static let second: Int64 = 1_000_000_000
    static let config = RetryConfig(maxAttempts: 3, tryTimeout: .seconds(15))

    static let idempotent = ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]
    static let nonIdempotent = ["POST", "PATCH", "CONNECT", "PROPFIND", "get"]
    static let allFailures: [AttemptFailure] = [
        .connectFailed, .reusedConnectionClosed, .closedBeforeResponse, .timedOut, .retryableStatus(503),
    ]

    private static func decide(
        _ method: String,
        _ failure: AttemptFailure,
        started: Bool = false,
        replayable: Bool = true,
        attempts: Int = 1,
        elapsed: Int64 = 0,
        config: RetryConfig = config
    ) -> RetryDecision {
        RetryDecider.decide(
            method: method, failure: failure, responseStarted: started, bodyReplayable: replayable,
            attemptsMade: attempts, elapsedNanos: elapsed, config: config
        )
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var method: String
        var failure: AttemptFailure
        var started = false
        var replayable = true
        var attempts = 1
        var elapsedSeconds: Int64 = 0
        var expected: RetryDecision
        var testDescription: String {
            "\(method) \(failure) started=\(started) replayable=\(replayable) attempts=\(attempts) elapsed=\(elapsedSeconds)s → \(expected)"
        }
    }

    @Test(arguments: [
        // Not processed by the server: any method.
        Row(method: "GET", failure: .connectFailed, expected: .retry),
        Row(method: "POST", failure: .connectFailed, expected: .retry),
        Row(method: "PATCH", failure: .reusedConnectionClosed, expected: .retry),
        Row(method: "POST", failure: .reusedConnectionClosed, expected: .retry),
        // Maybe processed: idempotent only.
        Row(method: "GET", failure: .closedBeforeResponse, expected: .retry),
        Row(method: "PUT", failure: .timedOut, expected: .retry),
        Row(method: "DELETE", failure: .retryableStatus(502), expected: .retry),
        Row(method: "POST", failure: .closedBeforeResponse, expected: .fail(.notIdempotent)),
        Row(method: "POST", failure: .timedOut, expected: .fail(.notIdempotent)),
        Row(method: "PATCH", failure: .retryableStatus(503), expected: .fail(.notIdempotent)),
        // Body no longer held.
        Row(method: "POST", failure: .connectFailed, replayable: false, expected: .fail(.bodyNotReplayable)),
        Row(method: "PUT", failure: .timedOut, replayable: false, expected: .fail(.bodyNotReplayable)),
        // Non-idempotent wins over an unreplayable body (both refuse).
        Row(method: "POST", failure: .timedOut, replayable: false, expected: .fail(.notIdempotent)),
        // Response started: never.
        Row(method: "GET", failure: .connectFailed, started: true, expected: .fail(.responseStarted)),
        Row(method: "GET", failure: .timedOut, started: true, attempts: 9, elapsedSeconds: 99, expected: .fail(.responseStarted)),
        // Attempts.
        Row(method: "GET", failure: .connectFailed, attempts: 2, expected: .retry),
        Row(method: "GET", failure: .connectFailed, attempts: 3, expected: .fail(.attemptsExhausted)),
        Row(method: "GET", failure: .connectFailed, attempts: 4, expected: .fail(.attemptsExhausted)),
        Row(method: "POST", failure: .timedOut, attempts: 3, expected: .fail(.attemptsExhausted)),
        // Try timeout.
        Row(method: "GET", failure: .timedOut, elapsedSeconds: 14, expected: .retry),
        Row(method: "GET", failure: .timedOut, elapsedSeconds: 15, expected: .fail(.tryTimeoutExpired)),
        Row(method: "POST", failure: .connectFailed, elapsedSeconds: 20, expected: .fail(.tryTimeoutExpired)),
        Row(method: "GET", failure: .timedOut, attempts: 3, elapsedSeconds: 20, expected: .fail(.attemptsExhausted)),
    ])
    func table(_ row: Row) {
        #expect(
            Self.decide(
                row.method, row.failure, started: row.started, replayable: row.replayable,
                attempts: row.attempts, elapsed: row.elapsedSeconds * Self.second
            ) == row.expected
        )
    }

    /// Every combination of method × failure × responseStarted × replayable ×
    /// attempts × elapsed, against the rules in their documented order.
    @Test func exhaustiveCombinations() {
        var retries = 0
        var count = 0
        for method in Self.idempotent + Self.nonIdempotent {
            for failure in Self.allFailures {
                for started in [false, true] {
                    for replayable in [false, true] {
                        for attempts in 1...4 {
                            for elapsed: Int64 in [0, 14, 15, 16] {
                                count += 1
                                let decision = Self.decide(
                                    method, failure, started: started, replayable: replayable,
                                    attempts: attempts, elapsed: elapsed * Self.second
                                )
                                let expected: RetryDecision
                                let safeKind = failure == .connectFailed || failure == .reusedConnectionClosed
                                if started {
                                    expected = .fail(.responseStarted)
                                } else if attempts >= 3 {
                                    expected = .fail(.attemptsExhausted)
                                } else if elapsed >= 15 {
                                    expected = .fail(.tryTimeoutExpired)
                                } else if !safeKind, !Self.idempotent.contains(method) {
                                    expected = .fail(.notIdempotent)
                                } else if !replayable {
                                    expected = .fail(.bodyNotReplayable)
                                } else {
                                    expected = .retry
                                }
                                #expect(decision == expected, "\(method) \(failure) \(started) \(replayable) \(attempts) \(elapsed)")
                                if decision == .retry { retries += 1 }
                            }
                        }
                    }
                }
            }
        }
        #expect(count == 11 * 5 * 2 * 2 * 4 * 4)
        // Retries: not started, replayable, attempts 1–2, elapsed 0 or 14 s; all 11 methods
        // for the 2 safe kinds, the 6 idempotent ones for the other 3.
        #expect(retries == (11 * 2 + 6 * 3) * 2 * 2)
    }

    @Test func noTryTimeoutMeansNoTimeLimit() {
        let config = RetryConfig(maxAttempts: 3, tryTimeout: nil)
        #expect(Self.decide("GET", .timedOut, elapsed: Int64.max, config: config) == .retry)
    }

    @Test func maxAttemptsOneDisablesRetries() {
        let config = RetryConfig(maxAttempts: 1)
        for failure in Self.allFailures {
            #expect(Self.decide("GET", failure, config: config) == .fail(.attemptsExhausted))
        }
    }

    @Test func idempotentMethods() {
        for method in Self.idempotent { #expect(RetryDecider.isIdempotent(method)) }
        for method in Self.nonIdempotent { #expect(!RetryDecider.isIdempotent(method)) }
    }
}
