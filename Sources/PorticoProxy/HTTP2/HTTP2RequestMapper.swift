import NIOCore

/// Turns the header block of an HTTP/2 request into the HTTP/1.1 request head the
/// byte-level `DownstreamHandler` parses (RFC 9113 §8.3 → RFC 9112 §3), so a request on
/// an HTTP/2 stream goes through exactly the same parser, routing and stages as one on
/// an HTTP/1.1 connection. Pure: no channel, no NIOHTTP2 types (the bridge hands over
/// the decoded fields), so every rule below is unit-tested in milliseconds.
///
/// Mapping:
/// - `:method SP :path SP HTTP/1.1`; `:path` must be origin-form or `*` (§8.3.1);
/// - `:authority` becomes `Host` (§8.3.1). A `Host` field that names the same authority
///   is dropped; one that names another is kept next to it, so the HTTP/1.1 parser sees
///   two Host fields and answers 400 (RFC 9112 §3.2) — the request is malformed, and the
///   client gets a logged 400 instead of a bare reset (§8.1.1 allows either);
/// - `cookie` fields, which HTTP/2 clients split for compression, are joined with "; "
///   (§8.2.3);
/// - connection-specific fields (`connection`, `keep-alive`, `proxy-connection`,
///   `transfer-encoding`, `upgrade`) and a `te` other than `trailers` make the request
///   malformed (§8.2.2). NIOHTTP2's header validation refuses them first; the check here
///   is the bridge's own defence, since a value reaching the HTTP/1.1 bytes unchecked
///   would be request smuggling;
/// - CR, LF and NUL in any value, and names that are not lowercase tokens, are malformed
///   (§8.2.1), for the same reason;
/// - the body: none when the HEADERS frame ended the stream; a `content-length` is kept
///   (NIOHTTP2 checks the DATA against it, §8.1.1); otherwise the body is sent chunked,
///   which is how HTTP/1.1 frames a body of unknown length (RFC 9112 §7.1).
enum HTTP2RequestMapper {
    /// How the request body is framed in the HTTP/1.1 bytes.
    enum BodyFraming: Equatable {
        case none
        case contentLength(Int)
        case chunked
    }

    struct Mapped {
        var head: ByteBuffer
        var method: String
        var body: BodyFraming
    }

    enum Outcome {
        case request(Mapped)
        /// Stream error PROTOCOL_ERROR (RFC 9113 §8.1.1); the reason is for logs and tests.
        case malformed(String)
    }

