import CZstd
import NIOCore
import PorticoCore

/// The `zstd` content coding (RFC 8878 §7.2, RFC 9659) through libzstd's streaming API.
///
/// RFC 9659 §3 caps the window a `zstd`-coded HTTP response may need at 8 MiB (browsers
/// refuse larger). libzstd's level tables keep levels 1–19 within 2^23 for streams of
/// unknown size (level 19 is exactly 2^23; 20–22 go beyond), which is why
/// `ContentEncoders` clamps the level at 19 rather than pinning `ZSTD_c_windowLog`, which
/// would raise the memory of the common low levels (level 3 uses 2 MiB). A test decodes
/// level-19 output with the decoder's window limited to 2^23.
final class ZstdEncoder: ContentEncoder {
    let coding = ContentCodingName.zstd
    private let context: OpaquePointer
    private var finished = false

    init(level: Int) throws {
        guard let context = ZSTD_createCCtx() else {
            throw ContentEncoderError.initializationFailed(.zstd, detail: "ZSTD_createCCtx returned NULL")
        }
        self.context = context
        let levelResult = ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level))
        if ZSTD_isError(levelResult) != 0 {
            ZSTD_freeCCtx(context)
            throw ContentEncoderError.initializationFailed(.zstd, detail: Self.errorName(levelResult))
        }
    }

    deinit {
        ZSTD_freeCCtx(context)
    }

    func encode(_ input: ByteBuffer, into output: inout ByteBuffer) throws {
        guard !finished else { throw ContentEncoderError.alreadyFinished(.zstd) }
        guard input.readableBytes > 0 else { return }
        try compress(input, directive: ZSTD_e_continue, into: &output)
    }

    func flush(into output: inout ByteBuffer) throws {
        guard !finished else { throw ContentEncoderError.alreadyFinished(.zstd) }
        try compress(ByteBuffer(), directive: ZSTD_e_flush, into: &output)
    }

    func finish(into output: inout ByteBuffer) throws {
        guard !finished else { throw ContentEncoderError.alreadyFinished(.zstd) }
        finished = true
        try compress(ByteBuffer(), directive: ZSTD_e_end, into: &output)
    }

    /// Calls `ZSTD_compressStream2` until libzstd has taken all of `input` and, for
    /// `ZSTD_e_flush` / `ZSTD_e_end`, reports nothing left to write (a return of 0),
    /// with room grown as `OutputRoom` says (zstd.h, "Streaming compression").
    private func compress(_ input: ByteBuffer, directive: ZSTD_EndDirective, into output: inout ByteBuffer) throws {
        try input.withUnsafeReadableBytes { inputBytes in
            var inBuffer = ZSTD_inBuffer(src: inputBytes.baseAddress, size: inputBytes.count, pos: 0)
            var room = OutputRoom(inputBytes: inputBytes.count)
            while true {
                var remaining = 0
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: room.next()) { outputBytes in
                    var outBuffer = ZSTD_outBuffer(dst: outputBytes.baseAddress, size: outputBytes.count, pos: 0)
                    remaining = ZSTD_compressStream2(context, &outBuffer, &inBuffer, directive)
                    return outBuffer.pos
                }
                if ZSTD_isError(remaining) != 0 {
                    throw ContentEncoderError.encodingFailed(.zstd, detail: Self.errorName(remaining))
                }
                let inputTaken = inBuffer.pos == inBuffer.size
                if directive == ZSTD_e_continue ? inputTaken : (inputTaken && remaining == 0) {
                    return
                }
            }
        }
    }

    private static func errorName(_ code: Int) -> String {
        String(cString: ZSTD_getErrorName(code))
    }
}
