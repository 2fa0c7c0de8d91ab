import PorticoCache
import Testing

@Suite("Cache-Control directives (RFC 9111 §5.2)")
struct CacheControlDirectivesTests {
    @Test("§5.2 directive names are case-insensitive and lines are combined")
    func namesAndLines() {
        let directives = CacheControlDirectives(HeaderList([("Cache-Control", "Public, MAX-AGE=60"), ("cache-control", "Must-Revalidate")]))
        #expect(directives.isPublic)
        #expect(directives.maxAge == 60)
        #expect(directives.mustRevalidate)
    }

    @Test("§5.2 quoted-string arguments may contain commas: no-cache=\"field, field\"")
    func quotedFieldList() {
        let directives = CacheControlDirectives(HeaderList([("Cache-Control", #"no-cache="Set-Cookie, X-Debug", max-age=5"#)]))
        #expect(!directives.noCache)
        #expect(directives.noCacheFields == ["set-cookie", "x-debug"])
        #expect(directives.maxAge == 5)
    }

    @Test("§5.2.2.7 private=\"field\" is qualified; bare private is not")
    func privateQualified() {
        let qualified = CacheControlDirectives(HeaderList([("Cache-Control", #"private="Authorization-Info""#)]))
        #expect(!qualified.isPrivate)
        #expect(qualified.privateFields == ["authorization-info"])
        let bare = CacheControlDirectives(HeaderList([("Cache-Control", "private")]))
        #expect(bare.isPrivate)
    }

    @Test("§1.2.2 delta-seconds: quoted max-age is accepted (§5.2), too large saturates at 2^31")
    func deltaSeconds() {
        #expect(CacheControlDirectives(HeaderList([("Cache-Control", #"max-age="30""#)])).maxAge == 30)
        #expect(
            CacheControlDirectives(HeaderList([("Cache-Control", "max-age=99999999999999999999999")])).maxAge
                == 2_147_483_648)
    }

    @Test("§4.2.1 duplicates: the first max-age wins")
    func duplicatesFirstWins() {
        let directives = CacheControlDirectives(HeaderList([("Cache-Control", "max-age=10"), ("Cache-Control", "max-age=100")]))
        #expect(directives.maxAge == 10)
    }

    @Test("§4.2.1 invalid max-age or s-maxage means stale (0)", arguments: ["abc", "-1", "", "1.5", "10s"])
    func invalidMaxAge(argument: String) {
        #expect(CacheControlDirectives(HeaderList([("Cache-Control", "max-age=\(argument)")])).maxAge == 0)
        #expect(CacheControlDirectives(HeaderList([("Cache-Control", "s-maxage=\(argument)")])).sMaxAge == 0)
    }

    @Test("§5.2.1.2 max-stale with and without a value; invalid value grants nothing")
    func maxStale() {
        let any = CacheControlDirectives(HeaderList([("Cache-Control", "max-stale")]))
        #expect(any.maxStale && any.maxStaleSeconds == nil)
        let limited = CacheControlDirectives(HeaderList([("Cache-Control", "max-stale=30")]))
        #expect(limited.maxStale && limited.maxStaleSeconds == 30)
        let invalid = CacheControlDirectives(HeaderList([("Cache-Control", "max-stale=soon")]))
        #expect(!invalid.maxStale)
    }

    @Test("§5.2.3 unknown directives and empty list elements are ignored")
    func unknownIgnored() {
        let directives = CacheControlDirectives(HeaderList([("Cache-Control", ", foo=\"a,b\" ,, immutable, no-store,")]))
        #expect(directives.noStore)
        #expect(directives == {
            var expected = CacheControlDirectives()
            expected.noStore = true
            return expected
        }())
    }
}
