import NIOCore
import NIOHTTP1
import PorticoCore
import Testing

private let smallLimits = LimitsConfig(maxRequestLine: 100, maxHeaderBytes: 200, maxHeaderCount: 6)

private func parseRequest(_ text: String, limits: LimitsConfig = LimitsConfig()) -> HeadParseResult<ParsedRequestHead> {
    var parser = HTTP1RequestHeadParser(limits: limits)
    var buffer = byteBuffer(text)
    return parser.parse(&buffer)
}

@Suite("Wire head parser: requests")
struct WireHeadParserTests {
    struct Valid: CustomTestStringConvertible, Sendable {
        var label: String
        var head: String
        var method: HTTPMethod = .GET
        var target = "/"
        var version = HTTPVersion.http1_1
        var headers: [String] = ["Host: h"]
        var framing = BodyFraming.none
        var keepAlive = true
        var connection: ConnectionOptions = []
        var expectsContinue = false
        var testDescription: String { label }
    }

    static let valid: [Valid] = [
        Valid(label: "simple GET", head: "GET / HTTP/1.1\r\nHost: h\r\n\r\n"),
        Valid(label: "POST with CL", head: "POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n",
              method: .POST, target: "/u", headers: ["Host: h", "Content-Length: 5"], framing: .contentLength(5)),
        Valid(label: "CL 0 kept distinct", head: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
              method: .POST, headers: ["Host: h", "Content-Length: 0"], framing: .contentLength(0)),
        Valid(label: "CL leading zeros, trailing SP", head: "PUT / HTTP/1.1\r\nHost: h\r\ncontent-length: 007 \r\n\r\n",
              method: .PUT, headers: ["Host: h", "content-length: 007"], framing: .contentLength(7)),
        Valid(label: "chunked any case", head: "POST / HTTP/1.1\r\nHost: h\r\ntransfer-encoding: Chunked\r\n\r\n",
              method: .POST, headers: ["Host: h", "transfer-encoding: Chunked"], framing: .chunked),
        Valid(label: "leading empty list element in TE", head: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: , chunked\r\n\r\n",
              method: .POST, headers: ["Host: h", "Transfer-Encoding: , chunked"], framing: .chunked),
        Valid(label: "HTTP/1.0 without Host", head: "GET /x HTTP/1.0\r\n\r\n",
              target: "/x", version: .http1_0, headers: [], keepAlive: false),
        Valid(label: "HTTP/1.0 keep-alive", head: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
              version: .http1_0, headers: ["Connection: Keep-Alive"], keepAlive: true, connection: .keepAlive),
        Valid(label: "HTTP/1.0 close wins over keep-alive", head: "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
              version: .http1_0, headers: ["Connection: keep-alive, close"], keepAlive: false, connection: [.keepAlive, .close]),
        Valid(label: "close", head: "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
              headers: ["Host: h", "Connection: close"], keepAlive: false, connection: .close),
        Valid(label: "other Connection tokens", head: "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, X-Foo\r\nconnection: ,te\r\n\r\n",
              headers: ["Host: h", "Connection: Upgrade, X-Foo", "connection: ,te"], connection: [.upgrade, .other]),
        Valid(label: "absolute-form", head: "GET http://a.example/x?y HTTP/1.1\r\nHost: b\r\n\r\n",
              target: "http://a.example/x?y", headers: ["Host: b"]),
        Valid(label: "absolute-form https, no path", head: "GET HTTPS://[::1]:8443 HTTP/1.1\r\nHost: b\r\n\r\n",
              target: "HTTPS://[::1]:8443", headers: ["Host: b"]),
        Valid(label: "OPTIONS *", head: "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", method: .OPTIONS, target: "*"),
        Valid(label: "HTAB and obs-text in value", head: "GET / HTTP/1.1\r\nHost: h\r\nX: a\tb\u{E9}\r\n\r\n",
              headers: ["Host: h", "X: a\tb\u{E9}"]),
        Valid(label: "OWS trimmed, inner kept", head: "GET / HTTP/1.1\r\nHost:\t h \t\r\nX:  a  b  \r\n\r\n",
              headers: ["Host: h", "X: a  b"]),
        Valid(label: "empty values", head: "GET / HTTP/1.1\r\nHost: h\r\nX:\r\nY:   \r\n\r\n", headers: ["Host: h", "X: ", "Y: "]),
        Valid(label: "leading empty lines skipped", head: "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"),
        Valid(label: "Expect 100-continue", head: "PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n",
              method: .PUT, headers: ["Host: h", "Expect: 100-Continue", "Content-Length: 1"], framing: .contentLength(1),
              expectsContinue: true),
        Valid(label: "Expect ignored in HTTP/1.0", head: "PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n",
              method: .PUT, version: .http1_0, headers: ["Expect: 100-continue"], keepAlive: false),
        Valid(label: "Host with port and IPv6", head: "GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n",
              headers: ["Host: [2001:db8::1]:8080"]),
        Valid(label: "extension method", head: "QUERY / HTTP/1.1\r\nHost: h\r\n\r\n", method: .RAW(value: "QUERY")),
        Valid(label: "M-SEARCH kept as sent", head: "M-SEARCH / HTTP/1.1\r\nHost: h\r\n\r\n",
              method: .RAW(value: "M-SEARCH")),
        Valid(label: "methods are case-sensitive", head: "get / HTTP/1.1\r\nHost: h\r\n\r\n", method: .RAW(value: "get")),
        Valid(label: "named method", head: "PROPFIND /d HTTP/1.1\r\nHost: h\r\n\r\n", method: .PROPFIND, target: "/d"),
        Valid(label: "target with visible specials", head: "GET /a\"{|}^`\\?q=<> HTTP/1.1\r\nHost: h\r\n\r\n",
              target: "/a\"{|}^`\\?q=<>"),
    ]

