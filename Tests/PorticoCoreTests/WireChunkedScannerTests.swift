import NIOCore
import PorticoCore
import Testing

struct WireChunkedScannerTests {
    typealias Reason = ChunkedScanError.Reason

    struct Valid: CustomTestStringConvertible, Sendable {
        var body: String
        var data: String
        var trailers: [ChunkedTrailerField] = []
        var testDescription: String { body.debugDescription }
    }

    static let valid: [Valid] = [
        Valid(body: "0\r\n\r\n", data: ""),
        Valid(body: "000\r\n\r\n", data: ""),
        Valid(body: "5\r\nhello\r\n0\r\n\r\n", data: "hello"),
        Valid(body: "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", data: "hello world"),
        Valid(body: "A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", data: "0123456789abcdefghij"),
        Valid(body: "0005\r\nhello\r\n0\r\n\r\n", data: "hello"),
        Valid(body: "000000000000000A\r\n0123456789\r\n0\r\n\r\n", data: "0123456789"),
        // Data is opaque: CRLFs and a fake last-chunk inside it are not framing.
        Valid(body: "9\r\n0\r\n\r\nxx\r\n\r\n0\r\n\r\n", data: "0\r\n\r\nxx\r\n"),
        Valid(body: "3\r\n\u{0}\u{7f}\n\r\n0\r\n\r\n", data: "\u{0}\u{7f}\n"),
        Valid(body: "5;name\r\nhello\r\n0\r\n\r\n", data: "hello"),
        Valid(body: "5;name=value\r\nhello\r\n0\r\n\r\n", data: "hello"),
        Valid(body: "5;a=1;b=2;c;d=!#$%&'*+-.^_`|~\r\nhello\r\n0\r\n\r\n", data: "hello"),
        Valid(body: "5;a=\"quoted \\\"x\\\" ;= \\\\\"\r\nhello\r\n0\r\n\r\n", data: "hello"),
        Valid(body: "5;a=\"\"\r\nhello\r\n0\r\n\r\n", data: "hello"),
        Valid(body: "5;a=\"\t\"\r\nhello\r\n0;last\r\n\r\n", data: "hello"),
        Valid(body: "0\r\nX-Checksum: abc\r\n\r\n", data: "", trailers: [.init(name: "X-Checksum", value: "abc")]),
        Valid(
            body: "2\r\nhi\r\n0\r\nA: 1\r\nB:\t two  words \t\r\nX-Empty:\r\nC:   \r\n\r\n",
            data: "hi",
            trailers: [
                .init(name: "A", value: "1"), .init(name: "B", value: "two  words"),
                .init(name: "X-Empty", value: ""), .init(name: "C", value: ""),
            ]
        ),
        Valid(body: "0\r\nX:a\"b\\c:d\r\n\r\n", data: "", trailers: [.init(name: "X", value: "a\"b\\c:d")]),
    ]

    @Test(arguments: valid)
    func validBodies(_ c: Valid) {
        let bytes = Array(c.body.utf8)
        let decoded = ChunkedHarness.oneShot(bytes, mode: .decode)
        #expect(decoded.result == .ended)
        #expect(decoded.consumed == bytes.count)
        #expect(decoded.data == Array(c.data.utf8))
        #expect(decoded.trailers == c.trailers)
        let validated = ChunkedHarness.oneShot(bytes, mode: .validate)
        #expect(validated.result == .ended)
        #expect(validated.consumed == bytes.count)
        #expect(validated.data.isEmpty && validated.trailers.isEmpty)
    }

    @Test func obsTextInQuotedExtensionsAndTrailerValues() {
        let bytes: [UInt8] = Array("1;q=\"".utf8) + [0xC3, 0xA9] + Array("\"\r\nx\r\n0\r\nX: ".utf8) + [0xC3, 0xA9]
            + Array("\r\n\r\n".utf8)
        let out = ChunkedHarness.oneShot(bytes, mode: .decode)
        #expect(out.result == .ended)
        #expect(out.trailers == [.init(name: "X", value: "é")])
    }

    struct Invalid: CustomTestStringConvertible, Sendable {
        /// `¦` marks the offending byte.
        var body: String
        var reason: Reason
        var testDescription: String { "\(reason): \(body.debugDescription)" }
        init(_ body: String, _ reason: Reason) {
            self.body = body
            self.reason = reason
        }
    }