    static func map(fields: [(name: String, value: String)], endStream: Bool) -> Outcome {
        var method: String?
        var path: String?
        var authority: String?
        var hosts: [String] = []
        var cookies: [String] = []
        var contentLength: Int?
        var regular: [(String, String)] = []
        regular.reserveCapacity(fields.count)
        for (name, value) in fields {
            guard Self.isValidValue(value) else { return .malformed("invalid value in \(name)") }
            if name.utf8.first == UInt8(ascii: ":") {
                switch name {
                case ":method": method = value
                case ":path": path = value
                case ":authority": authority = value
                case ":scheme": break  // the listener's own scheme goes upstream (X-Forwarded-Proto)
                default: return .malformed("unsupported pseudo-header \(name)")
                }
                continue
            }
            guard Self.isLowercaseToken(name) else { return .malformed("invalid field name") }
            switch name {
            case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
                return .malformed("connection-specific field \(name)")
            case "te":
                guard value == "trailers" else { return .malformed("te other than trailers") }
                regular.append((name, value))
            case "host":
                hosts.append(value)
            case "cookie":
                cookies.append(value)
            case "content-length":
                guard let length = Self.parseLength(value), contentLength == nil || contentLength == length else {
                    return .malformed("invalid content-length")
                }
                contentLength = length
            default:
                regular.append((name, value))
            }
        }
        guard let method, !method.isEmpty, Self.isToken(method) else { return .malformed("missing :method") }
        guard method != "CONNECT" else { return .malformed("CONNECT is not supported") }
        guard let path, path.utf8.first == UInt8(ascii: "/") || (path == "*" && method == "OPTIONS") else {
            return .malformed("missing or invalid :path")
        }
        guard !path.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { return .malformed("invalid :path") }

        let body: BodyFraming
        if endStream {
            if let contentLength, contentLength != 0 { return .malformed("content-length without body") }
            body = .none  // a `content-length: 0` the client sent is kept below
        } else if let contentLength {
            body = .contentLength(contentLength)
        } else {
            body = .chunked
        }

        var head = ByteBuffer()
        head.reserveCapacity(64 + fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 })
        head.writeString(method)
        head.writeStaticString(" ")
        head.writeString(path)
        head.writeStaticString(" HTTP/1.1\r\n")
        if let authority {
            head.writeStaticString("host: ")
            head.writeString(authority)
            head.writeStaticString("\r\n")
            for host in hosts where !Self.equalsIgnoringCase(host, authority) {
                head.writeStaticString("host: ")
                head.writeString(host)
                head.writeStaticString("\r\n")
            }
        } else {
            // No :authority: the Host field, if any, is the target's authority (§8.3.1).
            for host in hosts {
                head.writeStaticString("host: ")
                head.writeString(host)
                head.writeStaticString("\r\n")
            }
        }
        for (name, value) in regular {
            head.writeString(name)
            head.writeStaticString(": ")
            head.writeString(value)
            head.writeStaticString("\r\n")
        }
        if !cookies.isEmpty {
            head.writeStaticString("cookie: ")
            head.writeString(cookies.joined(separator: "; "))
            head.writeStaticString("\r\n")
        }
        switch body {
        case .none:
            if contentLength != nil { head.writeStaticString("content-length: 0\r\n") }
        case .contentLength(let length):
            head.writeStaticString("content-length: ")
            head.writeString(String(length))
            head.writeStaticString("\r\n")
        case .chunked:
            head.writeStaticString("transfer-encoding: chunked\r\n")
        }
        head.writeStaticString("\r\n")
        return .request(Mapped(head: head, method: method, body: body))
    }

    // MARK: Body

    /// One DATA frame's payload as an HTTP/1.1 chunk (RFC 9112 §7.1); empty payloads
    /// produce nothing (an empty chunk would end the body).
    static func chunk(_ data: ByteBuffer, into out: inout ByteBuffer) {
        guard data.readableBytes > 0 else { return }
        out.writeString(String(data.readableBytes, radix: 16))
        out.writeStaticString("\r\n")
        var data = data
        out.writeBuffer(&data)
        out.writeStaticString("\r\n")
    }

    /// The last chunk, with the request's trailer fields if any (RFC 9112 §7.1.2).
    /// Trailers are checked like header fields; an invalid one makes the request malformed.
    static func lastChunk(trailers: [(name: String, value: String)], into out: inout ByteBuffer) -> Bool {
        out.writeStaticString("0\r\n")
        for (name, value) in trailers {
            guard name.utf8.first != UInt8(ascii: ":"), Self.isLowercaseToken(name), Self.isValidValue(value) else {
                return false
            }
            switch name {
            case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "content-length", "host":
                continue  // framing and routing fields mean nothing in a trailer section
            default:
                break
            }
            out.writeString(name)
            out.writeStaticString(": ")
            out.writeString(value)
            out.writeStaticString("\r\n")
        }
        out.writeStaticString("\r\n")
        return true
    }

    // MARK: Syntax

    /// RFC 9113 §8.2.1: no NUL, CR or LF anywhere; no leading or trailing whitespace.
    static func isValidValue(_ value: String) -> Bool {
        var utf8 = value.utf8.makeIterator()
        var last: UInt8 = 0
        var first = true
        while let byte = utf8.next() {
            if byte == 0 || byte == 0x0A || byte == 0x0D { return false }
            if first, byte == 0x20 || byte == 0x09 { return false }
            first = false
            last = byte
        }
        return last != 0x20 && last != 0x09
    }

    static func isLowercaseToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { Self.isTokenByte($0) && !(0x41...0x5A).contains($0) }
    }

    static func isToken(_ text: String) -> Bool {
        text.utf8.allSatisfy(Self.isTokenByte)
    }

    /// RFC 9110 §5.6.2 tchar.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    static func parseLength(_ value: String) -> Int? {
        guard !value.isEmpty, value.utf8.count <= 18, value.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            return nil
        }
        return Int(value)
    }

    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.lowercased() == b.lowercased()
    }
}
