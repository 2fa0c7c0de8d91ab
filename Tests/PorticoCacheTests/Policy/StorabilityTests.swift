import PorticoCache
import PorticoCore
import Testing

@Suite("Storability (RFC 9111 §3)")
struct StorabilityTests {
    private func storability(
        method: String = "GET",
        request: [(String, String)] = [],
        status: Int = 200,
        _ response: [(String, String)] = [("Cache-Control", "max-age=60")]
    ) -> Storability {
        CachePolicy.storability(
            requestMethod: method,
            requestHeaders: HeaderList(request),
            status: status,
            responseHeaders: HeaderList(response),
            options: defaultOptions
        )
    }

    @Test("§3 only GET responses are stored (HEAD is served from the GET's entry)", arguments: ["HEAD", "POST", "PUT", "get"])
    func method(method: String) {
        #expect(storability(method: method) == .notStorable(reason: "method"))
    }

    @Test("§3 final, understood statuses are stored", arguments: [200, 203, 204, 300, 301, 302, 307, 308, 404, 405, 410, 414, 501])
    func storedStatuses(status: Int) {
        #expect(storability(status: status) == .storable)
    }

    @Test("§3 206, 304 and other statuses are not stored (§3.3, §3.4)", arguments: [100, 206, 304, 400, 500, 502, 503, 299])
    func unstoredStatuses(status: Int) {
        #expect(storability(status: status) == .notStorable(reason: "status"))
    }

    @Test("§5.2.2.5 response no-store is not stored")
    func noStore() {
        #expect(storability([("Cache-Control", "no-store, max-age=60")]) == .notStorable(reason: "no-store"))
    }

    @Test("§5.2.2.3 must-understand with an understood status overrides no-store")
    func mustUnderstand() {
        #expect(storability([("Cache-Control", "must-understand, no-store, max-age=60")]) == .storable)
        #expect(
            storability(status: 206, [("Cache-Control", "must-understand, no-store, max-age=60")])
                == .notStorable(reason: "status"))
    }

    @Test("§5.2.1.5 request no-store is not stored")
    func requestNoStore() {
        #expect(storability(request: [("Cache-Control", "no-store")]) == .notStorable(reason: "request-no-store"))
    }

    @Test("§5.2.2.7 unqualified private is not stored by a shared cache; private=\"field\" is")
    func privateResponses() {
        #expect(storability([("Cache-Control", "private, max-age=60")]) == .notStorable(reason: "private"))
        #expect(storability([("Cache-Control", #"private="Set-Cookie", max-age=60"#)]) == .storable)
    }

    @Test(
        "§3.5 Authorization: stored only with must-revalidate, public or s-maxage",
        arguments: [
            ("max-age=60", false), ("must-revalidate, max-age=60", true), ("public", true), ("s-maxage=60", true),
        ]
    )
    func authorization(cacheControl: String, storable: Bool) {
        let result = storability(request: [("Authorization", "Bearer x")], [("Cache-Control", cacheControl)])
        #expect(result == (storable ? .storable : .notStorable(reason: "authorization")))
    }

    @Test("§4.1 Vary: * is never matched, so Portico does not store it")
    func varyStar() {
        #expect(
            storability([("Cache-Control", "max-age=60"), ("Vary", "Accept, *")]) == .notStorable(reason: "vary-star"))
    }

    @Test(
        "§3 needs explicit expiry, public, or a heuristically cacheable status",
        arguments: [
            (302, [(String, String)](), false), (302, [("Expires", "Thu, 01 Jan 2099 00:00:00 GMT")], true),
            (307, [("Cache-Control", "public")], true), (307, [("Cache-Control", "s-maxage=5")], true),
            (200, [], true), (404, [], true),
        ]
    )
    func needsFreshnessSource(status: Int, headers: [(String, String)], storable: Bool) {
        #expect(storability(status: status, headers) == (storable ? .storable : .notStorable(reason: "no-freshness")))
    }
}
