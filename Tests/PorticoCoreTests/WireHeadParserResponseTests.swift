import NIOCore
import NIOHTTP1
import PorticoCore
import Testing

private func parseResponse(_ text: String, maxHeaderBytes: Int = 64 * 1024, maxFieldCount: Int = 100) -> HeadParseResult<ParsedResponseHead> {
    var parser = HTTP1ResponseHeadParser(maxHeaderBytes: maxHeaderBytes, maxFieldCount: maxFieldCount)
    var buffer = byteBuffer(text)
    return parser.parse(&buffer)
}

@Suite("Wire head parser: responses")
struct WireHeadParserResponseTests {
    struct Valid: CustomTestStringConvertible, Sendable {
        var label: String
        var head: String
        var status: Int
        var reason: String
        var version = HTTPVersion.http1_1
        var framing: ResponseFraming
        /// `framing(forRequestMethod: .GET)`; `nil` = refused.
        var forGET: ResponseFraming?
        var forHEAD = ResponseFraming.none
        var keepAlive = true
        var keepAliveForGET = true
        var testDescription: String { label }
    }

    static let valid: [Valid] = [
        Valid(label: "200 with CL", head: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", status: 200, reason: "OK",
              framing: .contentLength(5), forGET: .contentLength(5)),
        Valid(label: "no reason, no SP", head: "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", status: 200, reason: "",
              framing: .contentLength(0), forGET: .contentLength(0)),
        Valid(label: "empty reason", head: "HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n", status: 404, reason: "",
              framing: .contentLength(0), forGET: .contentLength(0)),
        Valid(label: "reason with HTAB and obs-text", head: "HTTP/1.1 200 r\u{E9}\tsum\u{E9}\r\nTransfer-Encoding: chunked\r\n\r\n",
              status: 200, reason: "r\u{E9}\tsum\u{E9}", framing: .chunked, forGET: .chunked),
        Valid(label: "until close", head: "HTTP/1.1 200 OK\r\n\r\n", status: 200, reason: "OK",
              framing: .untilClose, forGET: .untilClose, keepAliveForGET: false),
        Valid(label: "HTTP/1.0 keep-alive with CL", head: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n",
              status: 200, reason: "OK", version: .http1_0, framing: .contentLength(1), forGET: .contentLength(1)),
        Valid(label: "HTTP/1.0 default close", head: "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n",
              status: 200, reason: "OK", version: .http1_0, framing: .contentLength(1), forGET: .contentLength(1),
              keepAlive: false, keepAliveForGET: false),
        Valid(label: "204 with TE gzip has no body", head: "HTTP/1.1 204 No Content\r\nTransfer-Encoding: gzip\r\n\r\n",
              status: 204, reason: "No Content", framing: .untilClose, forGET: ResponseFraming.none),
        Valid(label: "304 with CL has no body", head: "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n",
              status: 304, reason: "Not Modified", framing: .contentLength(99), forGET: ResponseFraming.none),
        Valid(label: "100 Continue", head: "HTTP/1.1 100 Continue\r\n\r\n", status: 100, reason: "Continue",
              framing: .untilClose, forGET: ResponseFraming.none),
        Valid(label: "TE gzip refused only with a body", head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
              status: 200, reason: "OK", framing: .untilClose, forGET: nil, keepAliveForGET: false),
        Valid(label: "TE chunked, refused with a body", head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked,\r\n\r\n",
              status: 200, reason: "OK", framing: .untilClose, forGET: nil, keepAliveForGET: false),
        Valid(label: "close", head: "HTTP/1.1 500 Oops\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
              status: 500, reason: "Oops", framing: .contentLength(0), forGET: .contentLength(0),
              keepAlive: false, keepAliveForGET: false),
        Valid(label: "leading empty line", head: "\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", status: 200, reason: "OK",
              framing: .contentLength(2), forGET: .contentLength(2)),
    ]

    @Test(arguments: valid)
    func validHead(_ c: Valid) {
        guard case .complete(let head) = parseResponse(c.head) else {
            Issue.record("not accepted: \(parseResponse(c.head))")
            return
        }
        #expect(head.status == c.status)
        #expect(head.reason == c.reason)
        #expect(head.version == c.version)
        #expect(head.framing == c.framing)
        #expect(head.framing(forRequestMethod: .GET) == c.forGET)
        #expect(head.framing(forRequestMethod: .HEAD) == c.forHEAD)
        #expect(head.isKeepAlive == c.keepAlive)
        #expect(head.isKeepAlive(forRequestMethod: .GET) == c.keepAliveForGET)
        let nio = head.makeNIOResponseHead()
        #expect(nio.status.code == UInt(c.status) && nio.version == c.version)
        #expect(headerStrings(nio.headers) == headerStrings(head.makeHeaderList()))
    }

