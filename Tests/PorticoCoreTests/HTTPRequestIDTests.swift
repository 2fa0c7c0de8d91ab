import PorticoCore
import Testing

struct HTTPRequestIDTests {
    @Test func hundredThousandUniqueIDsAcrossGenerators() {
        var a = RequestIDGenerator()
        var b = RequestIDGenerator()
        var seen = Set<UInt64>()
        seen.reserveCapacity(100_000)
        for _ in 0..<50_000 {
            seen.insert(a.next().rawValue)
            seen.insert(b.next().rawValue)
        }
        #expect(seen.count == 100_000)
    }

    @Test func formatsSixteenLowercaseHexDigits() {
        #expect(RequestID(rawValue: 0).description == "0000000000000000")
        #expect(RequestID(rawValue: 0xDEAD_BEEF).description == "00000000deadbeef")
        #expect(RequestID(rawValue: .max).description == "ffffffffffffffff")
        var g = RequestIDGenerator(seed: 42)
        let text = g.next().description
        #expect(text.utf8.count == 16)
        #expect(text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
    }

    @Test func sameSeedSameSequenceAndNotSequential() {
        var a = RequestIDGenerator(seed: 7)
        var b = RequestIDGenerator(seed: 7)
        let first = a.next()
        #expect(first == b.next())
        #expect(a.next().rawValue != first.rawValue &+ 1)
    }
}
