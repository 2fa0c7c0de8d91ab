import PorticoCore
import Testing

struct HTTPRequestTargetTests {
    // target, form, scheme, authority, path, query, originForm
    @Test(arguments: [
        ("/", RequestTarget.Form.origin, nil, nil, "/", nil, "/"),
        ("/a?b", .origin, nil, nil, "/a", "b", "/a?b"),
        ("/a?", .origin, nil, nil, "/a", "", "/a?"),
        ("/a/b/c?x=1&y=2", .origin, nil, nil, "/a/b/c", "x=1&y=2", "/a/b/c?x=1&y=2"),
        ("/a?b?c", .origin, nil, nil, "/a", "b?c", "/a?b?c"),
        ("/a#frag", .origin, nil, nil, "/a", nil, "/a"),
        ("/a?q#frag", .origin, nil, nil, "/a", "q", "/a?q"),
        ("http://example.com:8080/a?b", .absolute, "http", "example.com:8080", "/a", "b", "/a?b"),
        ("HTTPS://Example.com/x", .absolute, "HTTPS", "Example.com", "/x", nil, "/x"),
        ("http://example.com", .absolute, "http", "example.com", "/", nil, "/"),
        ("http://example.com?q=1", .absolute, "http", "example.com", "/", "q=1", "/?q=1"),
        ("http://[::1]:80/p", .absolute, "http", "[::1]:80", "/p", nil, "/p"),
        ("*", .asterisk, nil, nil, "*", nil, "*"),
        ("example.com:443", .authority, nil, "example.com:443", "/", nil, "/"),
    ] as [(String, RequestTarget.Form, String?, String?, String, String?, String)])
    func splits(
        target: String, form: RequestTarget.Form, scheme: String?, authority: String?, path: String, query: String?,
        originForm: String
    ) throws {
        let parsed = try #require(RequestTarget.parse(target))
        #expect(parsed.form == form)
        #expect(parsed.scheme.map(String.init) == scheme)
        #expect(parsed.authority.map(String.init) == authority)
        #expect(String(parsed.path) == path)
        #expect(parsed.query.map(String.init) == query)
        #expect(String(parsed.originForm) == originForm)
    }

    @Test(arguments: [
        "", "a/b", "**", "ftp://example.com/", "http://user@example.com/", "http:///x", "http://exa mple.com/",
        "example.com", "http://[::1/", "mailto:x@y",
    ])
    func rejects(target: String) {
        #expect(RequestTarget.parse(target) == nil)
    }

    @Test func routingHostPrefersAbsoluteFormAuthority() throws {
        let absolute = try #require(RequestTarget.parse("http://Origin.example:81/x"))
        #expect(absolute.routingHost(hostField: "other.example").map(String.init) == "Origin.example")
        let origin = try #require(RequestTarget.parse("/x"))
        #expect(origin.routingHost(hostField: "h.example:8080").map(String.init) == "h.example")
        #expect(origin.routingHost(hostField: nil) == nil)
    }

    @Test func slicesShareTheReceivedString() throws {
        let uri = "/path/to?query"
        let parsed = try #require(RequestTarget.parse(uri))
        #expect(parsed.path.base == uri)
        #expect(parsed.originForm.base == uri)
    }
}
