import CBrotli
import CZstd
import CompressNIO
import NIOCore
import PorticoCore

/// Independent streaming decoders for checking encoder output: CompressNIO's zlib
/// inflate for gzip, libbrotli's decoder for br, libzstd's for zstd.
protocol StreamingTestDecoder: AnyObject {
    /// Decodes `chunk`, handing each piece of decoded output to `sink`.
    func decode(_ chunk: ByteBuffer, sink: (ByteBuffer) throws -> Void) throws
    /// Whether the coded stream has been seen to its end (trailer, last block, frame end).
    var isComplete: Bool { get }
}

enum DecodeFailure: Error {
    case corrupt(String)
}

func makeTestDecoder(_ coding: ContentCodingName) throws -> any StreamingTestDecoder {
    switch coding {
    case .gzip: return try GzipTestDecoder()
    case .br: return try BrotliTestDecoder()
    case .zstd: return try ZstdTestDecoder()
    }
}

/// Decodes a whole coded body at once (for small cases).
func decodeAll(_ coded: ByteBuffer, coding: ContentCodingName) throws -> (ByteBuffer, complete: Bool) {
    let decoder = try makeTestDecoder(coding)
    var decoded = ByteBuffer()
    try decoder.decode(coded) { piece in
        var piece = piece
        decoded.writeBuffer(&piece)
    }
    return (decoded, decoder.isComplete)
}

final class GzipTestDecoder: StreamingTestDecoder {
    private let decompressor: any NIODecompressor

    init() throws {
        decompressor = CompressionAlgorithm.gzip().decompressor
        try decompressor.startStream()
    }

    func decode(_ chunk: ByteBuffer, sink: (ByteBuffer) throws -> Void) throws {
        var input = chunk
        while true {
            var output = ByteBuffer()
            output.reserveCapacity(64 * 1024)
            var outputFull = false
            do {
                try decompressor.streamInflate(from: &input, to: &output)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                outputFull = true
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                // Z_BUF_ERROR with no input left: zlib needs more input.
            }
            if output.readableBytes > 0 { try sink(output) }
            if input.readableBytes == 0 && !outputFull { return }
        }
    }

    /// zlib keeps answering `Z_STREAM_END` once the trailer (CRC-32 and length, both
    /// checked by inflate) has been read; before that, empty input gives `Z_BUF_ERROR`.
    var isComplete: Bool {
        var empty = ByteBuffer()
        var output = ByteBuffer()
        output.reserveCapacity(64)
        do {
            try decompressor.streamInflate(from: &empty, to: &output)
            return output.readableBytes == 0
        } catch {
            return false
        }
    }
}

final class BrotliTestDecoder: StreamingTestDecoder {
    private let state: OpaquePointer
    private(set) var isComplete = false

    init() throws {
        guard let state = BrotliDecoderCreateInstance(nil, nil, nil) else { throw DecodeFailure.corrupt("no decoder") }
        self.state = state
    }

    deinit { BrotliDecoderDestroyInstance(state) }

    func decode(_ chunk: ByteBuffer, sink: (ByteBuffer) throws -> Void) throws {
        try chunk.withUnsafeReadableBytes { bytes in
            var availableIn = bytes.count
            var nextIn = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
            while true {
                var output = ByteBuffer()
                var result = BROTLI_DECODER_RESULT_ERROR
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: 64 * 1024) { out in
                    var availableOut = out.count
                    var nextOut = out.baseAddress?.assumingMemoryBound(to: UInt8.self)
                    result = BrotliDecoderDecompressStream(state, &availableIn, &nextIn, &availableOut, &nextOut, nil)
                    return out.count - availableOut
                }
                if output.readableBytes > 0 { try sink(output) }
                switch result {
                case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
                    continue
                case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
                    return
                case BROTLI_DECODER_RESULT_SUCCESS:
                    isComplete = true
                    if availableIn > 0 { throw DecodeFailure.corrupt("bytes after the brotli stream") }
                    return
                default:
                    throw DecodeFailure.corrupt(String(cString: BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state))))
                }
            }
        }
    }
}

final class ZstdTestDecoder: StreamingTestDecoder {
    /// RFC 9659 §3: a `zstd` content coding decoder need not accept windows over 8 MiB,
    /// and browsers do not — so the test decoder refuses them too.
    static let windowLogMax: Int32 = 23

    private let context: OpaquePointer
    private(set) var isComplete = false

    init() throws {
        guard let context = ZSTD_createDCtx() else { throw DecodeFailure.corrupt("no decoder") }
        self.context = context
        ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, Self.windowLogMax)
    }

    deinit { ZSTD_freeDCtx(context) }

    func decode(_ chunk: ByteBuffer, sink: (ByteBuffer) throws -> Void) throws {
        try chunk.withUnsafeReadableBytes { bytes in
            var inBuffer = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
            while true {
                var output = ByteBuffer()
                var result = 0
                var outputFull = false
                let consumedBefore = inBuffer.pos
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: 64 * 1024) { out in
                    var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                    result = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                    outputFull = outBuffer.pos == outBuffer.size
                    return outBuffer.pos
                }
                if ZSTD_isError(result) != 0 { throw DecodeFailure.corrupt(String(cString: ZSTD_getErrorName(result))) }
                if output.readableBytes > 0 { try sink(output) }
                // 0 = a frame was decoded and flushed completely; after that, a call with no
                // new input (made because the output was full) hints at the next frame's size.
                if result == 0 {
                    isComplete = true
                } else if inBuffer.pos > consumedBefore || output.readableBytes > 0 {
                    isComplete = false
                }
                if inBuffer.pos == inBuffer.size && !outputFull { return }
            }
        }
    }
}
