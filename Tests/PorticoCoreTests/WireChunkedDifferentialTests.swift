import NIOCore
import NIOEmbedded
import NIOHTTP1
import PorticoCore
import Testing

/// Differential test of ``ChunkedScanner`` against NIO's `HTTPRequestDecoder` (llhttp):
/// generated chunked bodies, some mutated at random with a fixed seed, go through both; the
/// accept/reject verdicts, the decoded bytes and the trailers must agree, except where the
/// scanner is documented to be stricter (``stricterThanNIO``).
struct WireChunkedDifferentialTests {
    /// Where the scanner rejects what llhttp accepts, on purpose:
    static let stricterThanNIO: [ChunkedScanError.Reason: String] = [
        // llhttp accepts any number of leading zeros and sizes up to UInt64.max.
        .chunkSizeOverflow: "more than 16 size digits, or a size above Int.max",
        // llhttp accepts empty extension names and values and a quote inside a token value.
        .invalidChunkExtension: "chunk-ext that is not RFC 9112 §7.1 grammar",
        // llhttp accepts DEL in a quoted extension value; RFC 9110 §5.6.4 qdtext excludes it.
        .invalidCharacter: "DEL in a quoted chunk-ext value",
    ]

    static let head = Array("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)

    enum Verdict: Equatable {
        case accepted(data: [UInt8], trailers: [ChunkedTrailerField])
        case rejected
        case incomplete
    }

    static func nioVerdict(_ body: [UInt8]) throws -> Verdict {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder()))
        defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
        var failed = false
        do {
            try channel.writeInbound(ByteBuffer(bytes: head + body))
        } catch {
            failed = true
        }
        var data: [UInt8] = []
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
            switch part {
            case .head: continue
            case .body(let bytes): data += bytes.readableBytesView
            case .end(let trailers):
                // llhttp drops trailing SP but keeps a trailing HTAB; RFC 9110 §5.5 excludes
                // both from the field value, as the scanner does.
                let fields = (trailers ?? [:]).map {
                    ChunkedTrailerField(name: $0.name, value: String($0.value.reversed().drop { $0 == " " || $0 == "\t" }.reversed()))
                }
                return .accepted(data: data, trailers: fields)
            }
        }
        return failed ? .rejected : .incomplete
    }

    static func ourVerdict(_ body: [UInt8]) -> (Verdict, ChunkedScanError?) {
        let out = ChunkedHarness.oneShot(body, mode: .decode)
        switch out.result {
        case .ended: return (.accepted(data: out.data, trailers: out.trailers), nil)
        case .failed(let error): return (.rejected, error)
        case .incomplete: return (.incomplete, nil)
        }
    }

    // MARK: - Generation

    static let tchars = Array("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
    static let trailerNames = ["X-Checksum", "Expires", "x-a", "Server-Timing", "Digest", "X-Trace_1"]
    static let interesting: [UInt8] = Array(" \t\r\n;=\":\\0fFgx-".utf8) + [0x00, 0x01, 0x0B, 0x7F, 0x80, 0xFF]

    static func token(_ rng: inout SeededGenerator) -> [UInt8] {
        (0..<Int.random(in: 1...6, using: &rng)).map { _ in tchars.randomElement(using: &rng)! }
    }

    static func extensions(_ rng: inout SeededGenerator) -> [UInt8] {
        var out: [UInt8] = []
        for _ in 0..<Int.random(in: 0...2, using: &rng) {
            out += [UInt8(ascii: ";")] + token(&rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: break
            case 1: out += [UInt8(ascii: "=")] + token(&rng)
            default:
                let inner = Array(" a\t\\\"b;=,".utf8)
                out += Array("=\"".utf8)
                for _ in 0..<Int.random(in: 0...5, using: &rng) {
                    let byte = inner.randomElement(using: &rng)!
                    out += byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") ? [UInt8(ascii: "\\"), byte] : [byte]
                }
                out += [UInt8(ascii: "\"")]
            }
        }
        return out
    }

    static func body(_ rng: inout SeededGenerator) -> [UInt8] {
        var out: [UInt8] = []
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            let size = Int.random(in: 1...40, using: &rng)
            var hex = String(size, radix: 16, uppercase: Bool.random(using: &rng))
            hex = String(repeating: "0", count: Int.random(in: 0...2, using: &rng)) + hex
            out += Array(hex.utf8) + extensions(&rng) + Array("\r\n".utf8)
            out += (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
            out += Array("\r\n".utf8)
        }
        out += Array(String(repeating: "0", count: Int.random(in: 1...3, using: &rng)).utf8) + extensions(&rng)
        out += Array("\r\n".utf8)
        for _ in 0..<Int.random(in: 0...2, using: &rng) {
            out += Array(trailerNames.randomElement(using: &rng)!.utf8) + Array(":".utf8)
            out += Array(["", " ", "\t", "  "].randomElement(using: &rng)!.utf8)
            out += (0..<Int.random(in: 0...8, using: &rng)).map { _ in UInt8.random(in: 0x21...0x7E, using: &rng) }
            if Bool.random(using: &rng) { out += Array(" x\ty".utf8) }
            out += Array("\r\n".utf8)
        }
        return out + Array("\r\n".utf8)
    }

    static func mutate(_ bytes: inout [UInt8], _ rng: inout SeededGenerator) {
        for _ in 0..<Int.random(in: 1...2, using: &rng) {
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: bytes[at] = interesting.randomElement(using: &rng)!
            case 1: bytes.insert(interesting.randomElement(using: &rng)!, at: at)
            case 2: bytes.remove(at: at)
            default: bytes[at] = UInt8.random(in: 0...255, using: &rng)
            }
            if bytes.isEmpty { bytes = [UInt8(ascii: "0")] }
        }
    }

    // MARK: - Tests

    /// One example of each documented difference: NIO takes it (or waits for more), we refuse.
    @Test(arguments: [
        ("00000000000000001\r\nx\r\n0\r\n\r\n", ChunkedScanError.Reason.chunkSizeOverflow),
        ("8000000000000000\r\n", .chunkSizeOverflow),
        ("1;;a\r\nx\r\n0\r\n\r\n", .invalidChunkExtension),
        ("1;=a\r\nx\r\n0\r\n\r\n", .invalidChunkExtension),
        ("1;a=\r\nx\r\n0\r\n\r\n", .invalidChunkExtension),
        ("1;a=b\"c\"\r\nx\r\n0\r\n\r\n", .invalidChunkExtension),
        ("1;a=\"\u{7f}\"\r\nx\r\n0\r\n\r\n", .invalidCharacter),
    ])
    func documentedStricterCases(_ text: String, _ reason: ChunkedScanError.Reason) throws {
        let bytes = Array(text.utf8)
        #expect(Self.ourVerdict(bytes).1?.reason == reason)
        #expect(Self.stricterThanNIO[reason] != nil)
        #expect(try Self.nioVerdict(bytes) != .rejected)
    }

    /// Smuggling-relevant malformations both parsers refuse.
    @Test(arguments: [
        "1;\r\nx\r\n0\r\n\r\n", "0\r\nX: a\r\n b\r\n\r\n", "0\r\n\tX: a\r\n\r\n", "0\r\nX: a\u{7f}\r\n\r\n",
        "0\r\nX: a\u{1}\r\n\r\n", "0\r\nX : a\r\n\r\n", "1 \r\nx\r\n0\r\n\r\n", "1 ;a\r\nx\r\n0\r\n\r\n",
        "1\nx\r\n0\r\n\r\n", "1\r\nx\n0\r\n\r\n", "1\r\nxy\r\n0\r\n\r\n", "0\r\n\n", "0\r\nX: a\nY: b\r\n\r\n",
        "\r\n", "g\r\n", "0x1\r\nx\r\n0\r\n\r\n", "1;a b\r\nx\r\n0\r\n\r\n",
    ])
    func bothReject(_ text: String) throws {
        let bytes = Array(text.utf8)
        #expect(Self.ourVerdict(bytes).0 == .rejected)
        #expect(try Self.nioVerdict(bytes) == .rejected)
    }

    @Test func generatedBodiesAgreeWithNIO() throws {
        var rng = SeededGenerator(seed: 0x5EED_C0DE)
        for _ in 0..<400 {
            let generated = Self.body(&rng)
            let (ours, error) = Self.ourVerdict(generated)
            try #require(error == nil, "generator made an invalid body: \(error!)")
            let nio = try Self.nioVerdict(generated)
            try #require(ours == nio, "\(String(decoding: generated, as: UTF8.self).debugDescription)")
        }
    }

    @Test func mutatedBodiesAgreeWithNIOOrAreDocumentedStricter() throws {
        var rng = SeededGenerator(seed: 0xBAD_C0FFEE)
        var stricter: [ChunkedScanError.Reason: Int] = [:]
        var verdicts: [String: Int] = [:]
        for _ in 0..<1500 {
            var bytes = Self.body(&rng)
            Self.mutate(&bytes, &rng)
            let (ours, error) = Self.ourVerdict(bytes)
            let nio = try Self.nioVerdict(bytes)
            let shown = String(decoding: bytes, as: UTF8.self).debugDescription
            switch (ours, nio) {
            case _ where ours == nio:
                verdicts["\(ours)".prefix(8).description, default: 0] += 1
            case (.rejected, .accepted), (.rejected, .incomplete):
                let reason = try #require(error?.reason)
                try #require(Self.stricterThanNIO[reason] != nil, "we reject (\(error!)) what NIO takes: \(shown)")
                stricter[reason, default: 0] += 1
            default:
                Issue.record("we say \(ours) (\(String(describing: error))), NIO says \(nio): \(shown)")
                return
            }
        }
        // The mutations must exercise both verdicts, or the test proves nothing.
        #expect(verdicts["accepted", default: 0] > 100)
        #expect(verdicts["rejected", default: 0] > 300)
    }
}
