import CBrotli
import NIOCore
import PorticoCore

/// The `br` content coding (RFC 7932) through libbrotli's streaming encoder.
///
/// The window is 2^19 = 512 KiB (`BROTLI_PARAM_LGWIN` 19, ngx_brotli's default
/// `brotli_window 512k`) rather than libbrotli's 4 MiB default, for two reasons that
/// matter in a proxy serving many responses at once:
/// - memory: the encoder's ring buffer is 2^(lgwin+1), so 1 MiB per large response
///   instead of 8 MiB;
/// - latency: from quality 4 up, libbrotli holds input back until a metablock is full,
///   and the metablock limit grows with the window; with 19 a response's first bytes go
///   out after about 128 KiB of literals instead of 1 MiB (a `flush` sends them sooner).
/// The compression lost on typical web responses (well under 512 KiB) is nil.
final class BrotliEncoder: ContentEncoder {
    /// The brotli window, as log2 of its size.
    static let windowBits: UInt32 = 19

    let coding = ContentCodingName.br
    private let state: OpaquePointer
    private var finished = false

    init(level: Int) throws {
        guard let state = BrotliEncoderCreateInstance(nil, nil, nil) else {
            throw ContentEncoderError.initializationFailed(.br, detail: "BrotliEncoderCreateInstance returned NULL")
        }
        self.state = state
        guard BrotliEncoderSetParameter(state, BROTLI_PARAM_QUALITY, UInt32(level)) == BROTLI_TRUE,
            BrotliEncoderSetParameter(state, BROTLI_PARAM_LGWIN, Self.windowBits) == BROTLI_TRUE
        else {
            BrotliEncoderDestroyInstance(state)
            throw ContentEncoderError.initializationFailed(.br, detail: "BrotliEncoderSetParameter rejected quality \(level)")
        }
    }

    deinit {
        BrotliEncoderDestroyInstance(state)
    }

    func encode(_ input: ByteBuffer, into output: inout ByteBuffer) throws {
        guard !finished else { throw ContentEncoderError.alreadyFinished(.br) }
        guard input.readableBytes > 0 else { return }
        try compress(input, operation: BROTLI_OPERATION_PROCESS, into: &output)
    }

    func flush(into output: inout ByteBuffer) throws {
        guard !finished else { throw ContentEncoderError.alreadyFinished(.br) }
        try compress(ByteBuffer(), operation: BROTLI_OPERATION_FLUSH, into: &output)
    }

    func finish(into output: inout ByteBuffer) throws {
        guard !finished else { throw ContentEncoderError.alreadyFinished(.br) }
        finished = true
        try compress(ByteBuffer(), operation: BROTLI_OPERATION_FINISH, into: &output)
    }

    /// Feeds `input` to the encoder with `operation` and drains its output into
    /// `output`, with room grown as `OutputRoom` says.
    ///
    /// libbrotli's contract (encode.h): PROCESS is done when all input is taken and no
    /// output is pending; FLUSH likewise; FINISH when `BrotliEncoderIsFinished`.
    private func compress(_ input: ByteBuffer, operation: BrotliEncoderOperation, into output: inout ByteBuffer) throws {
        try input.withUnsafeReadableBytes { inputBytes in
            var availableIn = inputBytes.count
            var nextIn = inputBytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
            var room = OutputRoom(inputBytes: inputBytes.count)
            while true {
                var succeeded = true
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: room.next()) { outputBytes in
                    var availableOut = outputBytes.count
                    var nextOut = outputBytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
                    succeeded =
                        BrotliEncoderCompressStream(
                            state, operation, &availableIn, &nextIn, &availableOut, &nextOut, nil
                        ) == BROTLI_TRUE
                    return outputBytes.count - availableOut
                }
                guard succeeded else {
                    throw ContentEncoderError.encodingFailed(.br, detail: "BrotliEncoderCompressStream failed")
                }
                let hasMoreOutput = BrotliEncoderHasMoreOutput(state) == BROTLI_TRUE
                if operation == BROTLI_OPERATION_FINISH {
                    if BrotliEncoderIsFinished(state) == BROTLI_TRUE { return }
                } else if availableIn == 0 && !hasMoreOutput {
                    return
                }
            }
        }
    }
}
