/// The verdict of one active health probe and a short, human-readable reason for logs and
/// the admin view: `HTTP 200`, `status 503 not in 200-399`, `timed out after 2s`,
/// `connect failed: connection refused`, `body does not contain "ok"`.
public struct ProbeResult: Sendable, Equatable {
    public var passed: Bool
    public var reason: String

    public init(passed: Bool, reason: String) {
        self.passed = passed
        self.reason = reason
    }

    static func pass(_ reason: String) -> ProbeResult { ProbeResult(passed: true, reason: reason) }
    static func fail(_ reason: String) -> ProbeResult { ProbeResult(passed: false, reason: reason) }
}
