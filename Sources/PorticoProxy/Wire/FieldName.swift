import NIOCore
import PorticoCore

/// Header names the forwarder treats specially, recognised on raw bytes (no String).
enum FieldName {
    /// What the forwarder does with a received field.
    enum Disposition {
        /// Copy the line as received.
        case keep
        /// Leave it out (hop-by-hop, replaced, or re-emitted by Portico).
        case drop
        /// `X-Forwarded-For`: its values are merged and the client appended.
        case forwardedFor
        /// `Via`: its values are merged and Portico appended (RFC 9110 §7.6.3).
        case via
        /// `Host`: kept or replaced depending on the route.
        case host
        /// `Forwarded` (RFC 7239): kept only from a trusted proxy.
        case forwarded
        /// `traceparent`: replaced by Portico's when trace context propagation is on.
        case traceParent
        /// `tracestate`: kept only with a valid `traceparent` (W3C Trace Context §3.3).
        case traceState
        /// `X-Request-ID`: replaced by the request's id (received or generated).
        case requestID
    }

    /// A request field on its way upstream. RFC 9110 §7.6.1: `Connection`,
    /// `Proxy-Connection`, `Keep-Alive`, `TE`, `Transfer-Encoding` and `Upgrade` are
    /// hop-by-hop. `Content-Length` is re-emitted from the validated framing, `Expect` is
    /// answered by Portico, and `X-Forwarded-Proto`/`-Host` are set by Portico, never
    /// trusted from the client.
    @inline(__always)
    static func requestDisposition(_ name: UnsafeBufferPointer<UInt8>) -> Disposition {
        switch name.count {
        case 2: return named(name, "te") ? .drop : .keep
        case 3: return named(name, "via") ? .via : .keep
        case 4: return named(name, "host") ? .host : .keep
        case 6: return named(name, "expect") ? .drop : .keep
        case 7: return named(name, "upgrade") ? .drop : .keep
        case 9: return named(name, "forwarded") ? .forwarded : .keep
        case 10:
            if named(name, "tracestate") { return .traceState }
            return (named(name, "connection") || named(name, "keep-alive")) ? .drop : .keep
        case 11: return named(name, "traceparent") ? .traceParent : .keep
        case 12: return named(name, "x-request-id") ? .requestID : .keep
        case 14: return named(name, "content-length") ? .drop : .keep
        case 15: return named(name, "x-forwarded-for") ? .forwardedFor : .keep
        case 16: return (named(name, "proxy-connection") || named(name, "x-forwarded-host")) ? .drop : .keep
        case 17:
            return (named(name, "transfer-encoding") || named(name, "x-forwarded-proto")) ? .drop : .keep
        default: return .keep
        }
    }

    /// A response field on its way to the client: hop-by-hop fields go, framing is
    /// re-emitted (`Transfer-Encoding`), `Content-Length` stays (it is exact).
    @inline(__always)
    static func responseDisposition(_ name: UnsafeBufferPointer<UInt8>) -> Disposition {
        switch name.count {
        case 2: return named(name, "te") ? .drop : .keep
        case 3: return named(name, "via") ? .via : .keep
        case 7: return named(name, "upgrade") ? .drop : .keep
        case 10: return (named(name, "connection") || named(name, "keep-alive")) ? .drop : .keep
        case 12: return named(name, "x-request-id") ? .requestID : .keep
        case 16: return named(name, "proxy-connection") ? .drop : .keep
        case 17: return named(name, "transfer-encoding") ? .drop : .keep
        default: return .keep
        }
    }

    /// Case-insensitive comparison with a lower-case literal of the same length.
    @inline(__always)
    static func named(_ name: UnsafeBufferPointer<UInt8>, _ lowercased: StaticString) -> Bool {
        guard name.count == lowercased.utf8CodeUnitCount else { return false }
        let literal = lowercased.utf8Start
        for i in 0..<name.count {
            var byte = name[i]
            if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
            if byte != literal[i] { return false }
        }
        return true
    }

    /// Whether `name` is one of `names` (each lower-cased bytes).
    @inline(__always)
    static func isListed(_ name: UnsafeBufferPointer<UInt8>, in names: [[UInt8]]) -> Bool {
        for candidate in names where candidate.count == name.count {
            var equal = true
            for i in 0..<name.count {
                var byte = name[i]
                if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
                if byte != candidate[i] {
                    equal = false
                    break
                }
            }
            if equal { return true }
        }
        return false
    }

    /// The field names a `Connection` header nominates (RFC 9110 §7.6.1), lower-cased,
    /// without the standard options (`close`, `keep-alive`, `upgrade`) that are dropped anyway.
    static func nominated<Head: HTTP1ParsedHead>(by head: Head) -> [[UInt8]] {
        var names: [[UInt8]] = []
        head.bytes.withUnsafeReadableBytes { all in
            let bytes = all.bindMemory(to: UInt8.self)
            for slot in head.fields {
                guard Self.named(UnsafeBufferPointer(rebasing: bytes[slot.nameRange]), "connection") else { continue }
                for token in bytes[slot.valueRange].split(separator: UInt8(ascii: ",")) {
                    let trimmed = token.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }
                    let lower = trimmed.reversed().map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
                    if !lower.isEmpty { names.append(lower) }
                }
            }
        }
        return names
    }
}

extension HeaderRules {
    /// Lower-cased names whose received fields a rule replaces or removes.
    var droppedNames: [[UInt8]] {
        (self.remove + self.set.map(\.name)).map { Array($0.lowercased().utf8) }
    }
}
