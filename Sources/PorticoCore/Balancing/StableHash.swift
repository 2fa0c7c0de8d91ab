/// A 64-bit hash that is the same in every process, on every platform and in every
/// release: FNV-1a 64 over the bytes, then MurmurHash3's `fmix64` finalizer.
///
/// Swift's `Hasher` is seeded per process, so it cannot place keys on a consistent-hash
/// ring that must agree across restarts, reloads and instances, nor derive sticky cookie
/// tokens that stay valid after a restart. FNV-1a is tiny and allocation-free but mixes
/// its high bits poorly for short inputs such as IP addresses; `fmix64` spreads every
/// input bit over the whole word, which the ring's binary search relies on for an even
/// distribution. Not a cryptographic hash: do not use it where an attacker choosing keys
/// matters more than stability.
public enum StableHash {
    /// FNV-1a 64 offset basis.
    static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    /// FNV-1a 64 prime (2^40 + 2^8 + 0xb3).
    static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// The hash of a string's UTF-8 bytes.
    public static func hash(_ string: some StringProtocol) -> UInt64 {
        var hasher = StableHasher()
        hasher.combine(string)
        return hasher.finalize()
    }

    /// The hash of a byte sequence.
    public static func hash(bytes: some Sequence<UInt8>) -> UInt64 {
        var hasher = StableHasher()
        hasher.combine(bytes: bytes)
        return hasher.finalize()
    }

    /// The hash of raw bytes (e.g. a slice of a received buffer).
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = StableHasher()
        hasher.combine(bytes)
        return hasher.finalize()
    }

    /// MurmurHash3's 64-bit finalizer (`fmix64`): a bijection that makes every input bit
    /// affect every output bit. Use it to spread integers (indices, counters, seeds)
    /// before using their bits; `mix(0) == 0`.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var k = value
        k ^= k >> 33
        k &*= 0xFF51_AFD7_ED55_8CCD
        k ^= k >> 33
        k &*= 0xC4CE_B9FE_1A85_EC53
        k ^= k >> 33
        return k
    }

    /// Mixes two 64-bit values into one, order-sensitively (`combine(a, b) != combine(b, a)`
    /// in general): the hash of `a`'s and then `b`'s eight little-endian bytes.
    public static func combine(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var hasher = StableHasher()
        hasher.combine(a)
        hasher.combine(b)
        return hasher.finalize()
    }
}

/// Incremental form of `StableHash`: feeding the pieces of a text one after another gives
/// the same result as hashing the whole text at once, so e.g. the ring's
/// `"10.0.0.1:8080#17"` points are hashed without building the strings.
public struct StableHasher: Sendable {
    private var state: UInt64 = StableHash.offsetBasis

    public init() {}

    @inline(__always)
    public mutating func combine(byte: UInt8) {
        state = (state ^ UInt64(byte)) &* StableHash.prime
    }

    public mutating func combine(bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            for byte in buffer { combine(byte: byte) }
        }
        if done == nil {
            for byte in bytes { combine(byte: byte) }
        }
    }

    public mutating func combine(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes { combine(byte: byte) }
    }

    /// Adds the string's UTF-8 bytes.
    public mutating func combine(_ string: some StringProtocol) {
        combine(bytes: string.utf8)
    }

    /// Adds the value's eight bytes, least significant first (the same on every platform).
    public mutating func combine(_ value: UInt64) {
        var v = value
        for _ in 0..<8 {
            combine(byte: UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
    }

    /// Adds the decimal digits of a non-negative integer, exactly as `String(value)`
    /// would spell them (negative values get a leading `-`).
    public mutating func combineDecimal(_ value: Int) {
        if value < 0 { combine(byte: 0x2D) }
        let magnitude = value.magnitude
        var divisor: UInt = 1
        while magnitude / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            combine(byte: 0x30 + UInt8(truncatingIfNeeded: (magnitude / divisor) % 10))
            divisor /= 10
        }
    }

    /// The finished hash (FNV-1a state through `fmix64`).
    public func finalize() -> UInt64 {
        StableHash.mix(state)
    }
}
