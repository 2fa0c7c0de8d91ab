import PorticoCache
import Testing

@Suite("Invalidation (RFC 9111 §4.4)")
struct InvalidationTests {
    private func targets(method: String = "POST", status: Int = 200, _ headers: [(String, String)] = []) -> [String] {
        CachePolicy.invalidationTargets(
            method: method,
            status: status,
            requestURL: "https://example.com/a/b?x=1",
            responseHeaders: HeaderList(headers)
        )
    }

    @Test("§4.4 unsafe methods invalidate the target URI", arguments: ["POST", "PUT", "DELETE", "PATCH", "PURGE"])
    func unsafe(method: String) {
        #expect(targets(method: method) == ["https://example.com/a/b?x=1"])
    }

    @Test("§4.4 safe methods invalidate nothing", arguments: ["GET", "HEAD", "OPTIONS", "TRACE"])
    func safe(method: String) {
        #expect(targets(method: method).isEmpty)
    }

    @Test("§4.4 only after a non-error (2xx/3xx) response", arguments: [(204, true), (303, true), (404, false), (500, false), (100, false)])
    func statuses(status: Int, invalidates: Bool) {
        #expect(targets(status: status).isEmpty == !invalidates)
    }

    @Test("§4.4 Location and Content-Location on the same origin, relative ones resolved")
    func sameOrigin() {
        let result = targets([("Location", "../c?y=2"), ("Content-Location", "https://EXAMPLE.com:443/d#frag")])
        #expect(result == ["https://example.com/a/b?x=1", "https://example.com/c?y=2", "https://example.com/d"])
        #expect(targets([("Location", "/z")]) == ["https://example.com/a/b?x=1", "https://example.com/z"])
        #expect(targets([("Location", "?q")]) == ["https://example.com/a/b?x=1", "https://example.com/a/b?q"])
    }

    @Test(
        "§4.4 other origins (scheme, host or port) are not invalidated",
        arguments: ["http://example.com/a", "https://other.com/a", "https://example.com:8443/a", "//other.com/x"]
    )
    func otherOrigin(location: String) {
        #expect(targets([("Location", location)]) == ["https://example.com/a/b?x=1"])
    }
}
