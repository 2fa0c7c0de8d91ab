import Foundation
import Synchronization
import Testing

@testable import PorticoAuth

private func basic(_ credentials: String) -> String {
    "Basic " + Data(credentials.utf8).base64EncodedString()
}

struct BasicCredentialsTests {
    @Test func parsesUserAndPassword() {
        let parsed = BasicCredentials.parse(authorizationValue: basic("alice:correct horse"))
        #expect(parsed?.user == "alice")
        #expect(parsed?.password == "correct horse")
    }

    @Test func rfc7617Example() {
        // RFC 7617 §2: "Aladdin" / "open sesame".
        let parsed = BasicCredentials.parse(authorizationValue: "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        #expect(parsed?.user == "Aladdin")
        #expect(parsed?.password == "open sesame")
    }

    @Test(arguments: ["basic", "BASIC", "bAsIc"])
    func schemeIsCaseInsensitive(scheme: String) {
        #expect(BasicCredentials.parse(authorizationValue: "\(scheme) QWxhZGRpbjpvcGVuIHNlc2FtZQ==")?.user == "Aladdin")
    }

    @Test func toleratesExtraSpacesAndMissingPadding() {
        #expect(BasicCredentials.parse(authorizationValue: "Basic   QWxhZGRpbjpvcGVuIHNlc2FtZQ==  ")?.password == "open sesame")
        #expect(BasicCredentials.parse(authorizationValue: "  Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ")?.password == "open sesame")
    }

    @Test func passwordMayContainColonsUserMayNot() {
        let parsed = BasicCredentials.parse(authorizationValue: basic("bob:pa:ss:word"))
        #expect(parsed?.user == "bob")
        #expect(parsed?.password == "pa:ss:word")
        let empty = BasicCredentials.parse(authorizationValue: basic(":"))
        #expect(empty?.user == "")
        #expect(empty?.password == "")
    }

    @Test func decodesUTF8() {
        // RFC 7617 §2.1 example: user "test", password "123£" in UTF-8.
        let parsed = BasicCredentials.parse(authorizationValue: "Basic dGVzdDoxMjPCow==")
        #expect(parsed?.user == "test")
        #expect(parsed?.password == "123£")
    }

    @Test(arguments: [
        "",
        "Basic",
        "Basic ",
        "Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
        "BasicQWxhZGRpbjpvcGVuIHNlc2FtZQ==",
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ== extra",
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ===",  // too much padding
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=",  // padding does not complete the quantum
        "Basic QWxh ZGRpbjpvcGVuIHNlc2FtZQ==",  // space inside
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ-_",  // URL alphabet is not base64
        "Basic bm9jb2xvbg==",  // "nocolon"
        "Basic dGVzdDoxMjOj",  // "test:123" + 0xA3 (ISO-8859-1 £): not UTF-8
    ])
    func refused(value: String) {
        #expect(BasicCredentials.parse(authorizationValue: value) == nil)
    }

    @Test(arguments: ["ali\u{0}ce:pw", "alice:pw\u{0}", "alice:p\rw", "al\nice:pw", "alice:pw\u{7F}", "alice:\tpw"])
    func controlCharactersAreRefused(credentials: String) {
        #expect(BasicCredentials.parse(authorizationValue: basic(credentials)) == nil)
    }

    @Test func substringInput() {
        let header = "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        let value = header[header.index(header.startIndex, offsetBy: 15)...]
        #expect(BasicCredentials.parse(authorizationValue: value)?.user == "Aladdin")
    }
}

/// A clock the tests move by hand.
private final class ManualClock: Sendable {
    private let offset = Mutex(Duration.zero)
    private let origin = ContinuousClock.now
    func advance(by duration: Duration) { offset.withLock { $0 += duration } }
    var now: ContinuousClock.Instant { origin + offset.withLock { $0 } }
}

struct BasicAuthVerifierTests {
    /// Cheap hashes (bcrypt cost 4–5, SHA-crypt 1000 rounds) so the tests stay fast.
    static let file = try! HtpasswdFile.parse(
        """
        alice:\(Hashes.alice2y)
        bob:\(Hashes.bob2yUTF8)
        pat:\(Hashes.battery2b)
        ivan:\(Hashes.ivan6Rounds)
        """, path: "users"
    ).get()

    private func makeVerifier(maximumEntries: Int = 16, ttl: Duration = .seconds(60), clock: ManualClock = ManualClock())
        -> BasicAuthVerifier
    {
        BasicAuthVerifier(file: Self.file, maximumEntries: maximumEntries, timeToLive: ttl, now: { clock.now })
    }

