import PorticoCore
import Testing

/// The strict CIDR syntax of `trusted_proxies`, `allow` and `deny`.
@Suite("Config security CIDR syntax")
struct ConfigSecurityCIDRTests {
    @Test(arguments: [
        ("0.0.0.0/0", "0.0.0.0", 0, false), ("10.0.0.0/8", "10.0.0.0", 8, false), ("192.168.1.1", "192.168.1.1", 32, false),
        ("192.168.1.1/32", "192.168.1.1", 32, false), ("255.255.255.255/32", "255.255.255.255", 32, false),
        ("192.168.1.128/25", "192.168.1.128", 25, false), ("0.0.0.0", "0.0.0.0", 32, false),
        ("::/0", "::", 0, true), ("::", "::", 128, true), ("::1", "::1", 128, true), ("::1/128", "::1", 128, true),
        ("2001:db8::/32", "2001:db8::", 32, true), ("2001:DB8:0:0:0:0:0:0/32", "2001:DB8:0:0:0:0:0:0", 32, true),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", 128, true), ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7::", 128, true),
        ("::2:3:4:5:6:7:8", "::2:3:4:5:6:7:8", 128, true), ("1::8", "1::8", 128, true),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1", 128, true), ("::ffff:192.0.2.128/121", "::ffff:192.0.2.128", 121, true),
        ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:1.2.3.4", 128, true), ("::1.2.3.4", "::1.2.3.4", 128, true),
        ("64:ff9b::/96", "64:ff9b::", 96, true), ("fe80::/10", "fe80::", 10, true), ("ffff:ffff::/32", "ffff:ffff::", 32, true),
    ] as [(String, String, Int, Bool)])
    func validNetworks(text: String, address: String, prefixLength: Int, isIPv6: Bool) throws {
        let cidr = try #require(ConfigCIDR.parse(text))
        #expect(cidr.text == text)
        #expect(cidr.address == address)
        #expect(cidr.prefixLength == prefixLength)
        #expect(cidr.isIPv6 == isIPv6)
        #expect(cidr.description == "\(address)/\(prefixLength)")
    }

    /// The single diagnostic for `text` as the only trusted proxy.
    static func message(_ text: String) -> String {
        let yaml = ConfigDiagnosticsTests.base + "security: { trusted_proxies: [\"\(text)\"] }\n"
        let diagnostics = ConfigDiagnosticsTests.diagnostics(yaml)
        guard diagnostics.count == 1, let diagnostic = diagnostics.first else { return "\(diagnostics.map(\.description))" }
        return diagnostic.message
    }

    @Test(arguments: [
        // IPv4
        ("10.0.0.0/33", "prefix length 33 is out of range for IPv4 (0-32)"),
        ("1.2.3.4.5", "\"1.2.3.4.5\" is not an IPv4 address (expected four numbers 0-255 separated by dots)"),
        ("1.2.3", "\"1.2.3\" is not an IPv4 address"),
        ("1..2.3", "\"1..2.3\" is not an IPv4 address"),
        ("1.2.3.256", "\"256\" in \"1.2.3.256\" is out of range (0-255)"),
        ("1.2.3.1000", "\"1000\" in \"1.2.3.1000\" is out of range (0-255)"),
        ("01.2.3.4", "\"01\" in \"01.2.3.4\" has a leading zero"),
        ("10.0.0.0/", "missing prefix length after \"/\""),
        ("10.0.0.0/8/8", "more than one \"/\""),
        ("/8", "missing address"),
        ("10.0.0.0/x", "prefix length \"x\" is not a number"),
        ("10.0.0.0/-1", "prefix length \"-1\" is not a number"),
        ("10.0.0.0/08", "prefix length \"08\" has a leading zero"),
        ("10.0.0.1/8", "bits are set after the /8 prefix (the network is 10.0.0.0/8;"),
        ("192.168.1.1/24", "(the network is 192.168.1.0/24;"),
        ("localhost", "\"localhost\" is not an IP address (host names are not allowed)"),
        ("example.com/24", "host names are not allowed"),
        ("1.2.3.4 ", "\"1.2.3.4 \" is not an IPv4 address"),
        // IPv6
        ("::/129", "prefix length 129 is out of range for IPv6 (0-128)"),
        ("2001:db8::1/32", "(the network is 2001:db8::/32;"),
        ("2001:db8:0:1:0:0:0:1/48", "(the network is 2001:db8::/48;"),
        ("1:2:3:4:5:6:7", "has 7 groups instead of 8 (use \"::\" for a run of zero groups)"),
        ("1:2:3:4:5:6:7:8:9", "has 9 groups instead of 8"),
        ("1:2:3:4:5:6:7:1.2.3.4", "has 9 groups instead of 8"),
        ("1:2:3:4:5:6:7::8", "has too many groups for \"::\""),
        ("1::2::3", "\"::\" may appear only once"),
        ("1:::2", "\":::\" in \"1:::2\" is not valid"),
        ("12345::", "group \"12345\" in \"12345::\" has more than four hex digits"),
        (":1:2:3:4:5:6:7", "empty group"),
        ("1:2:3:4:5:6:7:", "empty group"),
        ("g::1", "\"g::1\" is not an IPv6 address"),
        ("fe80::1%eth0", "zone identifiers"),
        ("[::1]", "write IPv6 addresses without brackets"),
        ("::ffff:1.2.3", "embedded IPv4 part: \"1.2.3\" is not an IPv4 address"),
        ("::ffff:1.2.3.04", "embedded IPv4 part: \"04\" in \"1.2.3.04\" has a leading zero"),
        ("1.2.3.4::", "an embedded IPv4 address must be the last part"),
        ("::1.2.3.4:5", "an embedded IPv4 address must be the last part"),
    ] as [(String, String)])
    func invalidNetworks(text: String, fragment: String) {
        #expect(ConfigCIDR.parse(text) == nil)
        let message = Self.message(text)
        #expect(message.hasPrefix("invalid CIDR "), "\(message)")
        #expect(message.contains(fragment), "\(message)")
    }

    @Test func everyPrefixLengthChecksTheRightBits() {
        // 10.128.0.0 has bit 8 set: valid up to /9, not at /8.
        #expect(ConfigCIDR.parse("10.128.0.0/9") != nil)
        #expect(ConfigCIDR.parse("10.128.0.0/8") == nil)
        for length in 0...32 {
            #expect(ConfigCIDR.parse("0.0.0.0/\(length)") != nil)
            #expect(ConfigCIDR.parse("255.255.255.255/\(length)") == nil || length == 32)
        }
        for length in 0...128 {
            #expect(ConfigCIDR.parse("::/\(length)") != nil)
            #expect(ConfigCIDR.parse("::1/\(length)") == nil || length == 128)
        }
        #expect(ConfigCIDR.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff80/121") != nil)
        #expect(ConfigCIDR.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff80/120") == nil)
    }
}
