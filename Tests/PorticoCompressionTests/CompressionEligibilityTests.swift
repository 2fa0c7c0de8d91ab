import PorticoCompression
import PorticoCore
import Testing

/// When a response may be compressed on the fly, one rule per test.
@Suite("Compression eligibility")
struct CompressionEligibilityTests {
    static func eligible(
        status: Int = 200,
        isHEAD: Bool = false,
        contentType: String? = "text/html; charset=utf-8",
        contentEncoding: String? = nil,
        cacheControl: String? = nil,
        contentLength: Int? = 10_000,
        config: CompressionConfig = .init()
    ) -> Bool {
        CompressionEligibility.shouldCompress(
            status: status, isHEAD: isHEAD, contentType: contentType, contentEncoding: contentEncoding,
            cacheControl: cacheControl, contentLength: contentLength, config: config
        )
    }

    @Test("a plain 200 text/html response of known length is compressed")
    func baseline() {
        #expect(Self.eligible())
        #expect(Self.eligible(status: 404))
        #expect(Self.eligible(status: 500))
    }

    @Test("§15.2 §15.3.5 §15.4.5 1xx, 204 and 304 carry no content to code")
    func statusesWithoutContent() {
        for status in [100, 101, 103, 204, 304] {
            #expect(!Self.eligible(status: status), "\(status)")
        }
    }

    @Test("§14 206 partial content is left alone: the ranges are of the identity representation")
    func partialContent() {
        #expect(!Self.eligible(status: 206))
    }

    @Test("§9.3.2 HEAD responses are sent unchanged")
    func head() {
        #expect(!Self.eligible(isHEAD: true))
    }

    @Test("§8.4 an already encoded response is not encoded again")
    func alreadyEncoded() {
        #expect(!Self.eligible(contentEncoding: "gzip"))
        #expect(!Self.eligible(contentEncoding: "BR"))
        #expect(!Self.eligible(contentEncoding: "identity, gzip"))
        #expect(Self.eligible(contentEncoding: "identity"))
        #expect(Self.eligible(contentEncoding: " Identity "))
        #expect(Self.eligible(contentEncoding: ""))
    }

    @Test("RFC 9111 §5.2.2.6 Cache-Control no-transform forbids compressing")
    func noTransform() {
        #expect(!Self.eligible(cacheControl: "no-transform"))
        #expect(!Self.eligible(cacheControl: "public, No-Transform, max-age=60"))
        #expect(!Self.eligible(cacheControl: "max-age=60,no-transform"))
        #expect(Self.eligible(cacheControl: "public, max-age=60"))
        #expect(Self.eligible(cacheControl: "no-transformation"))
        #expect(Self.eligible(cacheControl: "private=\"x, no-transform\", max-age=5"), "inside a quoted argument")
    }

    @Test("§8.3.1 the media type is matched without parameters, case-insensitively")
    func mediaTypeMatching() {
        #expect(Self.eligible(contentType: "TEXT/HTML"))
        #expect(Self.eligible(contentType: "application/json;charset=utf-8"))
        #expect(!Self.eligible(contentType: "image/png"))
        #expect(!Self.eligible(contentType: "application/octet-stream"))
        #expect(!Self.eligible(contentType: "text/htmlx"))
        #expect(!Self.eligible(contentType: "html"))
    }

    @Test("§8.3 a response without Content-Type is not compressed")
    func missingContentType() {
        #expect(!Self.eligible(contentType: nil))
        #expect(!Self.eligible(contentType: ""))
    }

    @Test("types: type/* and */* wildcards and exact entries")
    func typeWildcards() {
        let textOnly = CompressionConfig(types: ["text/*"])
        #expect(Self.eligible(contentType: "text/anything", config: textOnly))
        #expect(!Self.eligible(contentType: "application/json", config: textOnly))
        #expect(!Self.eligible(contentType: "textual/x", config: textOnly))
        let everything = CompressionConfig(types: ["*/*"])
        #expect(Self.eligible(contentType: "video/mp4", config: everything))
        let exact = CompressionConfig(types: ["Application/JSON"])
        #expect(Self.eligible(contentType: "application/json", config: exact))
        #expect(!Self.eligible(contentType: "text/html", config: exact))
        #expect(!Self.eligible(config: CompressionConfig(types: [])))
    }

    @Test("min_length: a known length below it is sent as is; an unknown length is compressed")
    func minimumLength() {
        #expect(!Self.eligible(contentLength: 1023))
        #expect(Self.eligible(contentLength: 1024))
        #expect(Self.eligible(contentLength: nil))
        #expect(!Self.eligible(contentLength: 0, config: CompressionConfig(minLength: 0)), "an empty body never is")
        #expect(Self.eligible(contentLength: 1, config: CompressionConfig(minLength: 0)))
    }

    @Test("no algorithms configured: nothing is compressed")
    func noAlgorithms() {
        #expect(!Self.eligible(config: CompressionConfig(algorithms: [])))
    }
}
