import NIOHTTP1
import PorticoCore
import Testing

struct HTTPForwardedHeadersTests {
    @Test func freshRequest() {
        var h = HTTPHeaders([("Host", "example.com:8080")])
        ForwardedHeaders().apply(
            to: &h, clientAddress: "192.0.2.7", proto: .https, clientHost: "example.com:8080", receivedVersion: .http1_1
        )
        #expect(h["X-Forwarded-For"] == ["192.0.2.7"])
        #expect(h["X-Forwarded-Proto"] == ["https"])
        #expect(h["X-Forwarded-Host"] == ["example.com:8080"])
        #expect(h["Via"] == ["1.1 portico"])
    }

    @Test func appendsToExistingForwardedForFoldingFields() {
        var h = HTTPHeaders([
            ("X-Forwarded-For", "203.0.113.1"), ("x-forwarded-for", "198.51.100.2, 10.0.0.1 "),
            ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "spoofed"),
        ])
        ForwardedHeaders().apply(to: &h, clientAddress: "10.0.0.9", proto: .http, clientHost: "h", receivedVersion: .http1_1)
        #expect(h["x-forwarded-for"] == ["203.0.113.1, 198.51.100.2, 10.0.0.1, 10.0.0.9"])
        #expect(h["x-forwarded-proto"] == ["http"])
        #expect(h["x-forwarded-host"] == ["h"])
    }

    @Test func ipv6IsWrittenBare() {
        var h = HTTPHeaders()
        ForwardedHeaders().apply(to: &h, clientAddress: "[2001:db8::1]", proto: .http, clientHost: nil, receivedVersion: .http1_1)
        #expect(h["X-Forwarded-For"] == ["2001:db8::1"])
        var h2 = HTTPHeaders()
        ForwardedHeaders().apply(to: &h2, clientAddress: "::1", proto: .http, clientHost: nil, receivedVersion: .http1_1)
        #expect(h2["X-Forwarded-For"] == ["::1"])
    }

    @Test func http10ViaAndMissingHost() {
        var h = HTTPHeaders([("Via", "1.1 edge"), ("X-Forwarded-Host", "spoofed")])
        ForwardedHeaders().apply(to: &h, clientAddress: "192.0.2.1", proto: .http, clientHost: nil, receivedVersion: .http1_0)
        #expect(h["Via"] == ["1.1 edge, 1.0 portico"])
        #expect(!h.contains(name: "X-Forwarded-Host"))
    }

    @Test func responseViaWithCustomPseudonym() {
        let forwarded = ForwardedHeaders(pseudonym: "gw")
        var h = HTTPHeaders([("Content-Length", "0")])
        forwarded.appendVia(to: &h, receivedVersion: .http1_1)
        #expect(h["Via"] == ["1.1 gw"])
        forwarded.appendVia(to: &h, receivedVersion: HTTPVersion(major: 2, minor: 0))
        #expect(h["Via"] == ["1.1 gw, 2 gw"])
    }
}
