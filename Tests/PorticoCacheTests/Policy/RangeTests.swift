import PorticoCache
import Testing

@Suite("Range requests from stored responses (RFC 9110 §14.2, §13.1.5)")
struct RangeTests {
    private let response = storedResponse([("ETag", "\"v\""), ("Last-Modified", httpDate(-100))])

    private func range(_ value: String?, ifRange: String? = nil, length: Int = 1000) -> RangeOutcome {
        CachePolicy.range(value, ifRange: ifRange, response: self.response, length: length)
    }

    @Test(
        "§14.1.1 byte-range syntax: a-b, a-, -suffix; last clamped to length-1",
        arguments: [
            ("bytes=0-99", RangeOutcome.partial(first: 0, last: 99)), ("bytes=900-", .partial(first: 900, last: 999)),
            ("bytes=-100", .partial(first: 900, last: 999)), ("bytes=-5000", .partial(first: 0, last: 999)),
            ("bytes=500-5000", .partial(first: 500, last: 999)), ("Bytes = 1-1", .partial(first: 1, last: 1)),
        ]
    )
    func syntax(value: String, expected: RangeOutcome) {
        #expect(range(value) == expected)
    }

    @Test("§14.1.3 unsatisfiable: first at or past the end, or a zero suffix", arguments: ["bytes=1000-1001", "bytes=1000-", "bytes=-0"])
    func unsatisfiable(value: String) {
        #expect(range(value) == .unsatisfiable)
    }

    @Test(
        "§14.2 no range, other units, invalid specs and multiple ranges get the full response",
        arguments: [nil, "items=0-1", "bytes=5-2", "bytes=a-b", "bytes=0-1,5-6", "bytes", "bytes="]
    )
    func full(value: String?) {
        #expect(range(value) == .full)
    }

    @Test(
        "§13.1.5 If-Range: a strong ETag match or the exact Last-Modified date, else full",
        arguments: [
            ("\"v\"", true), ("W/\"v\"", false), ("\"w\"", false), (httpDate(-100), true), (httpDate(-99), false),
            ("garbage", false),
        ]
    )
    func ifRange(value: String, partial: Bool) {
        #expect(range("bytes=0-9", ifRange: value) == (partial ? .partial(first: 0, last: 9) : .full))
    }

    @Test("§13.1.5 If-Range with a date needs Last-Modified to be a strong validator (Date ≥ 1 s later)")
    func weakDate() {
        let response = storedResponse([("Last-Modified", httpDate(0))])
        #expect(CachePolicy.range("bytes=0-9", ifRange: httpDate(0), response: response, length: 100) == .full)
    }
}
