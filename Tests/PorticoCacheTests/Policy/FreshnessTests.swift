import PorticoCache
import PorticoCore
import Testing

@Suite("Freshness lifetime (RFC 9111 §4.2.1, §4.2.2)")
struct FreshnessTests {
    private func lifetime(status: Int = 200, _ headers: [(String, String)], date: Bool = true, options: RouteCacheConfig = defaultOptions)
        -> Double
    {
        CachePolicy.freshnessLifetime(storedResponse(status: status, headers, date: date), options: options)
    }

    @Test("§4.2.1 s-maxage overrides max-age and Expires for a shared cache")
    func sMaxAgeWins() {
        #expect(lifetime([("Cache-Control", "max-age=10, s-maxage=100"), ("Expires", httpDate(1000))]) == 100)
    }

    @Test("§4.2.1 max-age overrides Expires")
    func maxAgeOverExpires() {
        #expect(lifetime([("Cache-Control", "max-age=10"), ("Expires", httpDate(1000))]) == 10)
    }

    @Test("§4.2.1 Expires minus Date")
    func expiresMinusDate() {
        #expect(lifetime([("Date", httpDate(-30)), ("Expires", httpDate(570))]) == 600)
    }

    @Test("§4.2.1 Expires minus response_time when Date is absent")
    func expiresWithoutDate() {
        #expect(lifetime([("Expires", httpDate(300))], date: false) == 300)
    }

    @Test("§5.3 an invalid Expires (\"0\") is already expired, and no heuristic applies", arguments: ["0", "-1", "soon"])
    func invalidExpires(value: String) {
        #expect(lifetime([("Expires", value), ("Last-Modified", httpDate(-100_000))]) == 0)
    }

    @Test("§4.2.1 an Expires before Date gives zero, never negative")
    func expiresInThePast() {
        #expect(lifetime([("Expires", httpDate(-60))]) == 0)
    }

    @Test("§4.2.2 heuristic: fraction of (Date − Last-Modified)")
    func heuristic() {
        #expect(lifetime([("Last-Modified", httpDate(-10_000))]) == 1_000)
    }

    @Test("§4.2.2 heuristic is capped by heuristic_max")
    func heuristicCap() {
        let options = RouteCacheConfig(heuristicMaxSeconds: 3_600)
        #expect(lifetime([("Last-Modified", httpDate(-10_000_000))], options: options) == 3_600)
    }

    @Test("§4.2.2 heuristic only without explicit freshness")
    func heuristicOnlyWithoutExplicit() {
        #expect(lifetime([("Cache-Control", "max-age=5"), ("Last-Modified", httpDate(-10_000))]) == 5)
    }

    @Test("§4.2.2 heuristic only for heuristically cacheable statuses (RFC 9110 §15.1) or public",
          arguments: [(200, "", 1_000.0), (404, "", 1_000), (302, "", 0), (307, "", 0), (307, "public", 1_000)])
    func heuristicStatuses(status: Int, cacheControl: String, expected: Double) {
        var headers = [("Last-Modified", httpDate(-10_000))]
        if !cacheControl.isEmpty { headers.append(("Cache-Control", cacheControl)) }
        #expect(lifetime(status: status, headers) == expected)
    }

    @Test("§4.2.2 default_ttl without Last-Modified; heuristic_fraction 0 turns heuristics off")
    func defaultTTL() {
        #expect(lifetime([], options: RouteCacheConfig(defaultTTLSeconds: 120)) == 120)
        #expect(lifetime([]) == 0)
        #expect(lifetime([("Last-Modified", httpDate(-10_000))], options: RouteCacheConfig(heuristicFraction: 0)) == 0)
    }
}
