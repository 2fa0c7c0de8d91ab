import CompressNIO
import NIOCore
import PorticoCore

/// The `gzip` content coding (RFC 9110 §8.4.1.3, RFC 1952) through CompressNIO's zlib.
///
/// zlib settings: a 32 KiB window (windowBits 15, the largest, which every decoder
/// accepts) and memLevel 8 (zlib's default, 128 KiB of state): together about 256 KiB per
/// response, the same as nginx's defaults.
///
/// CompressNIO reads its input through a mutable pointer, so when the caller still
/// holds `input` the bytes are copied once (copy-on-write) before deflating; a memcpy
/// is cheap next to deflate itself.
final class GzipEncoder: ContentEncoder {
    let coding = ContentCodingName.gzip
    private let compressor: any NIOCompressor
    private var finished = false

    init(level: Int) throws {
        let configuration = ZlibConfiguration(
            windowSize: 15,
            compressionLevel: Int32(level),
            memoryLevel: 8,
            strategy: .default
        )
        compressor = CompressionAlgorithm.gzip(configuration: configuration).compressor
        do {
            try compressor.startStream()
        } catch {
            throw ContentEncoderError.initializationFailed(.gzip, detail: "\(error)")
        }
    }

    deinit {
        try? compressor.finishStream()
    }

    func encode(_ input: ByteBuffer, into output: inout ByteBuffer) throws {
        guard !finished else { throw ContentEncoderError.alreadyFinished(.gzip) }
        guard input.readableBytes > 0 else { return }
        var remaining = input
        try deflate(&remaining, flush: .no, into: &output)
    }

    func flush(into output: inout ByteBuffer) throws {
        guard !finished else { throw ContentEncoderError.alreadyFinished(.gzip) }
        var empty = ByteBuffer()
        try deflate(&empty, flush: .sync, into: &output)
    }

    func finish(into output: inout ByteBuffer) throws {
        guard !finished else { throw ContentEncoderError.alreadyFinished(.gzip) }
        finished = true
        var empty = ByteBuffer()
        try deflate(&empty, flush: .finish, into: &output)
        try? compressor.finishStream()
    }

    /// Runs deflate until zlib has taken all of `input` and, for a flush or finish,
    /// handed over everything it holds, growing `output` as `OutputRoom`
    /// says each time zlib fills it.
    ///
    /// CompressNIO maps zlib's results to errors: `bufferOverflow` stands both for
    /// `Z_BUF_ERROR` (no progress possible — after a repeated sync flush that just
    /// means there is nothing left) and for `Z_OK` under `Z_FINISH` (more output to come).
    private func deflate(_ input: inout ByteBuffer, flush: CompressNIOFlush, into output: inout ByteBuffer) throws {
        var room = OutputRoom(inputBytes: input.readableBytes)
        while true {
            output.reserveCapacity(minimumWritableBytes: room.next())
            let space = output.writableBytes
            let writtenBefore = output.writerIndex
            let unreadBefore = input.readableBytes
            var zlibWantsMoreRoom = false
            do {
                try compressor.streamDeflate(from: &input, to: &output, flush: flush)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                let progressed = output.writerIndex != writtenBefore || input.readableBytes != unreadBefore
                if !progressed {
                    // Z_BUF_ERROR with room to write: zlib has nothing more to give.
                    if flush == .finish {
                        throw ContentEncoderError.encodingFailed(.gzip, detail: "deflate made no progress finishing")
                    }
                    return
                }
                zlibWantsMoreRoom = flush == .finish
            } catch {
                throw ContentEncoderError.encodingFailed(.gzip, detail: "\(error)")
            }
            let filledOutput = output.writerIndex - writtenBefore == space
            if input.readableBytes == 0 && !filledOutput && !zlibWantsMoreRoom {
                return
            }
        }
    }
}
