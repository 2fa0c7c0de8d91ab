import PorticoCore
import Testing

@Suite struct BalancingCookieHeaderTests {
    @Test(arguments: [
        ("a=b; c=d", "c", "d"),
        ("a=b; c=d", "a", "b"),
        ("a=b;c=d", "c", "d"),
        ("  a = b ;\tc=d  ", "a", "b"),
        ("  a = b ;\tc=d  ", "c", "d"),
        ("a=1; a=2", "a", "1"),
        ("A=1; a=2", "a", "2"),
        ("ab=1; a=2", "a", "2"),
        ("foo; a=1", "a", "1"),
        ("a=b=c", "a", "b=c"),
        ("a=", "a", ""),
        ("a=;b=2", "a", ""),
        ("a=1;", "a", "1"),
        (";;a=1;;", "a", "1"),
        ("a=\"xyz\"", "a", "xyz"),
        ("a=\"", "a", "\""),
        ("=v; a=1", "", "v"),
        ("portico_server=0123456789abcdef", "portico_server", "0123456789abcdef"),
    ])
    func finds(header: String, name: String, value: String) {
        #expect(CookieHeader.value(named: name, in: header) == value[...])
        #expect(CookieHeader.value(named: name, in: header[...]) == value[...])
    }

    @Test(arguments: [
        ("", "a"),
        ("a", "a"),
        ("b=1; c=2", "a"),
        ("a=1", "A"),
        ("xa=1", "a"),
        ("a b=1", "a"),
        ("a; b", "a"),
    ])
    func missing(header: String, name: String) {
        #expect(CookieHeader.value(named: name, in: header) == nil)
    }

    @Test func resultIsASliceOfTheInput() {
        let header = "x=1; session=abc; y=2"
        let value = CookieHeader.value(named: "session", in: header)!
        #expect(value.base == header)
        #expect(header[value.startIndex...].hasPrefix("abc; y"))
    }

    @Test func worksOnBytes() {
        let bytes = Array("a=1; b=22".utf8)
        let range = CookieHeader.valueRange(named: "b".utf8, in: bytes)
        #expect(range == 7..<9)
    }
}

@Suite struct BalancingStickyCookieTests {
    @Test func tokenIsStableHexAndOpaque() {
        let token = StickyCookie.token(forServer: "10.0.0.1:8080")
        #expect(token.utf8.count == 16)
        #expect(token.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        #expect(token == StickyCookie.token(forServer: "10.0.0.1:8080"))
        // Pinned: tokens in clients' cookies must survive restarts and upgrades.
        #expect(token == "e8c721156ed52b14")
        #expect(!token.contains("10"))
        #expect(token != StickyCookie.token(forServer: "10.0.0.2:8080"))
        #expect(StickyCookie.hexToken(0x0123_4567_89AB_CDEF) == "0123456789abcdef")
        #expect(StickyCookie.hexToken(0) == "0000000000000000")
    }

    @Test func tokenValueRoundTrips() {
        #expect(StickyCookie.tokenValue("0123456789abcdef") == 0x0123_4567_89AB_CDEF)
        #expect(StickyCookie.tokenValue("0123456789ABCDEF") == 0x0123_4567_89AB_CDEF)
        #expect(StickyCookie.tokenValue(StickyCookie.token(forServer: "a")) == StableHash.hash("a"))
        #expect(StickyCookie.tokenValue("0123456789abcde") == nil)
        #expect(StickyCookie.tokenValue("0123456789abcdef0") == nil)
        #expect(StickyCookie.tokenValue("0123456789abcdeg") == nil)
        #expect(StickyCookie.tokenValue("") == nil)
    }

    @Test func setCookieValue() {
        let config = StickyConfig(maxAge: .seconds(3600))
        #expect(
            StickyCookie.setCookieValue(token: "0123456789abcdef", config: config)
                == "portico_server=0123456789abcdef; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax"
        )
        #expect(
            StickyCookie.setCookieValue(token: "t", config: StickyConfig())
                == "portico_server=t; Path=/; HttpOnly; SameSite=Lax"
        )
        let custom = StickyConfig(
            cookieName: "srv", maxAge: .seconds(60), path: "/app", secure: true, httpOnly: false, sameSite: "None"
        )
        #expect(
            StickyCookie.setCookieValue(token: "t", config: custom)
                == "srv=t; Path=/app; Max-Age=60; Secure; SameSite=None"
        )
        let bare = StickyConfig(path: "", httpOnly: false, sameSite: nil)
        #expect(StickyCookie.setCookieValue(token: "t", config: bare) == "portico_server=t")
    }

    @Test func serverTableMatchesCookies() {
        let names = ["10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"]
        let table = StickyServerTable(serverIdentities: names)
        #expect(table.tokens == names.map { StickyCookie.token(forServer: $0) })
        for (index, token) in table.tokens.enumerated() {
            #expect(table.server(forToken: token) == index)
            #expect(table.server(forToken: token.uppercased()) == index)
            #expect(table.server(cookieName: "portico_server", cookieHeaderValue: "a=b; portico_server=\(token)") == index)
        }
        #expect(table.server(forToken: StickyCookie.token(forServer: "10.0.0.9:8080")) == nil)
        #expect(table.server(forToken: "zz") == nil)
        #expect(table.server(cookieName: "portico_server", cookieHeaderValue: "other=\(table.tokens[0])") == nil)
    }
}
