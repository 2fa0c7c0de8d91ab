import PorticoCore
import Testing

@Suite struct BalancingStableHashTests {
    /// Published FNV-1a 64 vectors, finalized with fmix64 (values computed independently).
    @Test(arguments: [
        ("", 0xEFD0_1F60_BA99_2926 as UInt64),
        ("a", 0x82A2_A958_A9BE_CE5B),
        ("foobar", 0x2C22_1949_22D1_672B),
        ("10.0.0.1:8080", 0xE8C7_2115_6ED5_2B14),
        ("10.0.0.1:8080#159", 0x6B1C_CCA1_3534_3EC3),
    ])
    func knownValues(text: String, expected: UInt64) {
        #expect(StableHash.hash(text) == expected)
        #expect(StableHash.hash(text[...]) == expected)
        #expect(StableHash.hash(bytes: Array(text.utf8)) == expected)
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBytes { StableHash.hash($0) } == expected)
    }

    @Test func mixIsFmix64() {
        #expect(StableHash.mix(0) == 0)
        #expect(StableHash.mix(0xCBF2_9CE4_8422_2325) == StableHash.hash(""))
        #expect(StableHash.mix(1) != StableHash.mix(2))
        #expect(StableHash.combine(1, 2) != StableHash.combine(2, 1))
    }

    @Test func incrementalMatchesWhole() {
        for k in [0, 7, 10, 99, 159, 12_345, Int.max, -5, Int.min] {
            var hasher = StableHasher()
            hasher.combine("10.0.0.1:8080")
            hasher.combine(byte: 0x23)
            hasher.combineDecimal(k)
            #expect(hasher.finalize() == StableHash.hash("10.0.0.1:8080#\(k)"), "k = \(k)")
        }
        var pieces = StableHasher()
        pieces.combine("foo")
        pieces.combine(bytes: "bar".utf8)
        #expect(pieces.finalize() == StableHash.hash("foobar"))
    }

    @Test func nonASCIIIsHashedAsUTF8() {
        #expect(StableHash.hash("ü") == StableHash.hash(bytes: [0xC3, 0xBC]))
    }
}
