import NIOCore
import PorticoCompression
import PorticoCore
import Testing

/// Each coding's output, fed in uneven pieces with sync flushes in between, decodes to
/// exactly the input with an independent decoder.
@Suite("Content encoders")
struct ContentEncoderRoundTripTests {
    enum Input: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case empty
        case tiny
        case text1MiB
        case incompressible256KiB

        var bytes: ByteBuffer {
            switch self {
            case .empty: return ByteBuffer()
            case .tiny: return ByteBuffer(string: "a")
            case .text1MiB: return TestInputs.text(count: 1 << 20, seed: 7)
            case .incompressible256KiB: return TestInputs.incompressible(count: 256 << 10, seed: 11)
            }
        }

        var testDescription: String { rawValue }
    }

    /// Feeds `input` to a fresh encoder in seeded random-sized pieces (1 byte to 96 KiB),
    /// flushing after every third piece, and returns the whole coded body.
    static func encodeInPieces(_ input: ByteBuffer, coding: ContentCodingName, config: CompressionConfig = .init())
        throws -> ByteBuffer
    {
        let encoder = try ContentEncoders.make(coding, config: config)
        var random = SplitMix64(state: 42)
        var remaining = input
        var coded = ByteBuffer()
        var piece = 0
        while remaining.readableBytes > 0 {
            let length = min(remaining.readableBytes, random.next(in: 1...(96 << 10)))
            try encoder.encode(remaining.readSlice(length: length)!, into: &coded)
            piece += 1
            if piece % 3 == 0 { try encoder.flush(into: &coded) }
        }
        try encoder.finish(into: &coded)
        return coded
    }

    @Test(
        "§8.4.1 content codings: decoded output equals the input (gzip RFC 1952, br RFC 7932, zstd RFC 8878)",
        arguments: ContentCodingName.allCases, Input.allCases
    )
    func roundTrip(coding: ContentCodingName, input: Input) throws {
        let original = input.bytes
        let coded = try Self.encodeInPieces(original, coding: coding)
        let (decoded, complete) = try decodeAll(coded, coding: coding)
        #expect(decoded.hasSameBytes(as: original))
        #expect(complete, "the coded stream is terminated (trailer / last block / frame end)")
        if input == .text1MiB {
            #expect(coded.readableBytes < original.readableBytes / 2, "text compresses")
        }
    }

    @Test("§8.4.1 sync flush: the client can decode every byte given so far", arguments: ContentCodingName.allCases)
    func flushMakesEverythingDecodable(coding: ContentCodingName) throws {
        let encoder = try ContentEncoders.make(coding, config: .init())
        let decoder = try makeTestDecoder(coding)
        var decodedCount = 0
        var fedCount = 0
        for round in 0..<5 {
            let piece = TestInputs.text(count: 1000 + round * 7919, seed: UInt64(round))
            fedCount += piece.readableBytes
            var coded = ByteBuffer()
            try encoder.encode(piece, into: &coded)
            try encoder.flush(into: &coded)
            try decoder.decode(coded) { decodedCount += $0.readableBytes }
            #expect(decodedCount == fedCount, "after flush \(round)")
            #expect(!decoder.isComplete)
        }
        var tail = ByteBuffer()
        try encoder.finish(into: &tail)
        try decoder.decode(tail) { decodedCount += $0.readableBytes }
        #expect(decoder.isComplete)
        #expect(decodedCount == fedCount)
    }

    @Test("§8.4.1 repeated flushes without new input are harmless", arguments: ContentCodingName.allCases)
    func repeatedFlushes(coding: ContentCodingName) throws {
        let encoder = try ContentEncoders.make(coding, config: .init())
        var coded = ByteBuffer()
        try encoder.flush(into: &coded)
        try encoder.encode(ByteBuffer(string: "hello"), into: &coded)
        try encoder.flush(into: &coded)
        try encoder.flush(into: &coded)
        try encoder.encode(ByteBuffer(), into: &coded)
        try encoder.finish(into: &coded)
        let (decoded, complete) = try decodeAll(coded, coding: coding)
        #expect(String(buffer: decoded) == "hello")
        #expect(complete)
    }

    @Test("§8.4.1 the encoder names its coding and refuses use after finish", arguments: ContentCodingName.allCases)
    func codingAndFinish(coding: ContentCodingName) throws {
        let encoder = try ContentEncoders.make(coding, config: .init())
        #expect(encoder.coding == coding)
        var coded = ByteBuffer()
        try encoder.finish(into: &coded)
        #expect(throws: ContentEncoderError.alreadyFinished(coding)) {
            try encoder.encode(ByteBuffer(string: "x"), into: &coded)
        }
        #expect(throws: ContentEncoderError.alreadyFinished(coding)) { try encoder.flush(into: &coded) }
        #expect(throws: ContentEncoderError.alreadyFinished(coding)) { try encoder.finish(into: &coded) }
    }

    @Test("§8.4.1.3 gzip output starts with the RFC 1952 magic and ends with the input length")
    func gzipFraming() throws {
        let input = TestInputs.text(count: 5000, seed: 3)
        let coded = try Self.encodeInPieces(input, coding: .gzip)
        #expect(coded.getBytes(at: coded.readerIndex, length: 2) == [0x1F, 0x8B])
        let isize = coded.getInteger(at: coded.writerIndex - 4, endianness: .little, as: UInt32.self)
        #expect(isize == 5000)
    }

    @Test("RFC 8878 §3.1.1 zstd output starts with the frame magic number")
    func zstdFraming() throws {
        let coded = try Self.encodeInPieces(ByteBuffer(string: "zstd"), coding: .zstd)
        #expect(coded.getBytes(at: coded.readerIndex, length: 4) == [0x28, 0xB5, 0x2F, 0xFD])
    }

    @Test("RFC 9659 §3 zstd at the highest level decodes within an 8 MiB window")
    func zstdWindowLimit() throws {
        let input = TestInputs.text(count: 2 << 20, seed: 5)
        let config = CompressionConfig(zstdLevel: 99)
        let encoder = try ContentEncoders.make(.zstd, config: config)
        var coded = ByteBuffer()
        var remaining = input
        // Fed in pieces, libzstd cannot learn the size up front, so the frame header declares
        // the level's full window — which the decoder (windowLogMax 23) checks before decoding.
        while let piece = remaining.readSlice(length: min(remaining.readableBytes, 1 << 20)), piece.readableBytes > 0 {
            try encoder.encode(piece, into: &coded)
        }
        try encoder.finish(into: &coded)
        let (decoded, complete) = try decodeAll(coded, coding: .zstd)  // windowLogMax 23
        #expect(complete)
        #expect(decoded.hasSameBytes(as: input))
    }

    @Test("levels outside a coding's range are clamped, not rejected")
    func levelClamping() throws {
        #expect(ContentEncoders.clampedLevel(.gzip, 0) == 1)
        #expect(ContentEncoders.clampedLevel(.gzip, 12) == 9)
        #expect(ContentEncoders.clampedLevel(.br, -3) == 0)
        #expect(ContentEncoders.clampedLevel(.br, 12) == 11)
        #expect(ContentEncoders.clampedLevel(.zstd, 22) == 19)
        #expect(ContentEncoders.clampedLevel(.zstd, 0) == 1)
        #expect(ContentEncoders.clampedLevel(.zstd, 7) == 7)
        let extreme = CompressionConfig(gzipLevel: 100, brotliLevel: 100, zstdLevel: 100)
        let low = CompressionConfig(gzipLevel: -5, brotliLevel: -5, zstdLevel: -5)
        for coding in ContentCodingName.allCases {
            for config in [extreme, low] {
                let input = TestInputs.text(count: 20_000, seed: 9)
                let coded = try Self.encodeInPieces(input, coding: coding, config: config)
                #expect(try decodeAll(coded, coding: coding).0.hasSameBytes(as: input))
            }
        }
    }
}