    @Test(arguments: valid)
    func validHead(_ c: Valid) throws {
        guard case .complete(let head) = parseRequest(c.head) else {
            Issue.record("not accepted: \(parseRequest(c.head))")
            return
        }
        #expect(head.method == c.method)
        #expect(head.target == c.target)
        #expect(head.version == c.version)
        #expect(headerStrings(head.makeHeaderList()) == c.headers)
        #expect(head.framing == c.framing)
        #expect(head.isKeepAlive == c.keepAlive)
        #expect(head.connection == c.connection)
        #expect(head.expectsContinue == c.expectsContinue)
        #expect(head.hostFieldIndex == head.fieldIndex(named: "host"))
        // The head bytes are exactly the request line through CRLF CRLF.
        let text = String(buffer: head.bytes)
        #expect(text.hasPrefix(c.head.drop { $0 == "\r\n" }.prefix(4)))
        #expect(text.hasSuffix("\r\n\r\n"))
        // The NIO head is what NIO's decoder (with trimmed values) would have made.
        let nio = head.makeNIORequestHead()
        #expect(nio.method == c.method && nio.uri == c.target && nio.version == c.version)
        #expect(headerStrings(nio.headers) == c.headers)
    }

    struct Invalid: CustomTestStringConvertible, Sendable {
        var label: String
        var head: String
        var status: Int
        var limits = LimitsConfig()
        var testDescription: String { "\(label) → \(status)" }
    }

