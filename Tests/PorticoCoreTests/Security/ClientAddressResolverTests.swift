import PorticoCore
import Testing

@Suite("Client address behind trusted proxies")
struct ClientAddressResolverTests {
    /// Trusted: the load balancers in 10.0.0.0/8, one IPv6 proxy range, and loopback.
    static let trusted = ["10.0.0.0/8", "2001:db8:1b::/48", "127.0.0.1", "::1"]

    static func resolver(_ source: ClientAddressResolver.Source) -> ClientAddressResolver {
        ClientAddressResolver(trusted: trusted.map { CIDR($0)! }, source: source)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var peer: String
        var fields: [String]
        var client: String
        var note: String
        init(_ peer: String, _ fields: [String], _ client: String, _ note: String) {
            self.peer = peer
            self.fields = fields
            self.client = client
            self.note = note
        }
        var testDescription: String { note }
    }

    static let xffCases: [Case] = [
        Case("203.0.113.9", ["1.1.1.1"], "203.0.113.9", "untrusted peer: spoofed XFF ignored"),
        Case("203.0.113.9", ["10.0.0.1"], "203.0.113.9", "untrusted peer claiming a trusted address"),
        Case("2001:db8:bad::1", ["1.1.1.1"], "2001:db8:bad::1", "untrusted IPv6 peer"),
        Case("10.0.0.5", [], "10.0.0.5", "trusted peer without the field"),
        Case("10.0.0.5", [""], "10.0.0.5", "trusted peer with an empty field"),
        Case("10.0.0.5", ["198.51.100.7"], "198.51.100.7", "one hop"),
        Case("::ffff:10.0.0.5", ["198.51.100.7"], "198.51.100.7", "v4-mapped trusted peer"),
        Case("10.0.0.5", ["198.51.100.7, 10.0.0.4, 10.0.0.3"], "198.51.100.7", "trusted chain"),
        Case("10.0.0.5", ["6.6.6.6, 198.51.100.7, 10.0.0.4"], "198.51.100.7", "spoofed left part is not believed"),
        Case("10.0.0.5", ["6.6.6.6", "198.51.100.7", "10.0.0.4"], "198.51.100.7", "several field lines, in order"),
        Case("10.0.0.5", ["6.6.6.6, 198.51.100.7", "10.0.0.4"], "198.51.100.7", "lines and lists mixed"),
        Case("10.0.0.5", ["10.0.0.9, 10.0.0.8, 127.0.0.1"], "10.0.0.9", "all trusted: the leftmost"),
        Case("10.0.0.5", ["::1"], "::1", "all trusted, single entry"),
        Case("10.0.0.5", ["garbage, 10.0.0.8, 10.0.0.7"], "10.0.0.8", "garbage stops the walk"),
        Case("10.0.0.5", ["1.1.1.1, garbage, 10.0.0.7"], "10.0.0.7", "garbage hides what is left of it"),
        Case("10.0.0.5", ["1.1.1.1, unknown"], "10.0.0.5", "garbage rightmost: the peer"),
        Case("10.0.0.5", ["1.1.1.1, 01.2.3.4"], "10.0.0.5", "leading zeros are garbage"),
        Case("10.0.0.5", ["garbage, 198.51.100.7, 10.0.0.8"], "198.51.100.7", "untrusted before reaching garbage"),
        Case("10.0.0.5", ["2001:db8:cafe::17, 2001:db8:1b::2"], "2001:db8:cafe::17", "IPv6 entries"),
        Case("10.0.0.5", ["[2001:db8:cafe::17]:4711"], "2001:db8:cafe::17", "bracketed IPv6 with port"),
        Case("10.0.0.5", ["[2001:db8:cafe::17]"], "2001:db8:cafe::17", "bracketed IPv6"),
        Case("10.0.0.5", ["198.51.100.7:51234"], "198.51.100.7", "IPv4 with port"),
        Case("10.0.0.5", ["198.51.100.7:99999"], "10.0.0.5", "port out of range"),
        Case("10.0.0.5", ["[1.2.3.4]"], "10.0.0.5", "brackets around IPv4"),
        Case("10.0.0.5", ["  198.51.100.7 ,\t10.0.0.4  "], "198.51.100.7", "whitespace around entries"),
        Case("10.0.0.5", ["198.51.100.7,,10.0.0.4,"], "198.51.100.7", "empty elements skipped"),
        Case("10.0.0.5", ["198.51.100.7 10.0.0.4"], "10.0.0.5", "space is not a separator"),
        Case(
            "10.0.0.5", ["::ffff:10.0.0.4, ::ffff:198.51.100.7"], "::ffff:198.51.100.7",
            "mapped entries trusted as IPv4"),
        Case("10.0.0.5", ["for=198.51.100.7"], "10.0.0.5", "Forwarded syntax in XFF is garbage"),
    ]

    @Test(arguments: xffCases)
    func xForwardedFor(_ c: Case) throws {
        let peer = try #require(IPAddress(c.peer))
        let resolved = Self.resolver(.xForwardedFor).resolve(peer: peer, headerValues: c.fields.map { $0[...] })
        #expect(resolved == IPAddress(c.client))
    }

