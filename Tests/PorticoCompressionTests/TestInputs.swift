#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// Deterministic test data: no randomness between runs, so failures reproduce.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
}

enum TestInputs {
    static let words = [
        "proxy", "cache", "header", "stream", "window", "origin", "client", "route", "upstream", "vary",
        "encoding", "gzip", "brotli", "zstd", "the", "a", "of", "and", "response", "request", "<div>",
        "</div>", "{\"key\":", "\"value\"}", "\n", "lorem", "ipsum", "dolor", "sit", "amet",
    ]

    /// Text-like bytes: words picked by a seeded generator (compresses like HTML/JSON).
    static func text(count: Int, seed: UInt64) -> ByteBuffer {
        var random = SplitMix64(state: seed)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(count + 32)
        while buffer.readableBytes < count {
            buffer.writeString(words[Int(random.next() % UInt64(words.count))])
            buffer.writeInteger(UInt8(ascii: " "))
        }
        return buffer.getSlice(at: buffer.readerIndex, length: count)!
    }

    /// Pseudo-random bytes: what compressed or encrypted data looks like to a coder.
    static func incompressible(count: Int, seed: UInt64) -> ByteBuffer {
        var random = SplitMix64(state: seed)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(count + 8)
        while buffer.readableBytes < count {
            buffer.writeInteger(random.next())
        }
        return buffer.getSlice(at: buffer.readerIndex, length: count)!
    }
}

extension ByteBuffer {
    /// Byte-wise equality of the readable bytes via memcmp (fast in debug builds).
    func hasSameBytes(as other: ByteBuffer) -> Bool {
        guard readableBytes == other.readableBytes else { return false }
        return withUnsafeReadableBytes { mine in
            other.withUnsafeReadableBytes { theirs in
                mine.count == 0 || memcmp(mine.baseAddress!, theirs.baseAddress!, mine.count) == 0
            }
        }
    }
}
