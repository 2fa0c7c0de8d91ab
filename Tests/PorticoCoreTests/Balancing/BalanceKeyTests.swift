import NIOCore
import PorticoCore
import Testing

private func head(_ text: String) -> ParsedRequestHead {
    var parser = HTTP1RequestHeadParser(limits: LimitsConfig())
    var buffer = ByteBuffer(string: text)
    guard case .complete(let head) = parser.parse(&buffer) else {
        Issue.record("did not parse: \(text)")
        fatalError()
    }
    return head
}

private let empty = StableHash.hash("")

@Suite struct BalancingKeyTests {
    @Test func closureSources() {
        let headers: [String: Substring] = ["X-User": "alice", "Cookie": "a=1; session=s3; b=2"]
        let lookup: (String) -> Substring? = { headers[$0] }
        #expect(BalanceKey.hash(source: .header("X-User"), path: "/", clientIP: nil, headerValue: lookup) == StableHash.hash("alice"))
        #expect(BalanceKey.hash(source: .header("X-None"), path: "/", clientIP: nil, headerValue: lookup) == empty)
        #expect(BalanceKey.hash(source: .cookie("session"), path: "/", clientIP: nil, headerValue: lookup) == StableHash.hash("s3"))
        #expect(BalanceKey.hash(source: .cookie("nope"), path: "/", clientIP: nil, headerValue: lookup) == empty)
        #expect(BalanceKey.hash(source: .cookie("session"), path: "/", clientIP: nil, headerValue: { _ in nil }) == empty)
        #expect(BalanceKey.hash(source: .clientIP, path: "/", clientIP: "192.0.2.7", headerValue: lookup) == StableHash.hash("192.0.2.7"))
        #expect(BalanceKey.hash(source: .clientIP, path: "/", clientIP: nil, headerValue: lookup) == empty)
    }

    @Test func pathIgnoresQueryAndFragment() {
        let expected = StableHash.hash("/a/b")
        for path in ["/a/b", "/a/b?x=1", "/a/b?", "/a/b#f", "/a/b?x#f"] {
            #expect(BalanceKey.hash(source: .path, path: path, clientIP: nil, headerValue: { _ in nil }) == expected, "\(path)")
        }
        #expect(BalanceKey.hash(source: .path, path: "/a/c", clientIP: nil, headerValue: { _ in nil }) != expected)
    }

    @Test func parsedHeadMatchesClosureForm() {
        let request = head(
            "GET /shop/cart?item=3 HTTP/1.1\r\nHost: example.com\r\nx-user:  bob \r\nCookie: a=1\r\ncookie: sid=\"q\"; a=2\r\n\r\n"
        )
        let ip = "2001:db8::1"
        #expect(BalanceKey.hash(source: .header("X-User"), head: request, clientIP: ip) == StableHash.hash("bob"))
        #expect(BalanceKey.hash(source: .header("X-Missing"), head: request, clientIP: ip) == empty)
        #expect(BalanceKey.hash(source: .cookie("a"), head: request, clientIP: ip) == StableHash.hash("1"))
        #expect(BalanceKey.hash(source: .cookie("sid"), head: request, clientIP: ip) == StableHash.hash("q"))
        #expect(BalanceKey.hash(source: .cookie("none"), head: request, clientIP: ip) == empty)
        #expect(BalanceKey.hash(source: .path, head: request, clientIP: ip) == StableHash.hash("/shop/cart"))
        #expect(BalanceKey.hash(source: .clientIP, head: request, clientIP: ip) == StableHash.hash(ip))
        #expect(BalanceKey.hash(source: .clientIP, head: request, clientIP: nil) == empty)
    }

    @Test func absoluteFormPath() {
        let request = head("GET http://example.com/shop/cart?item=3 HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(BalanceKey.hash(source: .path, head: request, clientIP: nil) == StableHash.hash("/shop/cart"))
        let bare = head("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(BalanceKey.hash(source: .path, head: bare, clientIP: nil) == StableHash.hash("/"))
    }

    @Test func headLookups() {
        let request = head("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nCookie: s=abc\r\n\r\n")
        #expect(request.fieldIndex(nameMatching: "X-a") == 1)
        #expect(request.fieldIndex(nameMatching: "x-A", from: 2) == 2)
        #expect(request.fieldIndex(nameMatching: "x-b") == nil)
        #expect(request.firstValue(ofField: "x-a").map { String(decoding: $0, as: UTF8.self) } == "1")
        #expect(request.cookieValue(named: "s").map { String(decoding: $0, as: UTF8.self) } == "abc")
        #expect(request.cookieValue(named: "S") == nil)
        let table = StickyServerTable(serverIdentities: ["x", "y"])
        let sticky = head("GET / HTTP/1.1\r\nHost: h\r\nCookie: portico_server=\(table.tokens[1])\r\n\r\n")
        #expect(table.server(cookieName: "portico_server", head: sticky) == 1)
        #expect(table.server(cookieName: "portico_server", head: request) == nil)
    }
}
