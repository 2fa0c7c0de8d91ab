import PorticoCore
import Testing

struct RateLimitHeadersTests {
    static let ms: Int64 = 1_000_000
    static let second: Int64 = 1_000_000_000

    static func lines(_ fields: [(String, String)]) -> [String] {
        fields.map { "\($0.0): \($0.1)" }
    }

    static func allowed(remaining: Int, reset: Int64) -> GCRADecision {
        GCRADecision(allowed: true, remaining: remaining, retryAfterNanos: 0, resetAfterNanos: reset)
    }

    static func rejected(retryAfter: Int64, reset: Int64) -> GCRADecision {
        GCRADecision(allowed: false, remaining: 0, retryAfterNanos: retryAfter, resetAfterNanos: reset)
    }

    @Test func allowedDecision() {
        let fields = RateLimitHeaders.fields(
            policyName: "default", limit: 100, windowSeconds: 60,
            decision: Self.allowed(remaining: 50, reset: 30 * Self.second)
        )
        #expect(Self.lines(fields) == [
            #"RateLimit-Policy: "default";q=100;w=60"#,
            #"RateLimit: "default";r=50;t=30"#,
        ])
    }

    @Test func resetRoundsUp() {
        func t(_ nanos: Int64) -> String {
            RateLimitHeaders.fields(policyName: "p", limit: 1, windowSeconds: 1, decision: Self.allowed(remaining: 0, reset: nanos))[1].1
        }
        #expect(t(0) == #""p";r=0;t=0"#)
        #expect(t(1) == #""p";r=0;t=1"#)
        #expect(t(29 * Self.second + 100 * Self.ms) == #""p";r=0;t=30"#)
        #expect(t(30 * Self.second) == #""p";r=0;t=30"#)
    }

    @Test func rejectedDecisionAddsRetryAfter() {
        let fields = RateLimitHeaders.fields(
            policyName: "api", limit: 10, windowSeconds: 1,
            decision: Self.rejected(retryAfter: 1_200 * Self.ms, reset: 5_500 * Self.ms)
        )
        #expect(Self.lines(fields) == [
            #"RateLimit-Policy: "api";q=10;w=1"#,
            #"RateLimit: "api";r=0;t=6"#,
            "Retry-After: 2",
        ])
    }

    @Test func retryAfterIsWholeSecondsRoundedUpAtLeastOne() {
        #expect(RateLimitHeaders.retryAfterSeconds(nanos: 0) == 1)
        #expect(RateLimitHeaders.retryAfterSeconds(nanos: 1) == 1)
        #expect(RateLimitHeaders.retryAfterSeconds(nanos: 100 * Self.ms) == 1)
        #expect(RateLimitHeaders.retryAfterSeconds(nanos: Self.second) == 1)
        #expect(RateLimitHeaders.retryAfterSeconds(nanos: Self.second + 1) == 2)
        #expect(RateLimitHeaders.retryAfterSeconds(nanos: 120 * Self.second) == 120)
        #expect(RateLimitHeaders.retryAfterSeconds(nanos: .max) == 9_223_372_037)
    }

    @Test func legacyFieldsOnRequest() {
        let decision = Self.rejected(retryAfter: 300 * Self.ms, reset: 2 * Self.second)
        let plain = RateLimitHeaders.fields(policyName: "p", limit: 5, windowSeconds: 1, decision: decision)
        #expect(!plain.contains { $0.0.hasPrefix("X-") })
        let legacy = RateLimitHeaders.fields(
            policyName: "p", limit: 5, windowSeconds: 1, decision: decision, includeLegacyFields: true
        )
        #expect(Self.lines(legacy) == [
            #"RateLimit-Policy: "p";q=5;w=1"#,
            #"RateLimit: "p";r=0;t=2"#,
            "Retry-After: 1",
            "X-RateLimit-Limit: 5",
            "X-RateLimit-Remaining: 0",
            "X-RateLimit-Reset: 2",
        ])
    }

    @Test func policyNameIsAStructuredFieldString() {
        func policy(_ name: String) -> String {
            RateLimitHeaders.fields(policyName: name, limit: 1, windowSeconds: 1, decision: Self.allowed(remaining: 1, reset: 0))[0].1
        }
        #expect(policy(#"a"b\c"#) == #""a\"b\\c";q=1;w=1"#)
        // Not printable ASCII: dropped (an sf-string cannot carry it; no header injection).
        #expect(policy("né\r\nX-Evil: 1") == #""nX-Evil: 1";q=1;w=1"#)
        #expect(policy("") == #""";q=1;w=1"#)
    }

    @Test func fromARealDecision() {
        let gcra = GCRA(ratePerSecond: 10, burst: 5)
        var tat = GCRA.initialTAT
        var last = gcra.check(tat: &tat, now: 0)
        for _ in 0..<6 { last = gcra.check(tat: &tat, now: 0) }
        let fields = RateLimitHeaders.fields(policyName: "ip", limit: 10, windowSeconds: 1, decision: last)
        #expect(Self.lines(fields) == [
            #"RateLimit-Policy: "ip";q=10;w=1"#,
            #"RateLimit: "ip";r=0;t=1"#,
            "Retry-After: 1",
        ])
    }
}
