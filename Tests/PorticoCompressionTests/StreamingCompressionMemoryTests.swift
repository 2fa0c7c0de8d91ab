import NIOCore
import PorticoCompression
import PorticoCore
import Testing

/// Issue requirement: "streaming compression of a 100 MiB body with bounded memory".
///
/// RSS cannot be measured reliably inside a test process, so the test asserts what
/// bounded memory means for the caller instead: every `encode` call hands back at most
/// a bounded amount, the single output buffer reused across calls never needs to grow
/// with the body, and the decoder keeps up with the input (the encoder never sits on
/// more than a window's worth), while the decoded stream is compared byte for byte
/// against the input as it goes — the body is never held whole.
@Suite("Streaming compression memory")
struct StreamingCompressionMemoryTests {
    static let totalBytes = 100 << 20
    static let pieceBytes = 64 << 10
    /// The most one `encode` call may return for a 64 KiB piece (4× the piece; in practice
    /// under 48 KiB).
    static let maximumOutputPerCall = 256 << 10
    /// How far decoding may lag behind the input: at most the coder's block buffering,
    /// bounded by its window (brotli 512 KiB, zstd 2 MiB at level 3; in practice ≤ 64 KiB).
    static let maximumLagBytes = 8 << 20

    /// Pseudo-random 16 KiB blocks, made once (generating them per piece dominates a
    /// debug run); 61 is prime, so the sequence of blocks does not line up with rotations.
    static let noiseBlocks = (0..<61).map { TestInputs.incompressible(count: 16 << 10, seed: UInt64($0)) }

    /// Piece `index` of the body: a rotation of a text block (so codings with big windows
    /// still have work) followed by 16 KiB of pseudo-random bytes (so the output is never
    /// trivially small).
    static func piece(_ index: Int, textBlock: ByteBuffer) -> ByteBuffer {
        let textBytes = pieceBytes - (16 << 10)
        let rotation = (index &* 7919) % textBlock.readableBytes
        var piece = ByteBuffer()
        piece.reserveCapacity(pieceBytes)
        var first = textBlock.getSlice(at: rotation, length: min(textBytes, textBlock.readableBytes - rotation))!
        piece.writeBuffer(&first)
        if piece.readableBytes < textBytes {
            var rest = textBlock.getSlice(at: 0, length: textBytes - piece.readableBytes)!
            piece.writeBuffer(&rest)
        }
        piece.writeImmutableBuffer(noiseBlocks[index % noiseBlocks.count])
        return piece
    }

    @Test(
        "§8.4.1 streaming compression of a 100 MiB body with bounded memory",
        .timeLimit(.minutes(1)),
        arguments: ContentCodingName.allCases
    )
    func hundredMebibytes(coding: ContentCodingName) throws {
        let config = CompressionConfig()  // the default levels
        let encoder = try ContentEncoders.make(coding, config: config)
        let decoder = try makeTestDecoder(coding)
        let textBlock = TestInputs.text(count: 256 << 10, seed: 1)

        var output = ByteBuffer()
        var pending = ByteBuffer()  // input not yet seen decoded
        var largestOutput = 0
        var largestLag = 0
        var decodedBytes = 0
        var mismatch = false

        func check(_ coded: ByteBuffer) throws {
            try decoder.decode(coded) { decoded in
                guard let expected = pending.readSlice(length: decoded.readableBytes),
                    expected.hasSameBytes(as: decoded)
                else {
                    mismatch = true
                    return
                }
                decodedBytes += decoded.readableBytes
            }
            if pending.readerIndex > 8 << 20 { pending.discardReadBytes() }
        }

        for index in 0..<(Self.totalBytes / Self.pieceBytes) {
            let piece = Self.piece(index, textBlock: textBlock)
            pending.writeImmutableBuffer(piece)
            output.clear()
            try encoder.encode(piece, into: &output)
            largestOutput = max(largestOutput, output.readableBytes)
            try check(output)
            largestLag = max(largestLag, pending.readableBytes)
            if mismatch { break }
        }
        output.clear()
        try encoder.finish(into: &output)
        largestOutput = max(largestOutput, output.readableBytes)
        try check(output)

        #expect(!mismatch, "decoded bytes equal the input")
        #expect(decodedBytes == Self.totalBytes)
        #expect(decoder.isComplete)
        #expect(largestOutput <= Self.maximumOutputPerCall, "largest output of one call: \(largestOutput)")
        #expect(output.capacity <= 2 * Self.maximumOutputPerCall, "reused output buffer: \(output.capacity)")
        #expect(largestLag <= Self.maximumLagBytes, "largest decode lag: \(largestLag)")
    }
}
