import PorticoCache
import Testing

@Suite("Cache-Status values (RFC 9211)")
struct CacheStatusValueTests {
    @Test(
        "RFC 9211 §2 members for each outcome",
        arguments: [
            (CacheOutcome.hit, 12.7 as Double?, nil as Int?, false, nil as String?, "Portico; hit; ttl=12"),
            (.miss, nil, nil, true, nil, "Portico; fwd=uri-miss; stored"),
            (.revalidated, nil, 304, false, nil, "Portico; fwd=stale; fwd-status=304"),
            (.expired, 60, 200, true, nil, "Portico; fwd=stale; fwd-status=200; ttl=60; stored"),
            (.bypass, nil, nil, false, nil, "Portico; fwd=bypass"),
            (.uncacheable, nil, nil, false, "no-store", "Portico; fwd=uri-miss; detail=no-store"),
            (.stale, -3.5, nil, false, nil, "Portico; hit; ttl=-4"),
            (.stale, -30, 503, false, nil, "Portico; fwd=stale; fwd-status=503; ttl=-30"),
        ]
    )
    func members(outcome: CacheOutcome, ttl: Double?, forwardStatus: Int?, stored: Bool, detail: String?, expected: String) {
        #expect(
            CachePolicy.cacheStatusValue(outcome: outcome, ttl: ttl, forwardStatus: forwardStatus, stored: stored, detail: detail)
                == expected)
    }

    @Test("RFC 9211 §2.7 detail is a token when it is one, else a quoted string", arguments: [
        ("vary-star", "vary-star"), ("404", "\"404\""), ("two words", "\"two words\""), ("say \"hi\"", #""say \"hi\"""#),
    ])
    func detail(detail: String, expected: String) {
        #expect(
            CachePolicy.cacheStatusValue(outcome: .bypass, ttl: nil, forwardStatus: nil, stored: false, detail: detail)
                == "Portico; fwd=bypass; detail=" + expected)
    }
}
