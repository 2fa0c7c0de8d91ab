import PorticoCore
import Testing

@Suite("CIDR prefixes")
struct CIDRTests {
    // text, canonical description
    @Test(arguments: [
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("10.1.2.3/8", "10.0.0.0/8"),  // host bits masked
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("1.2.3.4/0", "0.0.0.0/0"),
        ("192.0.2.7/32", "192.0.2.7/32"),
        ("192.0.2.7", "192.0.2.7/32"),
        ("192.0.2.255/31", "192.0.2.254/31"),
        ("2001:db8::/32", "2001:db8::/32"),
        ("2001:DB8:1::/32", "2001:db8::/32"),
        ("::/0", "::/0"),
        ("::1", "::1/128"),
        ("::1/128", "::1/128"),
        ("2001:db8::ffff/127", "2001:db8::fffe/127"),
        ("2001:db8::/33", "2001:db8::/33"),
        ("2001:db8:ffff::/33", "2001:db8:8000::/33"),
        ("::ffff:10.0.0.0/104", "10.0.0.0/8"),  // inside the v4-mapped block: stored as IPv4
        ("::ffff:10.1.2.3", "10.1.2.3/32"),
        ("::ffff:0.0.0.0/96", "0.0.0.0/0"),
        ("::ffff:0:0/95", "::fffe:0:0/95"),
    ])
    func parses(text: String, canonical: String) throws {
        let cidr = try #require(CIDR(text))
        #expect(cidr.description == canonical)
        #expect(CIDR(canonical) == cidr)
    }

    // text, diagnostic
    @Test(arguments: [
        ("", "empty address range"),
        ("10.0.0.0/33", "prefix length 33 is out of range for IPv4 (0-32)"),
        ("2001:db8::/129", "prefix length 129 is out of range for IPv6 (0-128)"),
        ("::ffff:1.2.3.4/200", "prefix length 200 is out of range for IPv6 (0-128)"),
        ("10.0.0.0/", "invalid prefix length \"\" (expected a number after \"/\")"),
        ("10.0.0.0/-1", "invalid prefix length \"-1\" (expected a number after \"/\")"),
        ("10.0.0.0/08", "invalid prefix length \"08\" (expected a number after \"/\")"),
        ("10.0.0.0/8/8", "invalid prefix length \"8/8\" (expected a number after \"/\")"),
        ("10.0.0.0/1000", "invalid prefix length \"1000\" (expected a number after \"/\")"),
        ("10.0.0.0/ 8", "invalid prefix length \" 8\" (expected a number after \"/\")"),
        ("10.0.0/8", "invalid IP address \"10.0.0\""),
        ("/8", "invalid IP address \"\""),
        ("localhost", "invalid IP address \"localhost\""),
        ("[::1]/128", "invalid IP address \"[::1]\""),
        ("fe80::1%eth0/64", "invalid IP address \"fe80::1%eth0\""),
    ])
    func diagnoses(text: String, message: String) {
        #expect(CIDR(text) == nil)
        switch CIDR.check(text) {
        case .success(let cidr): Issue.record("accepted \(text) as \(cidr)")
        case .failure(let error): #expect(error.description == message)
        }
    }

    @Test func hostBitsAreReported() {
        #expect(CIDR.hasHostBits("10.1.2.3/8"))
        #expect(CIDR.hasHostBits("2001:db8::1/64"))
        #expect(CIDR.hasHostBits("::ffff:10.1.0.0/104"))
        #expect(!CIDR.hasHostBits("10.0.0.0/8"))
        #expect(!CIDR.hasHostBits("10.1.2.3"))
        #expect(!CIDR.hasHostBits("::ffff:10.0.0.0/104"))
        #expect(!CIDR.hasHostBits("garbage"))
    }

