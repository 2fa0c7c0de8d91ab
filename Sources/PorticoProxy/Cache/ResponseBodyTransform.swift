import NIOCore
import PorticoCache
import PorticoCompression
import PorticoCore

/// The work done on a forwarded response body beyond relaying it: removing the
/// upstream's chunk framing, collecting it for the cache, compressing it for the
/// client. Made per response only when one of them applies.
final class ResponseBodyTransform {
    /// The upstream body is chunked: its data is decoded here (the relay itself may
    /// still pass the raw chunks to the client when nothing else changes).
    private var dechunker: ChunkedScanner?
    /// Collected for the store, if the response is stored.
    var capture: CacheCapture?
    /// Compresses what goes to the client (the upstream's framing is then replaced
    /// with chunked, or end-of-connection for HTTP/1.0 clients).
    let encoder: (any ContentEncoder)?
    /// Compressed output is sent as chunks (HTTP/1.1 clients).
    let chunkedOutput: Bool
    /// The client already has its answer (background refresh): nothing is written.
    let discardOutput: Bool

    init(
        upstreamChunked: Bool,
        capture: CacheCapture?,
        encoder: (any ContentEncoder)?,
        chunkedOutput: Bool,
        discardOutput: Bool
    ) {
        self.dechunker = upstreamChunked ? ChunkedScanner(mode: .decode) : nil
        self.capture = capture
        self.encoder = encoder
        self.chunkedOutput = chunkedOutput
        self.discardOutput = discardOutput
    }

    /// The body data in `bytes` (chunk framing removed), fed to the capture too.
    func data(of bytes: ByteBuffer) -> [ByteBuffer] {
        var pieces: [ByteBuffer] = []
        if var scanner = self.dechunker {
            self.dechunker = nil  // keep the scanner uniquely referenced while it mutates
            var input = bytes
            decoding: while true {
                switch scanner.scan(&input) {
                case .data(let data):
                    pieces.append(data)
                default:
                    // The upstream handler validated the framing already.
                    break decoding
                }
            }
            self.dechunker = scanner
        } else {
            pieces.append(bytes)
        }
        if self.capture != nil {
            for piece in pieces { self.capture!.append(piece) }
        }
        return pieces
    }

    /// Compresses `pieces` into client bytes (framed as chunks when `chunkedOutput`).
    func encode(_ pieces: [ByteBuffer]) throws -> ByteBuffer? {
        guard let encoder = self.encoder else { return nil }
        var output = ByteBuffer()
        for piece in pieces where piece.readableBytes > 0 {
            try encoder.encode(piece, into: &output)
        }
        return self.framed(output)
    }

    /// Flushes the encoder at the end of a read cycle so a slow origin's data reaches
    /// the client without waiting for more (streaming, not buffering).
    func flush() throws -> ByteBuffer? {
        guard let encoder = self.encoder else { return nil }
        var output = ByteBuffer()
        try encoder.flush(into: &output)
        return self.framed(output)
    }

    /// The end of the compressed stream, and the last chunk.
    func finish() throws -> ByteBuffer {
        var output = ByteBuffer()
        if let encoder = self.encoder {
            try encoder.finish(into: &output)
        }
        var framed = self.framed(output) ?? ByteBuffer()
        if self.chunkedOutput {
            framed.writeStaticString("0\r\n\r\n")
        }
        return framed
    }

    private func framed(_ output: ByteBuffer) -> ByteBuffer? {
        guard output.readableBytes > 0 else { return nil }
        guard self.chunkedOutput else { return output }
        var framed = ByteBuffer()
        framed.reserveCapacity(output.readableBytes + 12)
        framed.writeString(String(output.readableBytes, radix: 16))
        framed.writeStaticString("\r\n")
        var body = output
        framed.writeBuffer(&body)
        framed.writeStaticString("\r\n")
        return framed
    }
}