    @Test func cacheHitSkipsVerification() {
        let verifier = makeVerifier()
        let value = Substring(basic("alice:correct horse"))
        #expect(verifier.cachedResult(authorizationValue: value) == nil)
        #expect(verifier.verifyAndCache(authorizationValue: value))
        #expect(verifier.statistics.verifications == 1)

        for _ in 0..<5 {
            #expect(verifier.cachedResult(authorizationValue: value) == true)
            #expect(verifier.verifyAndCache(authorizationValue: value))
        }
        let statistics = verifier.statistics
        #expect(statistics.verifications == 1)
        #expect(statistics.hits == 10)
        #expect(statistics.misses == 1)
        #expect(statistics.entries == 1)
    }

    @Test func headerSpellingVariantsShareTheEntry() {
        let verifier = makeVerifier()
        #expect(verifier.verifyAndCache(authorizationValue: "Basic YWxpY2U6Y29ycmVjdCBob3JzZQ=="))
        #expect(verifier.cachedResult(authorizationValue: "basic  YWxpY2U6Y29ycmVjdCBob3JzZQ") == true)
        #expect(verifier.statistics.verifications == 1)
    }

    @Test func wrongPasswordIsCachedAsFailure() {
        let verifier = makeVerifier()
        let value = Substring(basic("alice:wrong"))
        #expect(!verifier.verifyAndCache(authorizationValue: value))
        #expect(verifier.cachedResult(authorizationValue: value) == false)
        #expect(!verifier.verifyAndCache(authorizationValue: value))
        #expect(verifier.statistics.verifications == 1)
        // The right password is a different key: not answered by the failure.
        #expect(verifier.cachedResult(authorizationValue: Substring(basic("alice:correct horse"))) == nil)
    }

    @Test func malformedHeaderIsRefusedWithoutHashing() {
        let verifier = makeVerifier()
        #expect(verifier.cachedResult(authorizationValue: "Basic !!!") == false)
        #expect(verifier.cachedResult(authorizationValue: "Bearer abc") == false)
        #expect(!verifier.verifyAndCache(authorizationValue: "Basic !!!"))
        #expect(verifier.statistics.verifications == 0)
    }

    @Test func unknownUserMustBeVerified() {
        let verifier = makeVerifier()
        let value = Substring(basic("mallory:correct horse"))
        #expect(verifier.cachedResult(authorizationValue: value) == nil)
        #expect(!verifier.verifyAndCache(authorizationValue: value))
        #expect(verifier.statistics.verifications == 1)
    }

    @Test func entriesExpire() {
        let clock = ManualClock()
        let verifier = makeVerifier(ttl: .seconds(60), clock: clock)
        let value = Substring(basic("ivan:hunter2"))
        #expect(verifier.verifyAndCache(authorizationValue: value))
        clock.advance(by: .seconds(59))
        #expect(verifier.cachedResult(authorizationValue: value) == true)
        clock.advance(by: .seconds(2))
        #expect(verifier.cachedResult(authorizationValue: value) == nil)
        #expect(verifier.verifyAndCache(authorizationValue: value))
        #expect(verifier.statistics.verifications == 2)
    }

    @Test func sizeIsBoundedAndFailuresNeverEvictSuccesses() {
        let clock = ManualClock()
        let verifier = makeVerifier(maximumEntries: 2, clock: clock)
        let alice = Substring(basic("alice:correct horse"))
        let ivan = Substring(basic("ivan:hunter2"))
        // Two failures fill the table; a success displaces one of them.
        #expect(!verifier.verifyAndCache(authorizationValue: Substring(basic("alice:guess1"))))
        #expect(!verifier.verifyAndCache(authorizationValue: Substring(basic("alice:guess2"))))
        #expect(verifier.statistics.entries == 2)
        #expect(verifier.verifyAndCache(authorizationValue: alice))
        #expect(verifier.statistics.entries == 2)
        clock.advance(by: .seconds(1))
        #expect(verifier.verifyAndCache(authorizationValue: ivan))
        #expect(verifier.statistics.entries == 2)
        // Full of successes: more failures are not recorded and displace nothing.
        for guess in 3..<8 {
            #expect(!verifier.verifyAndCache(authorizationValue: Substring(basic("ivan:guess\(guess)"))))
        }
        #expect(verifier.statistics.entries == 2)
        #expect(verifier.cachedResult(authorizationValue: alice) == true)
        #expect(verifier.cachedResult(authorizationValue: ivan) == true)
        // A third success displaces the success closest to expiry.
        #expect(verifier.verifyAndCache(authorizationValue: Substring(basic("bob:pässwörd"))))
        #expect(verifier.statistics.entries == 2)
        #expect(verifier.cachedResult(authorizationValue: alice) == nil)
    }

