import PorticoCache
import Testing

@Suite("Vary secondary keys (RFC 9111 §4.1)")
struct VaryTests {
    private func key(_ vary: [String], _ request: [(String, String)]) -> String? {
        CachePolicy.variantKey(responseHeaders: HeaderList(vary.map { ("Vary", $0) }), request: HeaderList(request))
    }

    @Test("§4.1 no Vary: the empty secondary key")
    func noVary() {
        #expect(key([], [("Accept", "x")]) == "")
    }

    @Test("§4.1 Vary: * never matches (nil)", arguments: [["*"], ["Accept, *"], ["Accept", "*"]])
    func star(vary: [String]) {
        #expect(key(vary, []) == nil)
    }

    @Test("§4.1 two fields listed in another order or case select the same key")
    func orderAndCase() {
        let request = [("Accept-Encoding", "gzip"), ("Accept-Language", "en")]
        let a = key(["Accept-Encoding, Accept-Language"], request)
        let b = key(["accept-language", "ACCEPT-ENCODING"], request)
        #expect(a == b)
        #expect(a == "accept-encoding:gzip\naccept-language:en")
    }

    @Test("§4.1 values differing only in whitespace normalise equal; lines are combined")
    func whitespace() {
        let a = key(["Accept-Encoding"], [("Accept-Encoding", "gzip,  br ,zstd")])
        let b = key(["Accept-Encoding"], [("Accept-Encoding", " gzip , br"), ("accept-encoding", "zstd ")])
        #expect(a == b)
        #expect(a == "accept-encoding:gzip,br,zstd")
    }

    @Test("§4.1 different values select different keys")
    func differentValues() {
        #expect(key(["Accept-Encoding"], [("Accept-Encoding", "gzip")]) != key(["Accept-Encoding"], [("Accept-Encoding", "br")]))
    }

    @Test("§4.1 a field absent from the request matches only its absence, not an empty value")
    func absentField() {
        #expect(key(["Accept-Language"], []) == "accept-language")
        #expect(key(["Accept-Language"], [("Accept-Language", "")]) == "accept-language:")
    }
}
