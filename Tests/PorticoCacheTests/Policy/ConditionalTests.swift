import PorticoCache
import Testing

@Suite("Client conditional requests (RFC 9110 §13.1, §13.2.2)")
struct ConditionalTests {
    private let response = storedResponse([("ETag", "\"v2\""), ("Last-Modified", httpDate(-1_000))])

    private func outcome(_ request: [(String, String)], method: String = "GET") -> ConditionalOutcome {
        CachePolicy.evaluateConditional(request: HeaderList(request), method: method, response: self.response)
    }

    @Test(
        "§13.1.2 If-None-Match uses weak comparison; * matches",
        arguments: ["\"v2\"", "W/\"v2\"", "\"v1\", \"v2\"", "*"]
    )
    func ifNoneMatch(value: String) {
        #expect(outcome([("If-None-Match", value)]) == .notModified)
        #expect(outcome([("If-None-Match", value)], method: "HEAD") == .notModified)
    }

    @Test("§13.1.2 If-None-Match that matches on another method is 412")
    func ifNoneMatchUnsafe() {
        #expect(outcome([("If-None-Match", "\"v2\"")], method: "POST") == .preconditionFailed)
        #expect(outcome([("If-None-Match", "\"v1\"")]) == .unconditional)
    }

    @Test("§13.1.1 If-Match uses strong comparison", arguments: [("\"v2\"", true), ("W/\"v2\"", false), ("\"v1\"", false), ("*", true)])
    func ifMatch(value: String, holds: Bool) {
        #expect(outcome([("If-Match", value)]) == (holds ? .unconditional : .preconditionFailed))
    }

    @Test("§13.1.4 If-Unmodified-Since: 412 when modified since; ignored with If-Match (§13.2.2)")
    func ifUnmodifiedSince() {
        #expect(outcome([("If-Unmodified-Since", httpDate(-2_000))]) == .preconditionFailed)
        #expect(outcome([("If-Unmodified-Since", httpDate(-1_000))]) == .unconditional)
        #expect(outcome([("If-Match", "\"v2\""), ("If-Unmodified-Since", httpDate(-2_000))]) == .unconditional)
        #expect(outcome([("If-Unmodified-Since", "garbage")]) == .unconditional)
    }

    @Test("§13.1.3 If-Modified-Since: 304 when not modified since; GET/HEAD only")
    func ifModifiedSince() {
        #expect(outcome([("If-Modified-Since", httpDate(-1_000))]) == .notModified)
        #expect(outcome([("If-Modified-Since", httpDate(-500))]) == .notModified)
        #expect(outcome([("If-Modified-Since", httpDate(-2_000))]) == .unconditional)
        #expect(outcome([("If-Modified-Since", httpDate(-500))], method: "POST") == .unconditional)
        #expect(outcome([("If-Modified-Since", "0")]) == .unconditional)
    }

    @Test("§13.2.2 If-None-Match takes precedence over If-Modified-Since")
    func precedence() {
        #expect(outcome([("If-None-Match", "\"v1\""), ("If-Modified-Since", httpDate(0))]) == .unconditional)
        #expect(outcome([("If-Match", "\"v1\""), ("If-None-Match", "\"v2\"")]) == .preconditionFailed)
    }

    @Test("§13.2.1 preconditions are ignored for a non-2xx stored response")
    func non2xx() {
        let notFound = storedResponse(status: 404, [("ETag", "\"v2\"")])
        #expect(
            CachePolicy.evaluateConditional(request: HeaderList([("If-None-Match", "*")]), method: "GET", response: notFound)
                == .unconditional)
    }
}
