import PorticoCore
import Testing

/// The small value languages: addresses, durations, sizes, tokens and header values.
@Suite("Config scalars")
struct ConfigScalarTests {
    @Test(arguments: [
        ("127.0.0.1:8080", HostPort(host: "127.0.0.1", port: 8080)),
        ("[::1]:8080", HostPort(host: "::1", port: 8080)),
        ("[2001:db8::1]:443", HostPort(host: "2001:db8::1", port: 443)),
        ("localhost:80", HostPort(host: "localhost", port: 80)),
        ("LocalHost:80", HostPort(host: "localhost", port: 80)),
        (":8080", HostPort(host: "0.0.0.0", port: 8080)),
        ("0.0.0.0:0", HostPort(host: "0.0.0.0", port: 0)),
        ("example.com:65535", HostPort(host: "example.com", port: 65535)),
    ] as [(String, HostPort)])
    func validAddresses(text: String, expected: HostPort) {
        #expect(HostPort.parse(text) == expected)
    }

    @Test(arguments: [
        "", "localhost", "localhost:", ":", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:+80",
        "127.0.0.1:80x", "::1:8080", "[::1]", "[::1]8080", "[::1:8080", "[zz]:80", "300.1.1.1:80",
        "1.2.3:80", "bad host:80", "host/path:80", "http://localhost:80", " 127.0.0.1:80", "127.0.0.1:123456",
    ])
    func invalidAddresses(text: String) {
        #expect(HostPort.parse(text) == nil)
    }

    @Test(arguments: [HostPort(host: "::1", port: 80), HostPort(host: "10.0.0.1", port: 9000)])
    func descriptionRoundTrips(address: HostPort) {
        #expect(HostPort.parse(address.description) == address)
    }

    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)),
        ("10s", .seconds(10)),
        ("2m", .seconds(120)),
        ("1h", .seconds(3600)),
        ("30", .seconds(30)),
        ("0s", .zero),
    ] as [(String, Duration)])
    func validDurations(text: String, expected: Duration) {
        #expect(ConfigScalar.parseDuration(text) == expected)
    }

    @Test(arguments: ["", "s", "-1s", "1.5s", "10 s", "10S", "10d", "ms", "1h30m", "9999999999999999999h", "5000000000000000000h"])
    func invalidDurations(text: String) {
        #expect(ConfigScalar.parseDuration(text) == nil)
    }

    @Test(arguments: [
        ("8192", 8192), ("8k", 8192), ("8K", 8192), ("8KB", 8192), ("8KiB", 8192), ("8kib", 8192),
        ("1m", 1_048_576), ("1MB", 1_048_576), ("1MiB", 1_048_576), ("0", 0),
    ])
    func validSizes(text: String, expected: Int) {
        #expect(ConfigScalar.parseSize(text) == expected)
    }

    @Test(arguments: ["", "k", "-1", "1.5k", "8 KiB", "8GB", "8KiBs", "99999999999999999m"])
    func invalidSizes(text: String) {
        #expect(ConfigScalar.parseSize(text) == nil)
    }

    @Test func tokensAndHeaderValues() {
        #expect(ConfigScalar.isToken("X-Request-Id"))
        #expect(ConfigScalar.isToken("!#$%&'*+-.^_`|~09az"))
        #expect(!ConfigScalar.isToken(""))
        #expect(!ConfigScalar.isToken("X Y"))
        #expect(!ConfigScalar.isToken("X:Y"))
        #expect(!ConfigScalar.isToken("Ümlaut"))
        #expect(ConfigScalar.isHeaderValue("text/plain; charset=utf-8"))
        #expect(ConfigScalar.isHeaderValue("a\tb"))
        #expect(ConfigScalar.isHeaderValue(""))
        #expect(!ConfigScalar.isHeaderValue("a\r\nX-Injected: 1"))
        #expect(!ConfigScalar.isHeaderValue("a\nb"))
        #expect(!ConfigScalar.isHeaderValue("a\0b"))
        #expect(!ConfigScalar.isHeaderValue("a\u{7F}b"))
    }
}
