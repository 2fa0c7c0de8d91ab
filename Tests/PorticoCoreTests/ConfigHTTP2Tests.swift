import PorticoCore
import Testing

/// `listeners[].http2`: defaults, every key, and one precise diagnostic per mistake.
@Suite("Config HTTP/2")
struct ConfigHTTP2Tests {
    typealias Case = ConfigDiagnosticsTests.Case

    /// A document whose only listener continues with `lines` from line 5.
    static func listener(_ lines: String) -> String {
        """
        upstreams: [{ name: app, servers: ["127.0.0.1:9001"] }]
        routes: [{ upstream: app }]
        listeners:
          - address: ":8080"
        \(lines)
        """
    }

    @Test func defaults() throws {
        let config = try ConfigLoader.parse(yaml: Self.listener(""), file: "h2.yaml")
        let http2 = try #require(config.listeners.first).http2
        #expect(http2 == HTTP2Config())
        #expect(!http2.cleartext)
        #expect(http2.maxConcurrentStreams == 128)
        #expect(http2.maxHeaderListSize == 64 * 1024)
        #expect(http2.initialWindowSize == 1 << 20)
        #expect(http2.maxFrameSize == 16 * 1024)
    }

    @Test func everyKey() throws {
        let yaml = Self.listener("""
                http2:
                  cleartext: true
                  max_concurrent_streams: 64
                  max_header_list_size: 32KiB
                  initial_window_size: 256KiB
                  max_frame_size: 32KiB
            """)
        let http2 = try #require(try ConfigLoader.parse(yaml: yaml, file: "h2.yaml").listeners.first).http2
        #expect(http2 == HTTP2Config(
            cleartext: true, maxConcurrentStreams: 64, maxHeaderListSize: 32 * 1024,
            initialWindowSize: 256 * 1024, maxFrameSize: 32 * 1024
        ))
    }

    static let cases: [Case] = [
        Case(listener("    http2: { cleartxt: true }"), line: 5, path: "listeners[0].http2.cleartxt", "did you mean \"cleartext\"?"),
        Case(listener("    http2: { cleartext: sure }"), line: 5, path: "listeners[0].http2.cleartext", "expected true or false"),
        Case(listener("    http2: { max_concurrent_streams: 0 }"), line: 5, path: "listeners[0].http2.max_concurrent_streams",
             "max_concurrent_streams must be between 1 and 2147483647, found 0"),
        Case(listener("    http2: { max_header_list_size: 100 }"), line: 5, path: "listeners[0].http2.max_header_list_size",
             "max_header_list_size must be at least 1KiB"),
        Case(listener("    http2: { initial_window_size: 3000000000 }"), line: 5, path: "listeners[0].http2.initial_window_size",
             "initial_window_size must be at most 2147483647 bytes"),
        Case(listener("    http2: { max_frame_size: 8KiB }"), line: 5, path: "listeners[0].http2.max_frame_size",
             "max_frame_size must be between 16KiB and 16777215 bytes"),
        Case(listener("    http2: { max_frame_size: 16MiB }"), line: 5, path: "listeners[0].http2.max_frame_size",
             "max_frame_size must be between 16KiB and 16777215 bytes"),
        Case(listener("    http2: true"), line: 5, path: "listeners[0].http2", "expected a mapping"),
        Case(listener("    htp2: {}"), line: 5, path: "listeners[0].htp2", "did you mean \"http2\"?"),
    ]

    @Test(arguments: cases) func diagnostic(_ testCase: Case) {
        ConfigDiagnosticsTests.expectOneDiagnostic(testCase)
    }
}