    @Test func connectTunnelHasNoBody() {
        guard case .complete(let head) = parseResponse("HTTP/1.1 200 Connection established\r\n\r\n") else {
            Issue.record("refused")
            return
        }
        #expect(head.framing(forRequestMethod: .CONNECT) == ResponseFraming.none)
        #expect(head.framing(forRequestMethod: .GET) == .untilClose)
    }

    static let invalid: [(String, String)] = [
        ("two-digit status", "HTTP/1.1 20 OK\r\n\r\n"),
        ("four-digit status", "HTTP/1.1 2000 OK\r\n\r\n"),
        ("status below 100", "HTTP/1.1 099 Odd\r\n\r\n"),
        ("two SPs", "HTTP/1.1  200 OK\r\n\r\n"),
        ("HTTP/2", "HTTP/2 200 OK\r\n\r\n"),
        ("HTTP/2.0", "HTTP/2.0 200 OK\r\n\r\n"),
        ("HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n"),
        ("lower-case version", "http/1.1 200 OK\r\n\r\n"),
        ("garbage", "<html>\r\n\r\n"),
        ("NUL in reason", "HTTP/1.1 200 O\u{0}K\r\n\r\n"),
        ("bare LF", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n"),
        ("obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n"),
        ("SP before colon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n"),
        ("CR in value", "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n"),
        ("CL + TE", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
        ("CL repeated", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n"),
        ("CL invalid", "HTTP/1.1 200 OK\r\nContent-Length: 3a\r\n\r\n"),
        ("CL invalid on 204", "HTTP/1.1 204 No Content\r\nContent-Length: x\r\n\r\n"),
        ("TE in HTTP/1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
    ]

    @Test(arguments: invalid)
    func invalidHead(_ label: String, _ text: String) {
        guard case .invalid(let error) = parseResponse(text) else {
            Issue.record("\(label): not refused")
            return
        }
        #expect(error.status == 502)
    }

    @Test func limits() {
        let tooMany = "HTTP/1.1 200 OK\r\n" + String(repeating: "X: y\r\n", count: 4) + "\r\n"
        guard case .invalid(let e1) = parseResponse(tooMany, maxFieldCount: 3), e1.status == 502 else {
            Issue.record("too many fields accepted")
            return
        }
        guard case .complete = parseResponse(tooMany, maxFieldCount: 4) else { Issue.record("4 fields refused"); return }
        // The whole head counts, start line to final CRLF CRLF.
        guard case .complete = parseResponse(tooMany, maxHeaderBytes: tooMany.utf8.count) else {
            Issue.record("head of exactly the limit refused")
            return
        }
        guard case .invalid = parseResponse(tooMany, maxHeaderBytes: tooMany.utf8.count - 1) else {
            Issue.record("head over the limit accepted")
            return
        }
        // Enforced while incomplete.
        var parser = HTTP1ResponseHeadParser(maxHeaderBytes: 1024)
        var buffer = byteBuffer("HTTP/1.1 200 OK\r\nX: ")
        guard case .incomplete = parser.parse(&buffer) else { Issue.record("early verdict"); return }
        buffer.writeString(String(repeating: "a", count: 1024))
        guard case .invalid(let e2) = parser.parse(&buffer), e2.status == 502 else { Issue.record("not refused"); return }
    }

    @Test func interimThenFinalResponseInOneBuffer() {
        var parser = HTTP1ResponseHeadParser()
        var buffer = byteBuffer("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
        guard case .complete(let interim) = parser.parse(&buffer), interim.status == 100 else { Issue.record("100"); return }
        guard case .complete(let final) = parser.parse(&buffer), final.status == 201 else { Issue.record("201"); return }
        #expect(final.framing(forRequestMethod: .POST) == .contentLength(2))
        #expect(String(buffer: buffer) == "ok")
    }

    @Test func splitAtEveryPositionEqualsOneShot() {
        let bytes = Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".utf8)
        let oneShot = WirePath.response(bytes)
        #expect(oneShot.isAccept)
        for split in 0...bytes.count {
            var parser = HTTP1ResponseHeadParser()
            var buffer = byteBuffer(Array(bytes[..<split]))
            var result = parser.parse(&buffer)
            if case .incomplete = result {
                buffer.writeBytes(bytes[split...])
                result = parser.parse(&buffer)
            }
            #expect(WirePath.verdict(result, requestMethod: .GET) == oneShot, "split at \(split)")
        }
    }
}
