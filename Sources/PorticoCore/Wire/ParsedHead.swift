import NIOCore
import NIOHTTP1

/// Where one header field line sits inside a parsed head (RFC 9112 §5:
/// `field-line = field-name ":" OWS field-value OWS`). Offsets are relative to the head's
/// first byte (`bytes.readerIndex`); the value has its leading and trailing OWS removed
/// and may be empty (`valueLength == 0`).
public struct HeaderFieldSlot: Sendable, Equatable {
    public var nameStart: Int
    public var nameLength: Int
    public var valueStart: Int
    public var valueLength: Int

    public init(nameStart: Int, nameLength: Int, valueStart: Int, valueLength: Int) {
        self.nameStart = nameStart
        self.nameLength = nameLength
        self.valueStart = valueStart
        self.valueLength = valueLength
    }

    public var nameRange: Range<Int> { nameStart..<(nameStart + nameLength) }
    public var valueRange: Range<Int> { valueStart..<(valueStart + valueLength) }
}

/// The connection options a message nominated in its `Connection` fields (RFC 9110 §7.6.1),
/// compared case-insensitively. `other` records that some other token was listed: those
/// name hop-by-hop fields the forwarder must remove before forwarding.
public struct ConnectionOptions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let close = ConnectionOptions(rawValue: 1 << 0)
    public static let keepAlive = ConnectionOptions(rawValue: 1 << 1)
    public static let upgrade = ConnectionOptions(rawValue: 1 << 2)
    /// Any token other than `close`, `keep-alive` and `upgrade`.
    public static let other = ConnectionOptions(rawValue: 1 << 3)

    /// Whether `Connection` listed any token other than close / keep-alive / upgrade.
    public var hasOtherTokens: Bool { contains(.other) }

    /// RFC 9112 §9.3: `close` ends the connection after this message; otherwise HTTP/1.1
    /// is persistent by default and HTTP/1.0 only with `keep-alive`. A message carrying
    /// both `close` and `keep-alive` is treated as `close` (the safe reading).
    public func isKeepAlive(minorVersion: Int) -> Bool {
        if contains(.close) { return false }
        return minorVersion >= 1 || contains(.keepAlive)
    }
}

/// Why a head was refused: the status to answer with (400, 414, 431, 501, 505 for
/// requests; always 502 for upstream responses) and a fixed reason for the log. Reasons
/// never echo received bytes.
public struct HeadParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var reason: String

    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(status) \(reason)" }
}

/// The outcome of feeding bytes to a head parser.
public enum HeadParseResult<Head> {
    /// No complete head yet and nothing wrong so far: call again when more bytes arrive.
    case incomplete
    /// A head; its bytes were consumed from the buffer.
    case complete(Head)
    /// The head is invalid. The parser stays in this state: the connection must be closed
    /// after answering (RFC 9112 §11.2), since the framing of what follows is unknown.
    case invalid(HeadParseError)
}

extension HeadParseResult: Sendable where Head: Sendable {}

/// How a response body is delimited (RFC 9112 §6.3).
public enum ResponseFraming: Sendable, Equatable {
    /// No body (1xx, 204, 304, answers to HEAD, 2xx to CONNECT).
    case none
    case contentLength(Int)
    case chunked
    /// Read until the upstream closes the connection (RFC 9112 §6.3 item 8).
    case untilClose
}

/// Field access shared by `ParsedRequestHead` and `ParsedResponseHead`. Nothing here
/// allocates except `makeHeaderList()`.
public protocol HTTP1ParsedHead: Sendable {
    /// Exactly the head, start line through the final CRLF CRLF.
    var bytes: ByteBuffer { get }
    var fields: [HeaderFieldSlot] { get }
}

extension HTTP1ParsedHead {
    /// The name of `fields[index]` as received (original case).
    public func name(at index: Int) -> ByteBufferView {
        let slot = fields[index]
        return bytes.viewBytes(at: bytes.readerIndex + slot.nameStart, length: slot.nameLength)!
    }

    /// The OWS-trimmed value of `fields[index]`.
    public func value(at index: Int) -> ByteBufferView {
        let slot = fields[index]
        return bytes.viewBytes(at: bytes.readerIndex + slot.valueStart, length: slot.valueLength)!
    }

    /// Runs `body` over the raw bytes of `range` (relative to the head's first byte).
    public func withUnsafeBytes<R>(of range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeReadableBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[range]))
        }
    }

    /// The index of the first field whose name equals `name` ignoring ASCII case
    /// (RFC 9110 §5.1), or `nil`.
    public func fieldIndex(named name: StaticString) -> Int? {
        fieldIndex(named: name, from: 0)
    }

    /// The index of the first field at or after `start` named `name` (case-insensitive).
    public func fieldIndex(named name: StaticString, from start: Int) -> Int? {
        let wanted = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        return bytes.withUnsafeReadableBytes { all -> Int? in
            let p = all.bindMemory(to: UInt8.self)
            var i = start
            while i < fields.count {
                let slot = fields[i]
                if slot.nameLength == wanted.count,
                   ASCII.equalsIgnoringCase(UnsafeBufferPointer(rebasing: p[slot.nameRange]), wanted) {
                    return i
                }
                i += 1
            }
            return nil
        }
    }

    /// Whether the value of `fields[index]` equals `literal` ignoring ASCII case.
    public func value(at index: Int, equalsIgnoringCase literal: StaticString) -> Bool {
        let wanted = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        return bytes.withUnsafeReadableBytes { all in
            let p = all.bindMemory(to: UInt8.self)
            return ASCII.equalsIgnoringCase(UnsafeBufferPointer(rebasing: p[fields[index].valueRange]), wanted)
        }
    }

    /// The fields as `(name, value)` strings, in order. Allocates: for NIO interop and tests.
    /// Bytes that are not UTF-8 (obs-text) are decoded with replacement, as NIO's decoder does.
    public func makeHeaderList() -> [(String, String)] {
        var list: [(String, String)] = []
        list.reserveCapacity(fields.count)
        bytes.withUnsafeReadableBytes { all in
            for slot in fields {
                list.append((
                    String(decoding: UnsafeRawBufferPointer(rebasing: all[slot.nameRange]), as: UTF8.self),
                    String(decoding: UnsafeRawBufferPointer(rebasing: all[slot.valueRange]), as: UTF8.self)
                ))
            }
        }
        return list
    }
}