    static let invalid: [Invalid] = [
        // Request line (RFC 9112 §3).
        Invalid(label: "two SPs after method", head: "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "two SPs before version", head: "GET /  HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "SP after version", head: "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "HTAB separator", head: "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "no target", head: "GET HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "method not a token", head: "G@T / HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "TLS bytes", head: "\u{16}\u{03}\u{01}\u{02}\r\n\r\n", status: 400),
        Invalid(label: "NUL in target", head: "GET /a\u{0}b HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "DEL in target", head: "GET /a\u{7F} HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "non-ASCII target", head: "GET /caf\u{E9} HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "HTTP/1.2", head: "GET / HTTP/1.2\r\nHost: h\r\n\r\n", status: 505),
        Invalid(label: "HTTP/2.0", head: "GET / HTTP/2.0\r\nHost: h\r\n\r\n", status: 505),
        Invalid(label: "HTTP/0.9", head: "GET / HTTP/0.9\r\n\r\n", status: 505),
        Invalid(label: "lower-case version", head: "GET / http/1.1\r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "HTTP/1.10", head: "GET / HTTP/1.10\r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "HTTP/1", head: "GET / HTTP/1\r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "CONNECT", head: "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", status: 501),
        Invalid(label: "asterisk without OPTIONS", head: "GET * HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "authority-form without CONNECT", head: "GET a.example:80 HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "relative target", head: "GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "ftp scheme", head: "GET ftp://a/b HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "userinfo", head: "GET http://u@a/ HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "absolute-form bad port", head: "GET http://a:99999/ HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "request line too long", head: "GET /\(String(repeating: "a", count: 100)) HTTP/1.1\r\nHost: h\r\n\r\n",
                status: 414, limits: smallLimits),
        // Line structure (RFC 9112 §2.2).
        Invalid(label: "bare LF after request line", head: "GET / HTTP/1.1\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "bare LF after field", head: "GET / HTTP/1.1\r\nHost: h\n\r\n", status: 400),
        Invalid(label: "bare LF ending head", head: "GET / HTTP/1.1\r\nHost: h\r\n\n", status: 400),
        Invalid(label: "bare CR in value", head: "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", status: 400),
        Invalid(label: "CR before request line", head: "\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
        Invalid(label: "too many empty lines", head: String(repeating: "\r\n", count: 51) + "GET / HTTP/1.1\r\n\r\n",
                status: 400, limits: smallLimits),
        // Field lines (RFC 9112 §5).
        Invalid(label: "obs-fold", head: "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", status: 400),
        Invalid(label: "obs-fold with HTAB", head: "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n", status: 400),
        Invalid(label: "whitespace before first field", head: "GET / HTTP/1.1\r\n Host: h\r\n\r\n", status: 400),
        Invalid(label: "SP before colon", head: "GET / HTTP/1.1\r\nHost : h\r\n\r\n", status: 400),
        Invalid(label: "HTAB before colon", head: "GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", status: 400),
        Invalid(label: "empty name", head: "GET / HTTP/1.1\r\nHost: h\r\n: x\r\n\r\n", status: 400),
        Invalid(label: "no colon", head: "GET / HTTP/1.1\r\nHost: h\r\nX\r\n\r\n", status: 400),
        Invalid(label: "space in name", head: "GET / HTTP/1.1\r\nHost: h\r\nX Y: z\r\n\r\n", status: 400),
        Invalid(label: "non-ASCII name", head: "GET / HTTP/1.1\r\nHost: h\r\nX\u{E9}: z\r\n\r\n", status: 400),
        Invalid(label: "NUL in value", head: "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{0}b\r\n\r\n", status: 400),
        Invalid(label: "DEL in value", head: "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{7F}\r\n\r\n", status: 400),
        Invalid(label: "VT in value", head: "GET / HTTP/1.1\r\nHost: h\r\nX: \u{0B}a\r\n\r\n", status: 400),
        Invalid(label: "too many fields", head: "GET / HTTP/1.1\r\nHost: h\r\n" + String(repeating: "X: y\r\n", count: 6) + "\r\n",
                status: 431, limits: smallLimits),
        Invalid(label: "fields too large", head: "GET / HTTP/1.1\r\nHost: h\r\nX: \(String(repeating: "v", count: 195))\r\n\r\n",
                status: 431, limits: smallLimits),
        // Framing (RFC 9112 §6).
        Invalid(label: "CL + TE", head: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400),
        Invalid(label: "TE + CL", head: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", status: 400),
        Invalid(label: "CL list", head: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n", status: 400),
        Invalid(label: "CL repeated, same value", head: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", status: 400),
        Invalid(label: "CL conflicting", head: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\n", status: 400),
        Invalid(label: "CL signed", head: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", status: 400),
        Invalid(label: "CL negative", head: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", status: 400),
        Invalid(label: "CL empty", head: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n", status: 400),
        Invalid(label: "CL hex", head: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x5\r\n\r\n", status: 400),
        Invalid(label: "CL inner space", head: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n", status: 400),
        Invalid(label: "CL trailing HTAB", head: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\t\r\n\r\n", status: 400),
        Invalid(label: "CL overflow", head: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", status: 400),
        Invalid(label: "TE gzip", head: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", status: 400),
        Invalid(label: "TE identity", head: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n", status: 400),
        Invalid(label: "TE empty", head: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\n\r\n", status: 400),
        Invalid(label: "TE chunked, gzip", head: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", status: 400),
        Invalid(label: "TE gzip, chunked", head: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: 501),
        Invalid(label: "TE chunked twice", head: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", status: 400),
        Invalid(label: "TE chunked in two fields",
                head: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400),
        Invalid(label: "TE chunked then empty field",
                head: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: \r\n\r\n", status: 400),
        Invalid(label: "TE chunked with params", head: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked;x=1\r\n\r\n", status: 400),
        Invalid(label: "TE trailing comma", head: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked,\r\n\r\n", status: 400),
        Invalid(label: "TE in HTTP/1.0", head: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400),
        // Host (RFC 9112 §3.2).
        Invalid(label: "HTTP/1.1 without Host", head: "GET / HTTP/1.1\r\n\r\n", status: 400),
        Invalid(label: "two Host fields", head: "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", status: 400),
        Invalid(label: "two Host fields in HTTP/1.0", head: "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", status: 400),
        Invalid(label: "invalid Host", head: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", status: 400),
        Invalid(label: "empty Host", head: "GET / HTTP/1.1\r\nHost: \r\n\r\n", status: 400),
        Invalid(label: "Host with userinfo", head: "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", status: 400),
        Invalid(label: "Host with bad port", head: "GET / HTTP/1.1\r\nHost: a:x\r\n\r\n", status: 400),
        // Validator order: framing (501) is judged before Host (400).
        Invalid(label: "501 before missing Host", head: "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: 501),
    ]

    @Test(arguments: invalid)
    func invalidHead(_ c: Invalid) {
        guard case .invalid(let error) = parseRequest(c.head, limits: c.limits) else {
            Issue.record("not refused: \(parseRequest(c.head, limits: c.limits))")
            return
        }
        #expect(error.status == c.status, "\(error)")
    }

    @Test func slotsPointAtTheReceivedBytes() throws {
        let text = "GET /x HTTP/1.1\r\nHost:  a.b \r\nX-Empty:\r\nContent-Length: 3\r\n\r\nabc"
        var parser = HTTP1RequestHeadParser(limits: LimitsConfig())
        var buffer = byteBuffer(text)
        guard case .complete(let head) = parser.parse(&buffer) else { Issue.record("not complete"); return }
        #expect(head.fields == [
            HeaderFieldSlot(nameStart: 17, nameLength: 4, valueStart: 24, valueLength: 3),
            HeaderFieldSlot(nameStart: 30, nameLength: 7, valueStart: 38, valueLength: 0),
            HeaderFieldSlot(nameStart: 40, nameLength: 14, valueStart: 56, valueLength: 1),
        ])
        #expect(head.targetRange == 4..<6)
        #expect(head.bytes.readableBytes == text.utf8.count - 3)
        #expect(String(buffer: buffer) == "abc")  // the body stays in the buffer
        #expect(Array(head.name(at: 0)) == Array("Host".utf8))
        #expect(Array(head.value(at: 0)) == Array("a.b".utf8))
        #expect(head.hostValue.map { Array($0) } == Array("a.b".utf8))
        #expect(head.fieldIndex(named: "content-length") == 2)
        #expect(head.fieldIndex(named: "CONTENT-LENGTH", from: 3) == nil)
        #expect(head.fieldIndex(named: "x-empty") == 1)
        #expect(head.value(at: 2, equalsIgnoringCase: "3"))
        #expect(head.withUnsafeBytes(of: head.targetRange) { Array($0) } == Array("/x".utf8))
    }

    static let representative = [
        "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n",
        "\r\nPOST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n",  // invalid (obs-fold)
        "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n",  // invalid (bare LF)
        "PUT /x HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok",
    ]

    /// The same verdict and head however the bytes are split across reads.
    @Test(arguments: representative)
    func splitAtEveryPositionEqualsOneShot(_ text: String) {
        let bytes = Array(text.utf8)
        let oneShot = WirePath.request(bytes)
        for split in 0...bytes.count {
            var parser = HTTP1RequestHeadParser(limits: LimitsConfig())
            var buffer = byteBuffer(Array(bytes[..<split]))
            var first = parser.parse(&buffer)
            if case .incomplete = first {
                #expect(buffer.readerIndex == 0)
                buffer.writeBytes(bytes[split...])
                first = parser.parse(&buffer)
            }
            #expect(WirePath.verdict(first) == oneShot, "split at \(split)")
        }
        // Byte by byte.
        var parser = HTTP1RequestHeadParser(limits: LimitsConfig())
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        var result = HeadParseResult<ParsedRequestHead>.incomplete
        for byte in bytes {
            buffer.writeInteger(byte)
            result = parser.parse(&buffer)
            if case .incomplete = result { continue }
            break
        }
        #expect(WirePath.verdict(result) == oneShot)
    }

    @Test func pipelinedHeadsInOneBuffer() {
        let text = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /c HTTP/1.1\r\nHost: h\r\n\r\nGET /d HTT"
        var parser = HTTP1RequestHeadParser(limits: LimitsConfig())
        var buffer = byteBuffer(text)
        guard case .complete(let a) = parser.parse(&buffer) else { Issue.record("a"); return }
        #expect(a.target == "/a")
        guard case .complete(let b) = parser.parse(&buffer) else { Issue.record("b"); return }
        #expect(b.target == "/b" && b.framing == .contentLength(3))
        #expect(buffer.readSlice(length: 3).map { String(buffer: $0) } == "abc")  // the caller reads the body
        guard case .complete(let c) = parser.parse(&buffer) else { Issue.record("c"); return }
        #expect(c.target == "/c")
        guard case .incomplete = parser.parse(&buffer) else { Issue.record("d"); return }
        buffer.writeString("P/1.1\r\nHost: h\r\n\r\n")
        guard case .complete(let d) = parser.parse(&buffer) else { Issue.record("d"); return }
        #expect(d.target == "/d" && buffer.readableBytes == 0)
        // Offsets of a later head are relative to its own bytes.
        #expect(Array(c.name(at: 0)) == Array("Host".utf8) && c.fields[0].nameStart == 17)
    }

    /// A head that never ends is refused once it passes the limit, not buffered.
    @Test(arguments: [
        ("GET /" + String(repeating: "a", count: 100 * 1024), 414, 100 + 2),
        ("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 100 * 1024), 431, 16 + 200 + 2),
        ("GET / HTTP/1.1\r\n" + String(repeating: "X: y\r\n", count: 20_000), 431, 16 + 6 * 6 + 6),
    ])
    func limitsWhileIncomplete(_ text: String, _ status: Int, _ refusedBy: Int) {
        var parser = HTTP1RequestHeadParser(limits: smallLimits)
        var buffer = ByteBufferAllocator().buffer(capacity: 1024)
        var fed = 0
        for chunk in Array(text.utf8).chunks(of: 7) {
            buffer.writeBytes(chunk)
            fed += chunk.count
            switch parser.parse(&buffer) {
            case .incomplete: continue
            case .complete: Issue.record("complete?")
            case .invalid(let error):
                #expect(error.status == status)
                #expect(fed <= refusedBy + 7, "refused only after \(fed) bytes")
                // Sticky: the parser does not resume after an error.
                guard case .invalid = parser.parse(&buffer) else { Issue.record("not sticky"); return }
            }
            return
        }
        Issue.record("never refused")
    }

    @Test func limitBoundariesAreInclusive() {
        let line = "GET /" + String(repeating: "a", count: 100 - 14) + " HTTP/1.1"  // exactly 100 bytes
        #expect(line.utf8.count == 100)
        guard case .complete = parseRequest(line + "\r\nHost: h\r\n\r\n", limits: smallLimits) else {
            Issue.record("100-byte request line refused")
            return
        }
        let fields = "Host: h\r\n" + String(repeating: "X: y\r\n", count: 5)  // 6 fields, 39 bytes
        guard case .complete = parseRequest("GET / HTTP/1.1\r\n" + fields + "\r\n", limits: smallLimits) else {
            Issue.record("6 fields refused")
            return
        }
        let big = "Host: h\r\nX: " + String(repeating: "v", count: 200 - 9 - 5) + "\r\n"  // exactly 200 bytes
        #expect(big.utf8.count == 200)
        guard case .complete = parseRequest("GET / HTTP/1.1\r\n" + big + "\r\n", limits: smallLimits) else {
            Issue.record("200 bytes of fields refused")
            return
        }
    }
}

extension Array {
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
