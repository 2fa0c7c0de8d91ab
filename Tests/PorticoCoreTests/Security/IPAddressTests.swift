import PorticoCore
import Testing

@Suite("IP address parsing and printing")
struct IPAddressTests {
    // text, expected canonical form
    @Test(arguments: [
        ("0.0.0.0", "0.0.0.0"),
        ("1.2.3.4", "1.2.3.4"),
        ("255.255.255.255", "255.255.255.255"),
        ("10.0.0.1", "10.0.0.1"),
        ("192.168.100.200", "192.168.100.200"),
        ("100.64.0.0", "100.64.0.0"),
    ])
    func parsesIPv4(text: String, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.family == .ipv4)
        #expect(address.description == canonical)
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.02.3.4", "1.2.3.00", "256.1.1.1", "1.2.3.256", "1.2.3.4 ",
        " 1.2.3.4", "1..3.4", "1.2.3.", ".1.2.3", "1.2.3.4.", "a.b.c.d", "1.2.3.-4", "+1.2.3.4", "1.2.3.4/8",
        "1234.1.1.1", "0x7f.0.0.1", "4294967295", "1.2.3.4%eth0", "１.2.3.4",
    ])
    func rejectsInvalidIPv4(text: String) {
        #expect(IPAddress(text) == nil)
    }

    // text, expected canonical form (RFC 5952)
    @Test(arguments: [
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("0:0:0:0:0:0:0:0", "::"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("2001:DB8::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // first of equal runs
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),  // longest run wins
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // a single zero group is not compressed
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        ("fe80::1", "fe80::1"),
        ("FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
        ("::FFFF:192.0.2.1", "::ffff:192.0.2.1"),
        ("0:0:0:0:0:ffff:c000:0201", "::ffff:192.0.2.1"),
        ("::1.2.3.4", "::102:304"),  // deprecated IPv4-compatible form: printed as hex
        ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
        ("2001:db8::0:1", "2001:db8::1"),
        ("0001:0002:0003:0004:0005:0006:0007:0008", "1:2:3:4:5:6:7:8"),
        ("2001:db8:aaaa:bbbb:cccc:dddd:eeee:0", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:0"),
    ])
    func parsesIPv6(text: String, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.family == .ipv6)
        #expect(address.description == canonical)
        // The canonical form parses back to the same address.
        #expect(IPAddress(canonical) == address)
    }

    @Test(arguments: [
        "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", ":::", "1:::2", "::1::", "1::2::3", ":1::", "1::2:", ":1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7:8:", "12345::", "fe80::1%eth0", "fe80::1%1", "[::1]", "[::1]:80", "::g", "1:2:3:4:5:6:7:8::",
        "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3", "::01.2.3.4", "::1.2.3.4:5", "::1.2.3.4.5",
        "::256.0.0.1",
        "::ffff:1.2.3.4x", "1.2.3.4::", ": :", "::1 ", " ::1", "0:0:0:0:0:0:0:0:0", "2001:db8::1/64",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ":", "1:", "::a.2.3.4",
    ])
    func rejectsInvalidIPv6(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func substringsParseWithoutCopyingSemantics() throws {
        let text = "for 192.0.2.7 and [2001:db8::7]"
        let v4 = text.split(separator: " ")[1]
        #expect(IPAddress(v4) == IPAddress("192.0.2.7"))
        let inner = text.split(separator: "[")[1].dropLast()
        #expect(try #require(IPAddress(inner)).description == "2001:db8::7")
    }

    @Test func mappedAndUnmapped() throws {
        let mapped = try #require(IPAddress("::ffff:10.1.2.3"))
        let v4 = try #require(IPAddress("10.1.2.3"))
        #expect(mapped.isIPv4MappedIPv6)
        #expect(mapped != v4)
        #expect(mapped.unmapped == v4)
        #expect(v4.unmapped == v4)
        #expect(v4.mapped == mapped)
        #expect(!v4.isIPv4MappedIPv6)
        // Neighbours of the mapped block are not mapped.
        #expect(try #require(IPAddress("::fffe:10.1.2.3")).isIPv4MappedIPv6 == false)
        #expect(try #require(IPAddress("::1:ffff:10.1.2.3")).isIPv4MappedIPv6 == false)
        #expect(try #require(IPAddress("::1.2.3.4")).isIPv4MappedIPv6 == false)
        let v6 = try #require(IPAddress("2001:db8::1"))
        #expect(v6.unmapped == v6)
        #expect(v6.mapped == v6)
    }

    @Test func rawBytes() throws {
        #expect(IPAddress(bytes: [192, 0, 2, 1]) == IPAddress("192.0.2.1"))
        #expect(
            IPAddress(bytes: [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1])
                == IPAddress("2001:db8::1"))
        #expect(
            IPAddress(bytes: [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 1, 2, 3, 4]) == IPAddress("::ffff:1.2.3.4")
        )
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(IPAddress(bytes: [UInt8](repeating: 0, count: 5)) == nil)
        #expect(IPAddress(bytes: [UInt8](repeating: 0, count: 17)) == nil)
        #expect(IPAddress(ipv4: 0xC000_0201) == IPAddress("192.0.2.1"))
        #expect(try #require(IPAddress("192.0.2.1")).ipv4Value == 0xC000_0201)
        #expect(try #require(IPAddress("::1")).ipv4Value == nil)
        let v6 = try #require(IPAddress("2001:db8::1:2"))
        let halves = try #require(v6.ipv6Value)
        #expect(halves.high == 0x2001_0DB8_0000_0000)
        #expect(halves.low == 0x0000_0000_0001_0002)
    }

    @Test func familiesAreDistinctValues() throws {
        // 0.0.0.1 and ::1 share their low bits but are different addresses.
        let v4 = try #require(IPAddress("0.0.0.1"))
        let v6 = try #require(IPAddress("::1"))
        #expect(v4 != v6)
        #expect(Set([v4, v6, v4]).count == 2)
    }

    /// Every 16-bit group value and zero-run placement round-trips through the
    /// canonical printer and the parser.
    @Test func canonicalRoundTripOverPatterns() throws {
        let values: [UInt16] = [0, 1, 0xA, 0xAB, 0xABC, 0xABCD, 0xFFFF]
        for mask in 0..<256 {
            var bytes: [UInt8] = []
            for g in 0..<8 {
                let value = mask & (1 << g) == 0 ? 0 : values[(mask + g) % values.count]
                bytes.append(UInt8(value >> 8))
                bytes.append(UInt8(value & 0xFF))
            }
            let address = try #require(IPAddress(bytes: bytes))
            let text = address.description
            #expect(IPAddress(text) == address, "\(text)")
            #expect(!text.contains(":::"))
            #expect(text.ranges(of: "::").count <= 1)
            #expect(text == text.lowercased())
        }
    }
}
