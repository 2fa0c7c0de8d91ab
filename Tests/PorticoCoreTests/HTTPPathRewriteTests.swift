import PorticoCore
import Testing

struct HTTPPathRewriteTests {
    @Test(arguments: [
        ("/api", "/api/x", "/x"),
        ("/api", "/api", "/"),
        ("/api", "/api/", "/"),
        ("/api", "/api?q=1", "/?q=1"),
        ("/api", "/api/x?q=/api", "/x?q=/api"),
        ("/api", "/apix", "/apix"),
        ("/api", "/other", "/other"),
        ("/api/", "/api/x", "/x"),
        ("/api/", "/api/", "/"),
        ("/api/", "/api", "/api"),
        ("/", "/x/y", "/x/y"),
        ("/a/b", "/a/b/c/d?e", "/c/d?e"),
        ("/api", "/api//x", "//x"),
    ])
    func stripPrefix(prefix: String, target: String, expected: String) {
        #expect(PathRewrite.stripPrefix(prefix, from: target[...]) == expected)
    }
}
