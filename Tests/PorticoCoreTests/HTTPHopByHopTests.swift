import NIOHTTP1
import PorticoCore
import Testing

struct HTTPHopByHopTests {
    private func names(_ headers: HTTPHeaders) -> [String] { headers.map(\.name) }

    @Test func stripsConnectionAndNominatedFields() {
        var h = HTTPHeaders([("Host", "h"), ("Connection", "close, X-Foo"), ("X-Foo", "1"), ("x-foo", "2"), ("X-Bar", "3")])
        HopByHop.strip(&h)
        #expect(names(h) == ["Host", "X-Bar"])
    }

    @Test func stripsFixedListWithoutConnection() {
        var h = HTTPHeaders([
            ("Host", "h"), ("Keep-Alive", "timeout=5"), ("Proxy-Connection", "keep-alive"), ("TE", "trailers"),
            ("Transfer-Encoding", "chunked"), ("Upgrade", "websocket"), ("Accept", "*/*"),
        ])
        HopByHop.strip(&h)
        #expect(names(h) == ["Host", "Accept"])
    }

    @Test func keepsEndToEndAndProxyAuthFields() {
        let original = HTTPHeaders([
            ("Host", "h"), ("Trailer", "X-Checksum"), ("Proxy-Authorization", "Basic x"),
            ("Proxy-Authenticate", "Basic"), ("Accept", "*/*"),
        ])
        var h = original
        HopByHop.strip(&h)
        #expect(names(h) == names(original))
    }

    @Test func nominationsAcrossSeveralConnectionFieldsAndCase() {
        var h = HTTPHeaders([
            ("connection", "keep-alive"), ("X-A", "1"), ("CONNECTION", " x-a ,, X-B "), ("x-b", "2"), ("X-C", "3"),
            ("Keep-Alive", "timeout=5"),
        ])
        HopByHop.strip(&h)
        #expect(names(h) == ["X-C"])
    }

    @Test func neverStripsHostOrContentLengthByNomination() {
        var h = HTTPHeaders([("Host", "h"), ("Content-Length", "3"), ("Connection", "Host, Content-Length, X")])
        HopByHop.strip(&h)
        #expect(names(h) == ["Host", "Content-Length"])
    }

    @Test func untouchedWhenNothingToStrip() {
        var h = HTTPHeaders([("Host", "h"), ("Accept", "*/*")])
        HopByHop.strip(&h)
        #expect(names(h) == ["Host", "Accept"])
        var empty = HTTPHeaders()
        HopByHop.strip(&empty)
        #expect(empty.isEmpty)
    }
}
