import NIOCore

/// A request id: 64 bits shown as 16 lower-case hex digits. Cheap to copy and compare;
/// format it only when it is written (log line, response header, error page).
public struct RequestID: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// 16 lower-case hex digits, zero-padded; no Foundation.
    public var description: String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            var v = rawValue
            var i = 15
            while i >= 0 {
                let nibble = UInt8(truncatingIfNeeded: v & 0xF)
                buffer[i] = nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble  // '0'... / 'a'...
                v >>= 4
                i -= 1
            }
            return 16
        }
    }
}

/// Generates request ids for one event loop. Deliberately not `Sendable` and not locked:
/// each event loop owns its generator, so producing an id is an add and a few multiplies.
///
/// Id *n* is `mix(seed + n)`, where `seed` is 64 random bits drawn once per generator and
/// `mix` is the SplitMix64 finaliser, a bijection on 64-bit values. So one generator
/// never repeats within 2^64 ids, ids do not reveal request counts, and two generators
/// collide only if their seed ranges overlap: probability about (a + b) / 2^64 for a and
/// b ids drawn.
public struct RequestIDGenerator {
    private let seed: UInt64
    private var counter: UInt64 = 0

    /// A generator with a random seed (system CSPRNG, once).
    public init() {
        var rng = SystemRandomNumberGenerator()
        self.seed = rng.next()
    }

    /// A generator with a fixed seed, for tests.
    public init(seed: UInt64) {
        self.seed = seed
    }

    public mutating func next() -> RequestID {
        let value = Self.mix(seed &+ counter)
        counter &+= 1
        return RequestID(rawValue: value)
    }

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@available(*, unavailable, message: "owned by one event loop; create one per loop")
extension RequestIDGenerator: Sendable {}

/// The id one request is known by in logs, upstream (`X-Request-ID`) and on its
/// response: Portico's own, or the one the client (or a proxy in front) sent.
///
/// A generated id stays a 64-bit integer until it is written, so the common case
/// costs no String; a received one is kept as text because it is arbitrary.
public enum RequestIdentifier: Sendable, Hashable, CustomStringConvertible {
    case generated(RequestID)
    case received(String)

    public var description: String {
        switch self {
        case .generated(let id): return id.description
        case .received(let text): return text
        }
    }

    /// Writes the id as it appears in headers and logs (no String for a generated id).
    public func write(into buffer: inout ByteBuffer) {
        switch self {
        case .generated(let id): TraceContext.writeHex(id.rawValue, into: &buffer)
        case .received(let text): buffer.writeString(text)
        }
    }

    /// Longest incoming `X-Request-ID` accepted (nginx and Heroku use 200 as well).
    public static let maxReceivedLength = 200

    /// Whether an incoming `X-Request-ID` value may be used as is: 1–200 visible ASCII
    /// characters (`!`…`~`, no spaces or controls). Anything else could break log lines
    /// or smuggle text into upstream logs, so it is replaced by a generated id.
    public static func isAcceptable(_ value: UnsafeRawBufferPointer) -> Bool {
        guard !value.isEmpty, value.count <= maxReceivedLength else { return false }
        for byte in value where byte < 0x21 || byte > 0x7E {
            return false
        }
        return true
    }

    public static func isAcceptable(_ value: String) -> Bool {
        var copy = value
        return copy.withUTF8 { isAcceptable(UnsafeRawBufferPointer($0)) }
    }
}
