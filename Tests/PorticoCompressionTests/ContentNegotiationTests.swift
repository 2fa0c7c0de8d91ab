import PorticoCompression
import PorticoCore
import Testing

/// `Accept-Encoding` negotiation (RFC 9110 §12.5.3, q-values §12.4.2), one rule per test.
@Suite("Content negotiation")
struct ContentNegotiationTests {
    /// Portico's default preference: zstd, then br, then gzip.
    static let all: [ContentCodingName] = [.zstd, .br, .gzip]

    static func choose(_ header: String?, _ offered: [ContentCodingName] = all) -> ContentCodingName? {
        ContentNegotiation.choose(acceptEncoding: header, offered: offered)
    }

    @Test("§12.5.3 no Accept-Encoding: identity (a deliberate choice; the RFC allows any coding)")
    func absentHeader() {
        #expect(Self.choose(nil) == nil)
    }

    @Test("§12.5.3 an empty Accept-Encoding asks for identity only")
    func emptyHeader() {
        #expect(Self.choose("") == nil)
        #expect(Self.choose("   ") == nil)
        #expect(Self.choose(" , ,") == nil)
    }

    @Test("§12.4.2 the offered coding with the highest q-value wins")
    func highestWeightWins() {
        #expect(Self.choose("gzip;q=1, br;q=0.5, zstd;q=0.8") == .gzip)
        #expect(Self.choose("gzip;q=0.2, br;q=0.9, zstd;q=0.8") == .br)
        #expect(Self.choose("gzip;q=0.2, br") == .br)
    }

    @Test("§12.4.2 equal q-values: Portico's order of preference decides")
    func tiesFollowOfferedOrder() {
        #expect(Self.choose("gzip, br, zstd") == .zstd)
        #expect(Self.choose("gzip, deflate, br") == .br)
        #expect(Self.choose("gzip;q=0.5, br;q=0.5") == .br)
        #expect(Self.choose("gzip, br", [.gzip, .br]) == .gzip)
        #expect(Self.choose("br, gzip", [.gzip, .br]) == .gzip)
    }

    @Test("§12.4.2 q=0 means not acceptable")
    func zeroWeightExcludes() {
        #expect(Self.choose("gzip;q=0", [.gzip]) == nil)
        #expect(Self.choose("zstd;q=0, br;q=0, gzip") == .gzip)
        #expect(Self.choose("gzip;q=0.000") == nil)
    }

    @Test("§12.5.3 * matches any coding not listed explicitly")
    func wildcardMatchesUnlisted() {
        #expect(Self.choose("*") == .zstd)
        #expect(Self.choose("gzip;q=0.5, *;q=0.1") == .gzip)
        #expect(Self.choose("*;q=0.5, br") == .br)
        #expect(Self.choose("zstd;q=0, *") == .br, "an explicit listing beats *")
    }

    @Test("§12.5.3 *;q=0 excludes every coding not listed")
    func wildcardZero() {
        #expect(Self.choose("*;q=0") == nil)
        #expect(Self.choose("*;q=0, gzip") == .gzip)
    }

    @Test("§12.5.3 identity;q=0 does not force a coding: identity stays the fallback (no 406)")
    func identityZero() {
        #expect(Self.choose("identity;q=0") == nil)
        #expect(Self.choose("identity;q=0", []) == nil)
        #expect(Self.choose("identity;q=0, gzip") == .gzip)
        #expect(Self.choose("identity;q=0, *;q=0") == nil)
    }

    @Test("§8.4.1.3 x-gzip is an alias of gzip")
    func xGzip() {
        #expect(Self.choose("x-gzip") == .gzip)
        #expect(Self.choose("X-GZIP;q=0.5, br;q=0.4") == .gzip)
    }

    @Test("§8.4.1 content codings are case-insensitive, and so is the q parameter name")
    func caseInsensitive() {
        #expect(Self.choose("GZIP") == .gzip)
        #expect(Self.choose("Br;Q=0.9, Gzip;q=0.8") == .br)
        #expect(Self.choose("ZStd") == .zstd)
    }

    @Test("§5.6.1 whitespace around elements and parameters and empty elements are tolerated")
    func whitespaceAndEmptyElements() {
        #expect(Self.choose(" gzip ; q=0.5 ,, br\t;\tq=0.6 , ") == .br)
        #expect(Self.choose(",gzip,") == .gzip)
    }

    @Test("§12.4.2 an element with an invalid q-value is ignored")
    func invalidWeightIgnoresElement() {
        for invalid in ["2", "1.001", "0.1234", "abc", "", ".5", "-0.5", "1.5", "0,5"] {
            #expect(Self.choose("gzip;q=\(invalid)", [.gzip]) == nil, "q=\(invalid)")
        }
        #expect(Self.choose("zstd;q=2, br") == .br)
    }

    @Test("§12.4.2 q-values have up to three decimals")
    func threeDecimals() {
        #expect(Self.choose("gzip;q=0.001, br;q=0.002") == .br)
        #expect(Self.choose("gzip;q=1.000", [.gzip]) == .gzip)
        #expect(Self.choose("gzip;q=0.", [.gzip]) == nil)
        #expect(Self.choose("gzip;q=1.", [.gzip]) == .gzip)
    }

    @Test("§12.5.3 codings Portico does not offer are never chosen")
    func unofferedCodings() {
        #expect(Self.choose("deflate, compress, identity") == nil)
        #expect(Self.choose("br", [.gzip]) == nil)
        #expect(Self.choose("gzip, br, zstd", []) == nil)
    }

    @Test("§12.5.3 a coding listed twice: the first listing counts")
    func duplicates() {
        #expect(Self.choose("gzip;q=0, gzip", [.gzip]) == nil)
        #expect(Self.choose("gzip, gzip;q=0", [.gzip]) == .gzip)
    }

    @Test("§12.4.2 parsed weights are kept in thousandths")
    func parsedPreferences() {
        let preferences = AcceptEncodingPreferences(parsing: "gzip;q=0.5, BR, *;q=0.25, x-gzip;q=1, bad coding")
        #expect(preferences.weights == ["gzip": 500, "br": 1000])
        #expect(preferences.wildcardWeight == 250)
        #expect(preferences.weight(of: "zstd") == 250)
    }
}
