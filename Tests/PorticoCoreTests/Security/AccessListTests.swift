import PorticoCore
import Testing

@Suite("Access lists")
struct AccessListTests {
    static func list(allow: [String], deny: [String]) throws -> AccessList {
        AccessList(allow: try allow.map { try #require(CIDR($0)) }, deny: try deny.map { try #require(CIDR($0)) })
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var allow: [String]
        var deny: [String]
        var address: String
        var permitted: Bool
        var testDescription: String { "allow \(allow) deny \(deny): \(address) -> \(permitted)" }
    }

    static let cases: [Case] = [
        // Empty lists permit everything.
        Case(allow: [], deny: [], address: "203.0.113.1", permitted: true),
        Case(allow: [], deny: [], address: "2001:db8::1", permitted: true),
        // Allow only.
        Case(allow: ["10.0.0.0/8"], deny: [], address: "10.1.2.3", permitted: true),
        Case(allow: ["10.0.0.0/8"], deny: [], address: "11.1.2.3", permitted: false),
        Case(allow: ["10.0.0.0/8"], deny: [], address: "::ffff:10.1.2.3", permitted: true),
        Case(allow: ["10.0.0.0/8"], deny: [], address: "2001:db8::1", permitted: false),
        Case(allow: ["10.0.0.0/8", "2001:db8::/32"], deny: [], address: "2001:db8::1", permitted: true),
        Case(allow: ["2001:db8::/32"], deny: [], address: "10.1.2.3", permitted: false),
        Case(allow: ["::/0"], deny: [], address: "10.1.2.3", permitted: false),
        // Deny only: everything else passes.
        Case(allow: [], deny: ["192.0.2.0/24"], address: "192.0.2.77", permitted: false),
        Case(allow: [], deny: ["192.0.2.0/24"], address: "::ffff:192.0.2.77", permitted: false),
        Case(allow: [], deny: ["192.0.2.0/24"], address: "192.0.3.1", permitted: true),
        Case(allow: [], deny: ["192.0.2.0/24"], address: "2001:db8::1", permitted: true),
        Case(allow: [], deny: ["0.0.0.0/0"], address: "2001:db8::1", permitted: true),
        Case(allow: [], deny: ["0.0.0.0/0", "::/0"], address: "2001:db8::1", permitted: false),
        // Deny wins over allow, whatever is more specific.
        Case(allow: ["10.0.0.0/8"], deny: ["10.1.0.0/16"], address: "10.1.2.3", permitted: false),
        Case(allow: ["10.0.0.0/8"], deny: ["10.1.0.0/16"], address: "10.2.2.3", permitted: true),
        Case(allow: ["10.1.2.3"], deny: ["10.0.0.0/8"], address: "10.1.2.3", permitted: false),
        Case(allow: ["0.0.0.0/0"], deny: ["10.1.2.3"], address: "10.1.2.4", permitted: true),
        Case(allow: ["2001:db8::/32"], deny: ["2001:db8:bad::/48"], address: "2001:db8:bad::1", permitted: false),
        Case(allow: ["2001:db8::/32"], deny: ["2001:db8:bad::/48"], address: "2001:db8:bae::1", permitted: true),
        // Overlapping and adjacent allow ranges are merged correctly.
        Case(allow: ["10.0.0.0/9", "10.128.0.0/9"], deny: [], address: "10.127.255.255", permitted: true),
        Case(allow: ["10.0.0.0/9", "10.128.0.0/9"], deny: [], address: "10.128.0.0", permitted: true),
        Case(allow: ["10.0.0.0/9", "10.128.0.0/9"], deny: [], address: "11.0.0.0", permitted: false),
        Case(allow: ["10.0.0.0/8", "10.2.0.0/16", "9.0.0.0/8"], deny: [], address: "9.255.0.1", permitted: true),
        Case(allow: ["255.255.255.255", "255.255.255.0/24"], deny: [], address: "255.255.255.128", permitted: true),
        Case(
            allow: ["ffff::/16", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"], deny: [], address: "ffff::1",
            permitted: true),
    ]

    @Test(arguments: cases)
    func decides(_ c: Case) throws {
        let list = try Self.list(allow: c.allow, deny: c.deny)
        #expect(list.permits(try #require(IPAddress(c.address))) == c.permitted)
    }

    @Test func permitsAll() throws {
        #expect(try Self.list(allow: [], deny: []).permitsAll)
        #expect(try !Self.list(allow: ["10.0.0.0/8"], deny: []).permitsAll)
        #expect(try !Self.list(allow: [], deny: ["::1"]).permitsAll)
    }

    /// Large lists take the binary-search path: its answers must match a linear scan over
    /// the same prefixes, including at every range boundary.
    @Test func largeListsAgreeWithLinearScan() throws {
        var generator = SeededGenerator(seed: 0x5EC)  // WireHeadParserSupport.swift
        var allow: [CIDR] = []
        var deny: [CIDR] = []
        for i in 0..<400 {
            let v4 = IPAddress(ipv4: UInt32(truncatingIfNeeded: generator.next()))
            let v6 = IPAddress(
                ipv6High: 0x2001_0DB8_0000_0000 | (generator.next() & 0xFFFF_FFFF), low: generator.next())
            let v4Prefix = try #require(CIDR(address: v4, prefixLength: 8 + Int(generator.next() % 25)))
            let v6Prefix = try #require(CIDR(address: v6, prefixLength: 40 + Int(generator.next() % 89)))
            if i % 5 == 0 {
                deny.append(v4Prefix)
                deny.append(v6Prefix)
            } else {
                allow.append(v4Prefix)
                allow.append(v6Prefix)
            }
        }
        let list = AccessList(allow: allow, deny: deny)
        func reference(_ a: IPAddress) -> Bool {
            if deny.contains(where: { $0.contains(a) }) { return false }
            return allow.contains(where: { $0.contains(a) })
        }
        var probes: [IPAddress] = []
        for prefix in allow + deny {
            probes.append(prefix.address)
            if let v4 = prefix.address.ipv4Value {
                let last = v4 | (UInt32.max >> UInt32(prefix.prefixLength))
                probes.append(IPAddress(ipv4: last))
                probes.append(IPAddress(ipv4: last &+ 1))
                probes.append(IPAddress(ipv4: v4 &- 1))
                probes.append(IPAddress(ipv4: last).mapped)
            } else if let (high, low) = prefix.address.ipv6Value {
                probes.append(IPAddress(ipv6High: high, low: low &- 1))
                probes.append(IPAddress(ipv6High: high, low: low | 0xFFFF))
                probes.append(IPAddress(ipv6High: high | 0xFFFF, low: .max))
            }
        }
        for _ in 0..<2000 {
            probes.append(IPAddress(ipv4: UInt32(truncatingIfNeeded: generator.next())))
            probes.append(
                IPAddress(ipv6High: 0x2001_0DB8_0000_0000 | (generator.next() & 0xFFFF_FFFF), low: generator.next()))
        }
        var permitted = 0
        for probe in probes {
            let expected = reference(probe)
            #expect(list.permits(probe) == expected, "\(probe)")
            if expected { permitted += 1 }
        }
        // The probes exercise both answers.
        #expect(permitted > 100)
        #expect(probes.count - permitted > 100)
    }
}
