import PorticoCache
import Testing

@Suite("Fields to store (RFC 9111 §3.1)")
struct FieldsToStoreTests {
    @Test("§3.1 hop-by-hop fields, Connection-named fields and Proxy-* are not stored")
    func hopByHop() {
        let headers = HeaderList([
            ("Content-Type", "text/plain"), ("Connection", "close, X-Hop"), ("X-Hop", "1"), ("Keep-Alive", "timeout=5"),
            ("Transfer-Encoding", "chunked"), ("TE", "trailers"), ("Upgrade", "h2c"), ("Proxy-Authenticate", "Basic"),
            ("Proxy-Connection", "keep-alive"), ("ETag", "\"a\""),
        ])
        let stored = CachePolicy.fieldsToStore(headers)
        #expect(stored == HeaderList([("Content-Type", "text/plain"), ("ETag", "\"a\"")]))
    }

    @Test("§5.2.2.4/§5.2.2.7 fields named by no-cache=\"…\" and private=\"…\" are not stored")
    func qualifiedDirectives() {
        let headers = HeaderList([
            ("Cache-Control", #"max-age=60, no-cache="Set-Cookie", private="X-User, X-Tenant""#),
            ("Set-Cookie", "a=b"), ("x-user", "alice"), ("X-Tenant", "t"), ("Content-Length", "3"),
        ])
        let stored = CachePolicy.fieldsToStore(headers)
        #expect(stored.fields.map(\.name) == ["Cache-Control", "Content-Length"])
    }
}