    static let invalid: [Invalid] = [
        // chunk-size
        Invalid("¦\r\n", .emptyChunkSize),
        Invalid("¦;a\r\n", .invalidChunkSize),
        Invalid("¦g\r\n", .invalidChunkSize),
        Invalid("5¦x\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
        Invalid("¦-5\r\n", .invalidChunkSize),
        Invalid("¦+5\r\n", .invalidChunkSize),
        Invalid("0¦x5\r\n", .invalidChunkSize),
        Invalid("¦ 5\r\n", .invalidChunkSize),
        Invalid("¦\u{0}5\r\n", .invalidCharacter),
        Invalid("5¦\u{1}\r\n", .invalidCharacter),
        Invalid("0000000000000000¦1\r\n", .chunkSizeOverflow),
        Invalid("800000000000000¦0\r\n", .chunkSizeOverflow),
        Invalid("FFFFFFFFFFFFFFF¦F\r\n", .chunkSizeOverflow),
        // whitespace and line ends
        Invalid("5¦ \r\nhello\r\n0\r\n\r\n", .unexpectedWhitespace),
        Invalid("5¦\t\r\nhello\r\n0\r\n\r\n", .unexpectedWhitespace),
        Invalid("5¦ ;a\r\n", .unexpectedWhitespace),
        Invalid("5;¦ a\r\n", .unexpectedWhitespace),
        Invalid("5;a¦ =b\r\n", .unexpectedWhitespace),
        Invalid("5;a=¦ b\r\n", .unexpectedWhitespace),
        Invalid("5;a=b¦ \r\n", .unexpectedWhitespace),
        Invalid("5¦\nhello\r\n0\r\n\r\n", .bareLF),
        Invalid("5;a=b¦\nhello\r\n0\r\n\r\n", .bareLF),
        Invalid("5\r¦hello\r\n0\r\n\r\n", .bareCR),
        Invalid("5\r¦\r\n", .bareCR),
        // chunk-data CRLF
        Invalid("5\r\nhello¦0\r\n\r\n", .missingCRLFAfterData),
        Invalid("5\r\nhello¦\n0\r\n\r\n", .missingCRLFAfterData),
        Invalid("5\r\nhello\r¦X", .missingCRLFAfterData),
        Invalid("5\r\nhello¦o\r\n0\r\n\r\n", .missingCRLFAfterData),
        Invalid("5\r\nhell\r¦\n0\r\n\r\n", .missingCRLFAfterData),
        // chunk-ext
        Invalid("5;¦\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        Invalid("5;¦;a\r\n", .invalidChunkExtension),
        Invalid("5;¦=a\r\n", .invalidChunkExtension),
        Invalid("5;a=¦\r\n", .invalidChunkExtension),
        Invalid("5;a=¦;b\r\n", .invalidChunkExtension),
        Invalid("5;a¦@b\r\n", .invalidChunkExtension),
        Invalid("5;a=b¦\"c\"\r\n", .invalidChunkExtension),
        Invalid("5;a=\"x\"¦y\r\n", .invalidChunkExtension),
        Invalid("5;a=b¦=c\r\n", .invalidChunkExtension),
        Invalid("5;a¦\u{1}\r\n", .invalidCharacter),
        Invalid("5;a=\"x¦\r\n", .invalidCharacter),
        Invalid("5;a=\"¦\u{7f}\"\r\n", .invalidCharacter),
        Invalid("5;a=\"\\¦\u{0}\"\r\n", .invalidCharacter),
        Invalid("5;a=\"x¦\nhello", .bareLF),
        // last-chunk and trailer-section
        Invalid("0\r\n¦\nX", .bareLF),
        Invalid("0\r\n\r¦\r", .bareCR),
        Invalid("0\r\n\r¦X", .bareCR),
        Invalid("0\r\nX: a¦\nB: c\r\n\r\n", .bareLF),
        Invalid("0\r\nX: a\r¦b\r\n\r\n", .bareCR),
        Invalid("0\r\nX¦ : a\r\n\r\n", .trailerWhitespaceBeforeColon),
        Invalid("0\r\nX¦\t: a\r\n\r\n", .trailerWhitespaceBeforeColon),
        Invalid("0\r\nX: a\r\n¦ b\r\n\r\n", .trailerLineFolding),
        Invalid("0\r\n¦\tX: a\r\n\r\n", .trailerLineFolding),
        Invalid("0\r\n¦: a\r\n\r\n", .invalidTrailerName),
        Invalid("0\r\nX¦\r\n\r\n", .invalidTrailerName),
        Invalid("0\r\nX¦(y): a\r\n\r\n", .invalidTrailerName),
        Invalid("0\r\n¦\u{1}X: a\r\n\r\n", .invalidCharacter),
        Invalid("0\r\nX: a¦\u{0}b\r\n\r\n", .invalidTrailerValue),
        Invalid("0\r\nX: a¦\u{7f}\r\n\r\n", .invalidTrailerValue),
        Invalid("0\r\nX: ¦\u{1b}[0m\r\n\r\n", .invalidTrailerValue),
        Invalid("0;a¦ \r\n\r\n", .unexpectedWhitespace),
    ]

    @Test(arguments: invalid)
    func invalidBodies(_ c: Invalid) throws {
        let (bytes, offset) = ChunkedHarness.marked(c.body)
        let expected = ChunkedScanError(reason: c.reason, bodyOffset: try #require(offset))
        for mode in [ChunkedScanner.Mode.validate, .decode] {
            let out = ChunkedHarness.oneShot(bytes, mode: mode)
            #expect(out.result == .failed(expected), "\(mode)")
            #expect(out.consumed == expected.bodyOffset)
            #expect(out.leftover == Array(bytes[expected.bodyOffset...]), "reader index stops at the offending byte")
        }
    }

    @Test func largestSizeIsAcceptedAndAwaitsData() {
        var scanner = ChunkedScanner(mode: .validate)
        var buffer = ByteBuffer(string: "7fffffffffffffff\r\nabc")
        #expect(scanner.scan(&buffer) == .needMoreData)
        #expect(scanner.dataBytes == 3)
    }

    @Test func moreSizeDigitsWhenConfigured() {
        var scanner = ChunkedScanner(mode: .decode, maxChunkSizeDigits: 20)
        var buffer = ByteBuffer(string: "00000000000000000001\r\nx\r\n0\r\n\r\n")
        #expect(scanner.scan(&buffer) == .data(ByteBuffer(string: "x")))
        #expect(scanner.scan(&buffer) == .end(trailers: []))
        var overflow = ChunkedScanner(mode: .validate, maxChunkSizeDigits: 40)
        var big = ByteBuffer(string: "10000000000000000\r\n")  // 2^64
        #expect(overflow.scan(&big) == .error(.init(reason: .chunkSizeOverflow, bodyOffset: 16)))
    }

    @Test func lineAndTrailerLimits() {
        let longLine = Array(("5;" + String(repeating: "a", count: 100) + "\r\nhello\r\n0\r\n\r\n").utf8)
        let limited = ChunkedHarness.run([longLine], mode: .validate, maxLineLength: 64)
        #expect(limited.result == .failed(.init(reason: .lineTooLong, bodyOffset: 64)))
        #expect(ChunkedHarness.run([longLine], mode: .validate, maxLineLength: 104).result == .ended)
        #expect(ChunkedHarness.run([longLine], mode: .validate, maxLineLength: 103).result != .ended)

        let trailers = Array(("0\r\nX: " + String(repeating: "v", count: 50) + "\r\n\r\n").utf8)  // 57 trailer bytes
        #expect(ChunkedHarness.run([trailers], mode: .decode, maxTrailerBytes: 57).result == .ended)
        let tooBig = ChunkedHarness.run([trailers], mode: .decode, maxTrailerBytes: 56)
        #expect(tooBig.result == .failed(.init(reason: .trailersTooLarge, bodyOffset: 3 + 56)))
        // Defaults: a 5 KB size line and 20 KB of trailers are refused.
        let huge = Array(("1;" + String(repeating: "a", count: 5000) + "\r\n").utf8)
        #expect(ChunkedHarness.oneShot(huge, mode: .validate).result == .failed(.init(reason: .lineTooLong, bodyOffset: 4096)))
        let hugeTrailer = Array(("0\r\nX: " + String(repeating: "v", count: 20000) + "\r\n\r\n").utf8)
        #expect(ChunkedHarness.oneShot(hugeTrailer, mode: .decode).result == .failed(.init(reason: .trailersTooLarge, bodyOffset: 3 + 16384)))
    }

    @Test(arguments: [
        ("5 ;a\r\nhello\r\n0\r\n\r\n", true),
        ("5 \t; a = b ;\tc=\"q\" ; d\r\nhello\r\n0 ; e\r\n\r\n", true),
        ("5 \r\nhello\r\n0\r\n\r\n", false),
        ("5;a \r\nhello\r\n0\r\n\r\n", false),
        ("5;a=b \r\nhello\r\n0\r\n\r\n", false),
        ("5;a=\"b\" \r\nhello\r\n0\r\n\r\n", false),
        ("5;a=b c\r\nhello\r\n0\r\n\r\n", false),
    ])
    func badWhitespaceWhenAllowed(_ body: String, _ accepted: Bool) {
        let bytes = Array(body.utf8)
        let lax = ChunkedHarness.oneShot(bytes, mode: .decode, allowsExtensionWhitespace: true)
        #expect((lax.result == .ended) == accepted)
        if accepted { #expect(lax.data == Array("hello".utf8)) }
        #expect(ChunkedHarness.oneShot(bytes, mode: .decode).result != .ended, "default rejects BWS")
    }

    static let nextRequest = Array("GET /next HTTP/1.1\r\nHost: a\r\n\r\n".utf8)

    @Test func pipelinedMessageIsLeftIntact() {
        for c in Self.valid {
            let body = Array(c.body.utf8)
            for mode in [ChunkedScanner.Mode.validate, .decode] {
                let out = ChunkedHarness.oneShot(body + Self.nextRequest, mode: mode)
                #expect(out.result == .ended)
                #expect(out.consumed == body.count)
                #expect(out.leftover == Self.nextRequest)
            }
        }
    }

    @Test func splitAtEveryPositionEqualsOneShot() throws {
        var cases = Self.valid.map { (Array($0.body.utf8) + Self.nextRequest, false) }
        cases += Self.invalid.map { (ChunkedHarness.marked($0.body).bytes, false) }
        cases.append((Array("5 \t; a = b ;\tc=\"q\\\"\" ; d\r\nhello\r\n0 ; e\r\nT: v\r\n\r\n".utf8), true))
        for (bytes, bws) in cases {
            for mode in [ChunkedScanner.Mode.validate, .decode] {
                let whole = ChunkedHarness.oneShot(bytes, mode: mode, allowsExtensionWhitespace: bws)
                for cut in 0...bytes.count {
                    let split = ChunkedHarness.split(bytes, at: cut, mode: mode, allowsExtensionWhitespace: bws)
                    try #require(split == whole, "cut \(cut) of \(String(decoding: bytes, as: UTF8.self).debugDescription)")
                }
                let trickle = ChunkedHarness.byteAtATime(bytes, mode: mode, allowsExtensionWhitespace: bws)
                try #require(trickle == whole)
            }
        }
    }

    @Test func decodedDataIsASliceOfTheInput() throws {
        var scanner = ChunkedScanner(mode: .decode)
        var buffer = ByteBuffer(string: "5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\n\r\n")
        let base = buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        var offsets: [UInt] = []
        while case .data(let slice) = scanner.scan(&buffer) {
            offsets.append(slice.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } - base)
        }
        #expect(offsets == [3, 17])
        #expect(scanner.isComplete && scanner.dataBytes == 8)
    }

    @Test func afterEndOrErrorNothingMoreIsConsumed() {
        var scanner = ChunkedScanner(mode: .validate)
        var buffer = ByteBuffer(string: "0\r\n\r\nGET")
        #expect(scanner.scan(&buffer) == .end(trailers: []))
        #expect(scanner.scan(&buffer) == .end(trailers: []))
        #expect(buffer.readableBytes == 3)

        var bad = ChunkedScanner(mode: .decode)
        var input = ByteBuffer(string: "z\r\n")
        let first = bad.scan(&input)
        #expect(first == .error(.init(reason: .invalidChunkSize, bodyOffset: 0)))
        #expect(bad.scan(&input) == first)
        #expect(input.readableBytes == 3)

        bad.reset()
        var good = ByteBuffer(string: "1\r\nx\r\n0\r\n\r\n")
        #expect(bad.scan(&good) == .data(ByteBuffer(string: "x")))
        #expect(bad.scan(&good) == .end(trailers: []))
        #expect(bad.bytesScanned == 11)
    }

    @Test func scanRawReturnsTheBodyBytesToForward() {
        var scanner = ChunkedScanner(mode: .validate)
        var first = ByteBuffer(string: "5\r\nhel")
        var second = ByteBuffer(string: "lo\r\n0\r\n\r\nNEXT")
        let a = scanner.scanRaw(&first)
        #expect(a.event == .needMoreData && a.body == ByteBuffer(string: "5\r\nhel"))
        let b = scanner.scanRaw(&second)
        #expect(b.event == .end(trailers: []) && b.body == ByteBuffer(string: "lo\r\n0\r\n\r\n"))
        #expect(second == ByteBuffer(string: "NEXT"))
        #expect(ChunkedScanError.Reason.allCases.allSatisfy { !$0.description.isEmpty })
    }
}