    // prefix, address, contained
    @Test(arguments: [
        ("0.0.0.0/0", "0.0.0.0", true),
        ("0.0.0.0/0", "255.255.255.255", true),
        ("0.0.0.0/0", "::ffff:8.8.8.8", true),
        ("0.0.0.0/0", "::1", false),
        ("0.0.0.0/0", "::", false),
        ("10.0.0.0/8", "10.255.255.255", true),
        ("10.0.0.0/8", "11.0.0.0", false),
        ("10.0.0.0/8", "9.255.255.255", false),
        ("10.0.0.0/8", "::ffff:10.9.8.7", true),
        ("10.0.0.0/8", "::ffff:11.9.8.7", false),
        ("10.0.0.0/8", "::10.9.8.7", false),  // IPv4-compatible is not v4-mapped
        ("10.0.0.0/8", "a00::", false),
        ("192.0.2.7/32", "192.0.2.7", true),
        ("192.0.2.7/32", "192.0.2.6", false),
        ("192.0.2.7/32", "192.0.2.8", false),
        ("192.0.2.6/31", "192.0.2.7", true),
        ("192.0.2.6/31", "192.0.2.8", false),
        ("::/0", "2001:db8::1", true),
        ("::/0", "::", true),
        ("::/0", "1.2.3.4", false),  // IPv6 prefixes never match IPv4 clients
        ("::/0", "::ffff:1.2.3.4", false),  // ...however they are written
        ("2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true),
        ("2001:db8::/32", "2001:db9::", false),
        ("2001:db8::/32", "2001:db7:ffff::", false),
        ("2001:db8::1/128", "2001:db8::1", true),
        ("2001:db8::1/128", "2001:db8::2", false),
        ("2001:db8::/127", "2001:db8::1", true),
        ("2001:db8::/127", "2001:db8::2", false),
        ("2001:db8::/64", "2001:db8::ffff:ffff:ffff:ffff", true),
        ("2001:db8::/64", "2001:db8:0:1::", false),
        ("2001:db8::/65", "2001:db8::7fff:ffff:ffff:ffff", true),
        ("2001:db8::/65", "2001:db8::8000:0:0:0", false),
        ("::ffff:10.0.0.0/104", "10.1.2.3", true),
        ("::ffff:10.0.0.0/104", "::ffff:10.1.2.3", true),
        ("::ffff:10.0.0.0/104", "11.1.2.3", false),
        ("::ffff:0:0/96", "203.0.113.9", true),
    ])
    func contains(prefix: String, address: String, contained: Bool) throws {
        let cidr = try #require(CIDR(prefix))
        let ip = try #require(IPAddress(address))
        #expect(cidr.contains(ip) == contained)
    }

    @Test func everyIPv4PrefixLengthSplitsAtTheRightBit() throws {
        let base = try #require(IPAddress("128.0.0.0"))
        for length in 0...32 {
            let cidr = try #require(CIDR(address: base, prefixLength: length))
            #expect(cidr.prefixLength == length)
            // The last address inside and the first outside (when there is one).
            let size = UInt64(1) << UInt64(32 - length)
            let start = UInt64(cidr.address.ipv4Value!)
            #expect(cidr.contains(IPAddress(ipv4: UInt32(start + size - 1))))
            if start + size <= UInt64(UInt32.max) {
                #expect(!cidr.contains(IPAddress(ipv4: UInt32(start + size))))
            }
            if start > 0 {
                #expect(!cidr.contains(IPAddress(ipv4: UInt32(start - 1))))
            }
        }
        #expect(CIDR(address: base, prefixLength: 33) == nil)
        #expect(CIDR(address: base, prefixLength: -1) == nil)
    }

    @Test func everyIPv6PrefixLengthSplitsAtTheRightBit() throws {
        let all = try #require(IPAddress("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
        for length in 0...128 {
            let cidr = try #require(CIDR(address: all, prefixLength: length))
            // The network keeps exactly `length` one bits.
            let (high, low) = cidr.address.ipv6Value!
            #expect(high.nonzeroBitCount + low.nonzeroBitCount == length)
            #expect(cidr.contains(all))
            if length > 0 {
                // Flipping the last network bit leaves the prefix.
                let bit = 128 - length
                let flipped =
                    bit >= 64
                    ? IPAddress(ipv6High: UInt64.max ^ (1 << UInt64(bit - 64)), low: .max)
                    : IPAddress(ipv6High: .max, low: UInt64.max ^ (1 << UInt64(bit)))
                #expect(!cidr.contains(flipped), "/\(length)")
            }
        }
        #expect(CIDR(address: all, prefixLength: 129) == nil)
    }
}
