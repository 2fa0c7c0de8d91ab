import NIOCore

/// A W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/ §3.2):
/// `00-<32 hex trace-id>-<16 hex parent-id>-<2 hex trace-flags>`, lower-case hex.
///
/// Pure value type: parsing and formatting only, no randomness and no I/O, so the
/// rules of the specification are unit-tested directly. Ids are kept as integers
/// (not strings) because every forwarded request carries one: formatting writes hex
/// straight into a `ByteBuffer`, without allocating.
public struct TraceContext: Sendable, Hashable {
    /// The 16-byte trace id as two big-endian halves (`high` is the first 16 hex digits).
    public var traceIDHigh: UInt64
    public var traceIDLow: UInt64
    /// The 8-byte id of the span that sent the request (the caller's span).
    public var parentID: UInt64
    /// trace-flags; bit 0 is `sampled` (§3.2.2.5).
    public var flags: UInt8

    /// The length of a version-00 `traceparent` value.
    public static let encodedLength = 55
    /// Where the parent-id's 16 hex digits start in an encoded value (after
    /// `00-` and the trace id and its dash), so a writer can patch them in place.
    public static let parentIDOffset = 36

    public init(traceIDHigh: UInt64, traceIDLow: UInt64, parentID: UInt64, flags: UInt8) {
        self.traceIDHigh = traceIDHigh
        self.traceIDLow = traceIDLow
        self.parentID = parentID
        self.flags = flags
    }

    /// Whether the `sampled` flag is set (§3.2.2.5.1).
    public var isSampled: Bool { self.flags & 0x01 != 0 }

    // MARK: Parsing

    /// Parses a `traceparent` value; nil when it is invalid, in which case the caller
    /// starts a new trace and ignores `tracestate` (§3.3.1, §4.3).
    ///
    /// Rules (§3.2.2, §3.2.4 "Versioning of traceparent"):
    /// - every hex digit must be lower case (`0-9a-f`);
    /// - version `ff` is invalid;
    /// - version `00` must be exactly 55 characters;
    /// - a higher (future) version must be at least 55 characters, and anything after
    ///   the flags must start with `-`; its first fields are read as version 00 and
    ///   only the `sampled` bit of its flags is kept (the meaning of other bits may differ);
    /// - an all-zero trace-id or parent-id is invalid.
    public static func parse(_ value: UnsafeRawBufferPointer) -> TraceContext? {
        let count = value.count
        guard count >= encodedLength else { return nil }
        guard let version = hexByte(value, at: 0), version != 0xFF else { return nil }
        if version == 0 {
            guard count == encodedLength else { return nil }
        } else if count > encodedLength {
            guard value[encodedLength] == UInt8(ascii: "-") else { return nil }
        }
        guard value[2] == UInt8(ascii: "-"), value[35] == UInt8(ascii: "-"), value[52] == UInt8(ascii: "-") else {
            return nil
        }
        guard let high = hex64(value, at: 3),
              let low = hex64(value, at: 19),
              let parent = hex64(value, at: 36),
              var flags = hexByte(value, at: 53)
        else { return nil }
        guard high | low != 0, parent != 0 else { return nil }
        if version != 0 {
            flags &= 0x01
        }
        return TraceContext(traceIDHigh: high, traceIDLow: low, parentID: parent, flags: flags)
    }

    /// Parses a `traceparent` value given as text (tests, tools).
    public static func parse(_ value: String) -> TraceContext? {
        var copy = value
        return copy.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    // MARK: Formatting

    /// The same trace with a new parent-id: what a hop sends to the next one (§3.2.2.3,
    /// "Mutating the traceparent field" §4.3: keep the trace id, update the parent id).
    public func child(spanID: UInt64) -> TraceContext {
        TraceContext(traceIDHigh: self.traceIDHigh, traceIDLow: self.traceIDLow, parentID: spanID, flags: self.flags)
    }

    /// Writes the version-00 encoding (55 bytes); Portico always sends version 00,
    /// the one it implements, whatever version it received (§3.2.4).
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeStaticString("00-")
        Self.writeHex(self.traceIDHigh, into: &buffer)
        Self.writeHex(self.traceIDLow, into: &buffer)
        buffer.writeStaticString("-")
        Self.writeHex(self.parentID, into: &buffer)
        buffer.writeStaticString("-")
        Self.writeHexByte(self.flags, into: &buffer)
    }

    /// The version-00 encoding as text.
    public var traceparent: String {
        var buffer = ByteBuffer()
        self.write(into: &buffer)
        return String(buffer: buffer)
    }

    /// The trace id as 32 lower-case hex digits.
    public var traceIDText: String {
        var buffer = ByteBuffer()
        self.writeTraceID(into: &buffer)
        return String(buffer: buffer)
    }

    public func writeTraceID(into buffer: inout ByteBuffer) {
        Self.writeHex(self.traceIDHigh, into: &buffer)
        Self.writeHex(self.traceIDLow, into: &buffer)
    }

    /// 16 lower-case hex digits, zero-padded, written in place (no String).
    public static func writeHex(_ value: UInt64, into buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 16) { out in
            Self.encodeHex(value, into: out)
            return 16
        }
    }

    /// Overwrites the 16 bytes at `offset` (relative to the readable bytes) with `value`
    /// in hex: a retry patches the parent-id of an already written head.
    public static func setHex(_ value: UInt64, at offset: Int, in buffer: inout ByteBuffer) {
        buffer.withUnsafeMutableReadableBytes { bytes in
            Self.encodeHex(value, into: UnsafeMutableRawBufferPointer(rebasing: bytes[offset..<(offset + 16)]))
        }
    }

    @inline(__always)
    private static func encodeHex(_ value: UInt64, into out: UnsafeMutableRawBufferPointer) {
        var v = value
        var i = 15
        while i >= 0 {
            out[i] = hexDigit(UInt8(truncatingIfNeeded: v & 0xF))
            v >>= 4
            i -= 1
        }
    }

    private static func writeHexByte(_ value: UInt8, into buffer: inout ByteBuffer) {
        buffer.writeInteger(hexDigit(value >> 4))
        buffer.writeInteger(hexDigit(value & 0xF))
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble
    }

    // MARK: Hex decoding (lower case only, §3.2.2: "HEXDIGLC")

    @inline(__always)
    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte &- 0x30
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte &- 0x57
        default: return nil
        }
    }

    private static func hexByte(_ value: UnsafeRawBufferPointer, at index: Int) -> UInt8? {
        guard let high = nibble(value[index]), let low = nibble(value[index + 1]) else { return nil }
        return high << 4 | low
    }

    private static func hex64(_ value: UnsafeRawBufferPointer, at index: Int) -> UInt64? {
        var result: UInt64 = 0
        for i in index..<(index + 16) {
            guard let digit = nibble(value[i]) else { return nil }
            result = result << 4 | UInt64(digit)
        }
        return result
    }
}
