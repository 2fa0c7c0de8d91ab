import NIOHTTP1
import PorticoCore
import Testing

private func head(
    _ method: HTTPMethod = .GET, _ uri: String = "/", version: HTTPVersion = .http1_1,
    _ headers: [(String, String)] = [("Host", "example.com")]
) -> HTTPRequestHead {
    HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders(headers))
}

private let limits = LimitsConfig(maxRequestLine: 100, maxHeaderBytes: 200, maxHeaderCount: 6)

struct HTTPRequestValidatorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var head: HTTPRequestHead
        var status: Int?
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        // Must pass.
        Case(label: "GET without body", head: head(), status: nil),
        Case(label: "POST with CL", head: head(.POST, "/u", [("Host", "h"), ("Content-Length", "5")]), status: nil),
        Case(label: "POST with CL 0", head: head(.POST, "/u", [("Host", "h"), ("Content-Length", "0")]), status: nil),
        Case(label: "chunked POST", head: head(.POST, "/u", [("Host", "h"), ("Transfer-Encoding", "chunked")]), status: nil),
        Case(label: "chunked any case", head: head(.POST, "/u", [("Host", "h"), ("transfer-encoding", "Chunked")]), status: nil),
        Case(label: "HTTP/1.0 without Host", head: head(version: .http1_0, []), status: nil),
        Case(label: "identical CL list", head: head(.POST, "/", [("Host", "h"), ("Content-Length", "5, 5")]), status: nil),
        Case(label: "identical CL fields", head: head(.POST, "/", [("Host", "h"), ("Content-Length", "5"), ("content-length", "5")]), status: nil),
        Case(label: "absolute-form", head: head(.GET, "http://a.example/x?y", [("Host", "b.example")]), status: nil),
        Case(label: "OPTIONS *", head: head(.OPTIONS, "*"), status: nil),
        Case(label: "HTAB and obs-text in value", head: head(.GET, "/", [("Host", "h"), ("X", "a\tb\u{E9}")]), status: nil),
        Case(label: "Host with port", head: head(.GET, "/", [("Host", "h:8080")]), status: nil),
        // Framing / smuggling.
        Case(label: "CL + TE", head: head(.POST, "/", [("Host", "h"), ("Content-Length", "5"), ("Transfer-Encoding", "chunked")]), status: 400),
        Case(label: "CL non-digit", head: head(.POST, "/", [("Host", "h"), ("Content-Length", "5a")]), status: 400),
        Case(label: "CL signed", head: head(.POST, "/", [("Host", "h"), ("Content-Length", "+5")]), status: 400),
        Case(label: "CL negative", head: head(.POST, "/", [("Host", "h"), ("Content-Length", "-1")]), status: 400),
        Case(label: "CL empty", head: head(.POST, "/", [("Host", "h"), ("Content-Length", "")]), status: 400),
        Case(label: "CL overflow", head: head(.POST, "/", [("Host", "h"), ("Content-Length", "99999999999999999999")]), status: 400),
        Case(label: "CL differing list", head: head(.POST, "/", [("Host", "h"), ("Content-Length", "5, 6")]), status: 400),
        Case(label: "CL differing fields", head: head(.POST, "/", [("Host", "h"), ("Content-Length", "5"), ("Content-Length", "6")]), status: 400),
        Case(label: "CL inner space", head: head(.POST, "/", [("Host", "h"), ("Content-Length", "1 2")]), status: 400),
        Case(label: "TE gzip alone", head: head(.POST, "/", [("Host", "h"), ("Transfer-Encoding", "gzip")]), status: 400),
        Case(label: "TE identity", head: head(.POST, "/", [("Host", "h"), ("Transfer-Encoding", "identity")]), status: 400),
        Case(label: "TE chunked then gzip", head: head(.POST, "/", [("Host", "h"), ("Transfer-Encoding", "chunked, gzip")]), status: 400),
        Case(label: "TE gzip, chunked", head: head(.POST, "/", [("Host", "h"), ("Transfer-Encoding", "gzip, chunked")]), status: 501),
        Case(label: "TE chunked twice", head: head(.POST, "/", [("Host", "h"), ("Transfer-Encoding", "chunked, chunked")]), status: 400),
        Case(label: "TE chunked in two fields", head: head(.POST, "/", [("Host", "h"), ("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")]), status: 400),
        Case(label: "TE chunked with params", head: head(.POST, "/", [("Host", "h"), ("Transfer-Encoding", "chunked;x=1")]), status: 400),
        Case(label: "TE empty", head: head(.POST, "/", [("Host", "h"), ("Transfer-Encoding", "")]), status: 400),
        Case(label: "TE vertical tab", head: head(.POST, "/", [("Host", "h"), ("Transfer-Encoding", "\u{0B}chunked")]), status: 400),
        Case(label: "TE in HTTP/1.0", head: head(.POST, "/", version: .http1_0, [("Transfer-Encoding", "chunked")]), status: 400),
        // Host.
        Case(label: "HTTP/1.1 without Host", head: head(.GET, "/", []), status: 400),
        Case(label: "two Host fields", head: head(.GET, "/", [("Host", "a"), ("host", "a")]), status: 400),
        Case(label: "invalid Host", head: head(.GET, "/", [("Host", "a b")]), status: 400),
        Case(label: "empty Host", head: head(.GET, "/", [("Host", "")]), status: 400),
        Case(label: "HTTP/1.0 invalid Host", head: head(.GET, "/", version: .http1_0, [("Host", "a/b")]), status: 400),
        Case(label: "absolute-form bad authority", head: head(.GET, "http://a b/", [("Host", "h")]), status: 400),
        Case(label: "absolute-form userinfo", head: head(.GET, "http://u@h/", [("Host", "h")]), status: 400),
        // Field syntax.
        Case(label: "name with trailing space", head: head(.GET, "/", [("Host ", "h")]), status: 400),
        Case(label: "name with space before TE", head: head(.POST, "/", [("Host", "h"), ("Transfer-Encoding ", "chunked")]), status: 400),
        Case(label: "name with colon", head: head(.GET, "/", [("Host", "h"), ("X:Y", "v")]), status: 400),
        Case(label: "empty name", head: head(.GET, "/", [("Host", "h"), ("", "v")]), status: 400),
        Case(label: "value with CR", head: head(.GET, "/", [("Host", "h"), ("X", "a\rb")]), status: 400),
        Case(label: "value with LF", head: head(.GET, "/", [("Host", "h"), ("X", "a\nb")]), status: 400),
        Case(label: "value with NUL", head: head(.GET, "/", [("Host", "h"), ("X", "a\u{0}b")]), status: 400),
        Case(label: "value with DEL", head: head(.GET, "/", [("Host", "h"), ("X", "a\u{7F}b")]), status: 400),
        // Target and method.
        Case(label: "asterisk without OPTIONS", head: head(.GET, "*"), status: 400),
        Case(label: "authority-form without CONNECT", head: head(.GET, "example.com:443"), status: 400),
        Case(label: "CONNECT", head: head(.CONNECT, "example.com:443"), status: 501),
        Case(label: "relative target", head: head(.GET, "a/b"), status: 400),
        Case(label: "space in target", head: head(.GET, "/a b"), status: 400),
        Case(label: "ftp scheme", head: head(.GET, "ftp://h/x"), status: 400),
        // Limits and version.
        Case(label: "request line too long", head: head(.GET, "/" + String(repeating: "a", count: 90)), status: 414),
        Case(label: "request line at limit", head: head(.GET, "/" + String(repeating: "a", count: 86)), status: nil),
        Case(label: "too many fields", head: head(.GET, "/", (0..<7).map { ("X-\($0)", "v") }), status: 431),
        Case(label: "fields too large", head: head(.GET, "/", [("Host", "h"), ("X", String(repeating: "v", count: 200))]), status: 431),
        Case(label: "HTTP/2.0", head: head(version: HTTPVersion(major: 2, minor: 0)), status: 505),
        Case(label: "HTTP/1.2", head: head(version: HTTPVersion(major: 1, minor: 2)), status: 505),
        Case(label: "HTTP/0.9", head: head(version: HTTPVersion(major: 0, minor: 9)), status: 505),
    ]

    @Test(arguments: cases)
    func validate(_ c: Case) {
        #expect(RequestValidator.validate(c.head, limits: limits)?.status == c.status)
    }

    @Test func headerBytesCountNameValueAndFour() {
        // "Host: h\r\n" is 4 + 1 + 4 = 9 bytes; a limit of 9 admits it, 8 does not.
        let h = head(.GET, "/", [("Host", "h")])
        #expect(RequestValidator.validate(h, limits: LimitsConfig(maxHeaderBytes: 9)) == nil)
        #expect(RequestValidator.validate(h, limits: LimitsConfig(maxHeaderBytes: 8))?.status == 431)
    }

    @Test(arguments: [
        ([("Host", "h")], BodyFraming.none),
        ([("Host", "h"), ("Content-Length", "12")], .contentLength(12)),
        ([("Host", "h"), ("Content-Length", "0")], .contentLength(0)),
        ([("Host", "h"), ("Content-Length", "7, 7")], .contentLength(7)),
        ([("Host", "h"), ("Transfer-Encoding", "chunked")], .chunked),
    ] as [([(String, String)], BodyFraming)])
    func bodyFraming(headers: [(String, String)], expected: BodyFraming) {
        let h = head(.POST, "/", headers)
        #expect(RequestValidator.validate(h, limits: LimitsConfig()) == nil)
        #expect(BodyFraming.of(h) == expected)
    }
}

