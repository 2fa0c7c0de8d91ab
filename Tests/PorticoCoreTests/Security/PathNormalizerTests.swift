import PorticoCore
import Testing

@Suite("Path normalisation")
struct PathNormalizerTests {
    // input, normalised (default options: reject encoded slashes, merge slashes)
    @Test(arguments: [
        ("/", "/"),
        ("/admin", "/admin"),
        ("/a/b/c", "/a/b/c"),
        ("/a/", "/a/"),
        ("/%61dmin", "/admin"),
        ("/%41%42%43", "/ABC"),
        ("/x/../admin", "/admin"),
        ("/%2e%2e/admin", "/admin"),
        ("/%2e%2E/admin", "/admin"),
        ("/.%2e/admin", "/admin"),
        ("/%2E./admin", "/admin"),
        ("/x/%2e%2e/%2e/admin", "/admin"),
        ("/a/./b/../c", "/a/c"),
        ("/a/b/..", "/a/"),
        ("/a/b/.", "/a/b/"),
        ("/a/b/../", "/a/"),
        ("/..", "/"),
        ("/../..", "/"),
        ("/../../etc/passwd", "/etc/passwd"),
        ("/.", "/"),
        ("/./", "/"),
        ("/a/../../b", "/b"),
        ("//admin", "/admin"),
        ("///a//b///", "/a/b/"),
        ("/a//../b", "/b"),  // merged first, as nginx does
        ("/%7Euser", "/~user"),
        ("/%7euser", "/~user"),
        ("/%2D%5F%2E%7E", "/-_.~"),
        ("/%3a", "/%3A"),
        ("/%3A", "/%3A"),
        ("/a%20b", "/a%20b"),
        ("/caf%C3%A9", "/caf%C3%A9"),
        ("/caf%c3%a9", "/caf%C3%A9"),
        ("/%25", "/%25"),
        ("/%2561dmin", "/%2561dmin"),  // no double decoding
        ("/%252e%252e/admin", "/%252e%252e/admin"),
        ("/...", "/..."),
        ("/a/.../b", "/a/.../b"),
        ("/.hidden/..x/x..", "/.hidden/..x/x.."),
        ("/a?b", "/a?b"),  // not the normaliser's business: callers pass the path only
        ("/a;x=1/../b", "/b"),
        ("/%0a", "/%0A"),  // encoded controls stay encoded
        ("/a/%2e", "/a/"),
    ])
    func normalises(input: String, expected: String) {
        #expect(PathNormalizer.normalize(input) == .success(expected))
        // Normalising is idempotent.
        #expect(PathNormalizer.normalize(expected) == .success(expected))
        #expect(!PathNormalizer.needsNormalization(expected))
    }

    // input, rejection (default options)
    @Test(arguments: [
        ("/a%2Fb", PathRejection.encodedSlash),
        ("/a%2fb", .encodedSlash),
        ("/..%2F..%2Fadmin", .encodedSlash),
        ("/a%5Cb", .encodedBackslash),
        ("/a%5cb", .encodedBackslash),
        ("/a%00", .encodedNUL),
        ("/a%00b", .encodedNUL),
        ("/a\u{0}b", .nul),
        ("/a\nb", .controlCharacter),
        ("/a\rb", .controlCharacter),
        ("/a\tb", .controlCharacter),
        ("/a\u{7F}", .controlCharacter),
        ("/%zz", .malformedEscape),
        ("/%4", .malformedEscape),
        ("/%", .malformedEscape),
        ("/a%g0", .malformedEscape),
        ("/a%0g", .malformedEscape),
        ("/%%41", .malformedEscape),
        ("", .notAbsolute),
        ("admin", .notAbsolute),
        ("*", .notAbsolute),
        ("../admin", .notAbsolute),
    ])
    func rejects(input: String, rejection: PathRejection) {
        #expect(PathNormalizer.normalize(input) == .failure(rejection))
        #expect(PathNormalizer.needsNormalization(input))
    }

    @Test func encodedSlashesKeptWhenAllowed() {
        let options = PathNormalizer.Options(rejectEncodedSlash: false)
        #expect(PathNormalizer.normalize("/a%2fb", options: options) == .success("/a%2Fb"))
        #expect(PathNormalizer.normalize("/a%5cb", options: options) == .success("/a%5Cb"))
        // An encoded slash does not split segments, so it cannot form a dot segment.
        #expect(PathNormalizer.normalize("/x/..%2F..%2Fadmin", options: options) == .success("/x/..%2F..%2Fadmin"))
        #expect(PathNormalizer.normalize("/x/%2e%2e%2fadmin", options: options) == .success("/x/..%2Fadmin"))
        // NUL is rejected regardless.
        #expect(PathNormalizer.normalize("/a%00", options: options) == .failure(.encodedNUL))
    }

    @Test func slashesKeptWhenNotMerging() {
        let options = PathNormalizer.Options(mergeSlashes: false)
        #expect(PathNormalizer.normalize("//admin", options: options) == .success("//admin"))
        #expect(PathNormalizer.normalize("/a//b/", options: options) == .success("/a//b/"))
        #expect(!PathNormalizer.needsNormalization("/a//b", options: options))
        // RFC 3986 §5.2.4 on its own: ".." removes the empty segment.
        #expect(PathNormalizer.normalize("/a//../b", options: options) == .success("/a/b"))
        #expect(PathNormalizer.normalize("/a//..", options: options) == .success("/a/"))
    }

    @Test(arguments: ["/", "/a", "/a/b/c.html", "/a.b/c", "/.well-known/x", "/a/..b", "/a/b./c", "/~user/x-y_z", "/a/"])
    func cleanPathsNeedNoWork(path: String) {
        #expect(!PathNormalizer.needsNormalization(path))
        #expect(PathNormalizer.normalize(path) == .success(path))
    }

    @Test(arguments: ["/a/./b", "/a/../b", "/.", "/..", "/a/.", "/a/..", "//a", "/a//b", "/%41", "/a\u{1}", "a"])
    func dirtyPathsNeedWork(path: String) {
        #expect(PathNormalizer.needsNormalization(path))
    }

    @Test func substringInput() {
        let target = "/x/../admin?q=1"
        let path = target[..<target.firstIndex(of: "?")!]
        #expect(PathNormalizer.normalize(path) == .success("/admin"))
        #expect(PathNormalizer.normalize(target[...].prefix(2)) == .success("/x"))
    }

    @Test func rejectionReasons() {
        #expect(PathRejection.encodedSlash.reason == "encoded slash (%2F) in path")
        #expect(PathRejection.malformedEscape.description == "malformed percent-encoding in path")
    }

    /// Exhaustive over every two-byte escape: decoded exactly when unreserved, otherwise
    /// kept with upper-case hex or rejected.
    @Test func everyEscape() {
        let hex = Array("0123456789abcdefABCDEF")
        for a in hex {
            for b in hex {
                let escape = "%\(a)\(b)"
                let value = UInt8(String([a, b]), radix: 16)!
                let result = PathNormalizer.normalize("/x\(escape)y")
                let scalar = Character(Unicode.Scalar(value))
                switch value {
                case 0: #expect(result == .failure(.encodedNUL))
                case 0x2F: #expect(result == .failure(.encodedSlash))
                case 0x5C: #expect(result == .failure(.encodedBackslash))
                case _ where scalar.isASCII && (scalar.isLetter || scalar.isNumber || "-._~".contains(scalar)):
                    #expect(result == .success("/x\(scalar)y"), "\(escape)")
                default:
                    #expect(result == .success("/x" + escape.uppercased() + "y"), "\(escape)")
                }
            }
        }
    }
}
