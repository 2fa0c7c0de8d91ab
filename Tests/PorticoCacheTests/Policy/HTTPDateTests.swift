import PorticoCache
import Testing

@Suite("HTTP-date (RFC 9110 §5.6.7)")
struct HTTPDateTests {
    /// 1994-11-06T08:49:37Z, the RFC's own example.
    static let example: Double = 784_111_777

    @Test(
        "§5.6.7 the three formats parse to the same instant",
        arguments: ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"]
    )
    func formats(value: String) {
        #expect(HTTPDate.parse(value, referenceYear: 2026) == Self.example)
    }

    @Test("§5.6.7 IMF-fixdate is what is generated")
    func format() {
        #expect(HTTPDate.format(Self.example) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
    }

    @Test("§5.6.7 format and parse round-trip", arguments: [0.0, 1_700_000_000, 4_102_444_799, 68_256_000])
    func roundTrip(seconds: Double) {
        #expect(HTTPDate.parse(HTTPDate.format(seconds)) == seconds)
    }

    @Test("§5.6.7 RFC 850 two-digit years more than 50 years ahead are in the past")
    func twoDigitYears() {
        #expect(HTTPDate.parse("Tuesday, 01-Jan-80 00:00:00 GMT", referenceYear: 2026) == 315_532_800)
        #expect(HTTPDate.parse("Saturday, 01-Jan-50 00:00:00 GMT", referenceYear: 2026) == 2_524_608_000)
    }

    @Test(
        "§5.6.7 invalid dates are rejected",
        arguments: [
            "0", "", "-1", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37", "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "Funday, 06-Nov-94 08:49:37 GMT",
            "Sun, +6 Nov 1994 08:49:37 GMT", "Sun Nov  6 08:49 1994",
        ]
    )
    func invalid(value: String) {
        #expect(HTTPDate.parse(value) == nil)
    }
}