struct HTTPResponseValidatorTests {
    private func response(
        _ headers: [(String, String)], status: HTTPResponseStatus = .ok, version: HTTPVersion = .http1_1
    ) -> HTTPResponseHead {
        HTTPResponseHead(version: version, status: status, headers: HTTPHeaders(headers))
    }

    @Test func acceptsOrdinaryResponses() {
        #expect(ResponseValidator.validate(response([("Content-Length", "3")]), requestMethod: .GET) == nil)
        #expect(ResponseValidator.validate(response([("Transfer-Encoding", "chunked")]), requestMethod: .GET) == nil)
        #expect(ResponseValidator.validate(response([]), requestMethod: .GET) == nil)  // read until close
        #expect(ResponseValidator.validate(response([("Content-Length", "3")], version: .http1_0), requestMethod: .GET) == nil)
        #expect(ResponseValidator.validate(response([("Content-Length", "3, 3")]), requestMethod: .GET) == nil)
        // No body follows a HEAD response or a 304, so its codings are only described.
        #expect(ResponseValidator.validate(response([("Transfer-Encoding", "gzip, chunked")]), requestMethod: .HEAD) == nil)
        #expect(ResponseValidator.validate(response([("Transfer-Encoding", "gzip")], status: .notModified), requestMethod: .GET) == nil)
    }

    @Test(arguments: [
        [("Content-Length", "3"), ("Transfer-Encoding", "chunked")],
        [("Content-Length", "x")],
        [("Content-Length", "3"), ("Content-Length", "4")],
        [("Transfer-Encoding", "gzip")],
        [("Transfer-Encoding", "gzip, chunked")],
        [("Transfer-Encoding", "chunked, chunked")],
        [("X", "a\r\nSet-Cookie: evil")],
        [("X", "a\u{0}")],
        [("Bad Name", "v")],
    ])
    func rejects(headers: [(String, String)]) {
        #expect(ResponseValidator.validate(response(headers), requestMethod: .GET) != nil)
    }

    @Test func rejectsChunkedHTTP10AndOtherVersions() {
        #expect(ResponseValidator.validate(response([("Transfer-Encoding", "chunked")], version: .http1_0), requestMethod: .GET) != nil)
        #expect(ResponseValidator.validate(response([], version: HTTPVersion(major: 2, minor: 0)), requestMethod: .GET) != nil)
        // CL + TE is refused even where no body follows.
        #expect(ResponseValidator.validate(response([("Content-Length", "3"), ("Transfer-Encoding", "chunked")]), requestMethod: .HEAD) != nil)
    }
}