    @Test func zeroCapacityDisablesCaching() {
        let verifier = makeVerifier(maximumEntries: 0)
        let value = Substring(basic("ivan:hunter2"))
        #expect(verifier.verifyAndCache(authorizationValue: value))
        #expect(verifier.cachedResult(authorizationValue: value) == nil)
        #expect(verifier.statistics.entries == 0)
    }

    @Test func replacingTheFileDropsCachedOutcomes() throws {
        let verifier = makeVerifier()
        let value = Substring(basic("ivan:hunter2"))
        #expect(verifier.verifyAndCache(authorizationValue: value))
        // ivan's password changes: the old header must stop working at once.
        let changed = try HtpasswdFile.parse("ivan:\(Hashes.heidi5Rounds)\n", path: "users").get()
        verifier.replace(file: changed)
        #expect(verifier.cachedResult(authorizationValue: value) == nil)
        #expect(!verifier.verifyAndCache(authorizationValue: value))
        #expect(verifier.verifyAndCache(authorizationValue: Substring(basic("ivan:hunter2 hunter2"))))
    }

    @Test func cacheKeyDependsOnTheStoredHash() {
        let a = BasicAuthVerifier.cacheKey(user: "ivan", password: "hunter2", hash: Hashes.ivan6Rounds)
        let b = BasicAuthVerifier.cacheKey(user: "ivan", password: "hunter2", hash: Hashes.heidi5Rounds)
        let c = BasicAuthVerifier.cacheKey(user: "ivan", password: "hunter2", hash: nil)
        #expect(a != b)
        #expect(a != c)
        #expect(BasicAuthVerifier.cacheKey(user: "ivan", password: "hunter3", hash: Hashes.ivan6Rounds) != a)
        #expect(BasicAuthVerifier.cacheKey(user: "ivan2", password: "hunter2", hash: Hashes.ivan6Rounds) != a)
        #expect(BasicAuthVerifier.cacheKey(user: "u", password: "p", hash: "h") == BasicAuthVerifier.cacheKey(user: "u", password: "p", hash: "h"))
    }

    @Test func concurrentCallersAgree() async {
        let verifier = makeVerifier()
        let good = Substring(basic("pat:correct horse battery"))
        let bad = Substring(basic("pat:correct horse"))
        let results = await withTaskGroup(of: (Bool, Bool).self) { group in
            for _ in 0..<16 {
                group.addTask { (verifier.verifyAndCache(authorizationValue: good), verifier.verifyAndCache(authorizationValue: bad)) }
            }
            var all: [(Bool, Bool)] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 16)
        #expect(results.allSatisfy { $0.0 && !$0.1 })
        #expect(verifier.statistics.entries == 2)
    }
}

struct WWWAuthenticateTests {
    @Test func basicChallenge() {
        #expect(WWWAuthenticate.basic(realm: "portico") == #"Basic realm="portico""#)
        #expect(WWWAuthenticate.basic(realm: "admin area", charsetUTF8: true) == #"Basic realm="admin area", charset="UTF-8""#)
    }

    @Test func realmIsQuotedAndCannotSplitTheHeader() {
        #expect(WWWAuthenticate.basic(realm: #"say "hi" \ bye"#) == #"Basic realm="say \"hi\" \\ bye""#)
        #expect(WWWAuthenticate.basic(realm: "evil\r\nSet-Cookie: x=1") == #"Basic realm="evilSet-Cookie: x=1""#)
    }

    @Test func bearerChallenges() {
        #expect(WWWAuthenticate.bearer(realm: "api") == #"Bearer realm="api""#)
        #expect(
            WWWAuthenticate.bearer(realm: "api", error: "invalid_token", errorDescription: "The token has expired")
                == #"Bearer realm="api", error="invalid_token", error_description="The token has expired""#)
        #expect(
            WWWAuthenticate.bearer(realm: "api", error: "invalid_token", errorDescription: "bad \"quote\" \\ é\r\n")
                == #"Bearer realm="api", error="invalid_token", error_description="bad quote  ""#)
    }

    @Test func bearerChallengeForReasons() {
        #expect(WWWAuthenticate.bearer(realm: "api", for: .missingToken) == #"Bearer realm="api""#)
        #expect(
            WWWAuthenticate.bearer(realm: "api", for: .expired)
                == #"Bearer realm="api", error="invalid_token", error_description="The token has expired""#)
        #expect(
            WWWAuthenticate.bearer(realm: "api", for: .malformedToken("header is not \"JSON\""))
                == #"Bearer realm="api", error="invalid_token", error_description="The token is malformed""#)
        #expect(
            WWWAuthenticate.bearer(realm: "api", for: .missingClaim("sub"))
                == #"Bearer realm="api", error="invalid_token", error_description="The token lacks the sub claim""#)
    }
}