    static let forwardedCases: [Case] = [
        Case("203.0.113.9", ["for=1.1.1.1"], "203.0.113.9", "untrusted peer: spoofed Forwarded ignored"),
        Case("10.0.0.5", ["for=198.51.100.7"], "198.51.100.7", "one hop"),
        Case("10.0.0.5", ["for=198.51.100.7;proto=https;by=10.0.0.5"], "198.51.100.7", "other parameters"),
        Case("10.0.0.5", ["proto=https;for=198.51.100.7;host=example.com"], "198.51.100.7", "for in the middle"),
        Case("10.0.0.5", ["For=198.51.100.7"], "198.51.100.7", "parameter names are case-insensitive"),
        Case("10.0.0.5", ["for=\"198.51.100.7\""], "198.51.100.7", "quoted IPv4"),
        Case("10.0.0.5", ["for=\"[2001:db8:cafe::17]:4711\""], "2001:db8:cafe::17", "quoted IPv6 with port"),
        Case("10.0.0.5", ["for=\"[2001:db8:cafe::17]\""], "2001:db8:cafe::17", "quoted IPv6"),
        Case("10.0.0.5", ["for=\"198.51.100.7:_pt1\""], "198.51.100.7", "obfuscated port"),
        Case("10.0.0.5", ["for=6.6.6.6, for=198.51.100.7, for=10.0.0.4"], "198.51.100.7", "chain"),
        Case(
            "10.0.0.5", ["for=6.6.6.6", "for=198.51.100.7;proto=http, for=10.0.0.4"], "198.51.100.7", "several lines"),
        Case("10.0.0.5", ["for=10.0.0.9, for=\"[::1]\""], "10.0.0.9", "all trusted: the leftmost"),
        Case("10.0.0.5", ["for=1.1.1.1, for=unknown"], "10.0.0.5", "unknown stops the walk: the peer"),
        Case("10.0.0.5", ["for=1.1.1.1, for=unknown, for=10.0.0.4"], "10.0.0.4", "unknown: the last good address"),
        Case("10.0.0.5", ["for=1.1.1.1, for=_hidden"], "10.0.0.5", "obfuscated identifier"),
        Case("10.0.0.5", ["for=1.1.1.1, for=\"_gazonk\", for=10.0.0.7"], "10.0.0.7", "quoted obfuscated identifier"),
        Case("10.0.0.5", ["for=1.1.1.1, proto=https"], "10.0.0.5", "element without for"),
        Case("10.0.0.5", ["for=1.1.1.1;for=10.0.0.4"], "10.0.0.5", "repeated for is invalid"),
        Case("10.0.0.5", ["for=\"1.1.1.1, for=6.6.6.6\", for=10.0.0.4"], "10.0.0.4", "comma inside quotes"),
        Case("10.0.0.5", ["for=\"1.1.1.1, for=10.0.0.4"], "10.0.0.5", "unterminated quote"),
        Case("10.0.0.5", ["for=\"\\1.1.1.1\""], "10.0.0.5", "escapes are not addresses"),
        Case("10.0.0.5", ["for=2001:db8:cafe::17"], "2001:db8:cafe::17", "unquoted IPv6 accepted leniently"),
        Case(
            "10.0.0.5", ["for=198.51.100.7 ; proto=http , for=10.0.0.4"], "198.51.100.7", "whitespace around separators"
        ),
        Case("10.0.0.5", ["198.51.100.7"], "10.0.0.5", "XFF syntax in Forwarded is garbage"),
        Case("10.0.0.5", ["for=", "for=10.0.0.4"], "10.0.0.4", "empty for value"),
        Case("10.0.0.5", ["for=198.51.100.7,,, for=10.0.0.4"], "198.51.100.7", "empty elements skipped"),
    ]

    @Test(arguments: forwardedCases)
    func forwarded(_ c: Case) throws {
        let peer = try #require(IPAddress(c.peer))
        let resolved = Self.resolver(.forwarded).resolve(peer: peer, headerValues: c.fields.map { $0[...] })
        #expect(resolved == IPAddress(c.client))
    }

    @Test func helpers() {
        #expect(ClientAddressResolver.forwardedFor(" a, b ,,c ") == ["a", "b", "c"])
        #expect(
            ClientAddressResolver.forwardedNodes("for=a;proto=http, for=\"[::1]:80\", proto=https, for=\"x, y\";by=z")
                == ["a", "[::1]:80", nil, "x, y"])
        #expect(ClientAddressResolver.parseNode("[2001:db8::1]:80") == IPAddress("2001:db8::1"))
        #expect(ClientAddressResolver.parseNode("192.0.2.1:_x") == IPAddress("192.0.2.1"))
        #expect(ClientAddressResolver.parseNode("192.0.2.1:") == nil)
        #expect(ClientAddressResolver.parseNode("192.0.2.1:_") == nil)
        #expect(ClientAddressResolver.parseNode("[192.0.2.1]") == nil)
        #expect(ClientAddressResolver.parseNode("[2001:db8::1") == nil)
        #expect(ClientAddressResolver.parseNode("[2001:db8::1]x") == nil)
        #expect(ClientAddressResolver.parseNode("unknown") == nil)
        #expect(ClientAddressResolver.parseNode("") == nil)
    }

    @Test func emptyTrustListTrustsNobody() throws {
        let resolver = ClientAddressResolver(trusted: [], source: .xForwardedFor)
        let peer = try #require(IPAddress("10.0.0.1"))
        #expect(resolver.resolve(peer: peer, headerValues: ["1.1.1.1"]) == peer)
        #expect(!resolver.isTrusted(peer))
        #expect(Self.resolver(.forwarded).fieldName == "forwarded")
        #expect(Self.resolver(.xForwardedFor).fieldName == "x-forwarded-for")
    }
}
