import PorticoCore
import Testing

struct HTTPHostHeaderTests {
    @Test(arguments: [
        ("example.com", "example.com"),
        ("Example.COM:8080", "Example.COM"),
        ("example.com.", "example.com"),
        ("example.com.:80", "example.com"),
        ("localhost:", "localhost"),
        ("[::1]:", "[::1]"),
        ("127.0.0.1", "127.0.0.1"),
        ("127.0.0.1:65535", "127.0.0.1"),
        ("[::1]", "[::1]"),
        ("[::1]:8443", "[::1]"),
        ("[2001:db8::8:800:200c:417a]", "[2001:db8::8:800:200c:417a]"),
        ("[1:2:3:4:5:6:7:8]", "[1:2:3:4:5:6:7:8]"),
        ("[::ffff:192.0.2.1]:80", "[::ffff:192.0.2.1]"),
        ("[v1.fe80::a+en1]", "[v1.fe80::a+en1]"),
        ("my_host-1.internal", "my_host-1.internal"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("ex%41mple.com", "ex%41mple.com"),
    ])
    func valid(value: String, host: String) {
        #expect(HostHeader.normalizedHost(value[...]).map(String.init) == host)
        #expect(HostHeader.isValid(value[...]))
    }

    @Test(arguments: [
        "", ":80", "example.com:80a", "example.com:65536", "example.com:123456", "exa mple.com", "example.com/",
        "user@example.com", "example.com\r\nX: y", "[::1", "[::1]x", "[1:2:3:4:5:6:7:8:9]", "[1::2::3]",
        "[:1]", "[1:]", "[12345::]", "[::1%25eth0]", "[::256.0.0.1]", "[]", "a\\b", "ex%4mple", "bücher.example",
        "example.com:80:80",
    ])
    func invalid(value: String) {
        #expect(HostHeader.normalizedHost(value[...]) == nil)
    }
}
