import NIOCore
import PorticoCore

/// A streaming compressor for one response body (CONTRACT: implemented by the
/// compression work; signatures are fixed, bodies are placeholders until then).
public protocol ContentEncoder: AnyObject {
    /// The coding's token for `Content-Encoding` (RFC 9110 §8.4.1).
    var coding: ContentCodingName { get }
    /// Compresses `input`, appending whatever output is ready to `output` (possibly
    /// nothing). Memory stays bounded by the coding's window, not the body size.
    func encode(_ input: ByteBuffer, into output: inout ByteBuffer) throws
    /// Emits everything buffered so a client can decode all input given so far
    /// (a sync flush), without ending the stream.
    func flush(into output: inout ByteBuffer) throws
    /// Ends the stream (trailer, checksum); the encoder is unusable afterwards.
    func finish(into output: inout ByteBuffer) throws
}

public enum ContentEncoders {
    /// A fresh encoder for `coding` at the level `config` sets for it.
    public static func make(_ coding: ContentCodingName, config: CompressionConfig) throws -> any ContentEncoder {
        fatalError("placeholder: the compression work implements this")
    }
}

/// Content negotiation on `Accept-Encoding` (RFC 9110 §12.5.3).
public enum ContentNegotiation {
    /// The coding to use for a client that sent `acceptEncoding` (all lines joined;
    /// nil when absent), among `offered` in Portico's order of preference, or nil
    /// for identity (no compression).
    public static func choose(acceptEncoding: String?, offered: [ContentCodingName]) -> ContentCodingName? {
        fatalError("placeholder: the compression work implements this")
    }
}

/// Whether a response may be compressed on the fly.
public enum CompressionEligibility {
    /// - Parameters:
    ///   - status: the final status (never 204, 304, 1xx, or 206).
    ///   - isHEAD: the request was HEAD (the length would change; sent as is).
    ///   - contentType: the response's `Content-Type`, nil when absent.
    ///   - contentEncoding: the response's `Content-Encoding`, nil when absent
    ///     (anything but `identity` means already encoded).
    ///   - cacheControl: the response's `Cache-Control` (`no-transform`, RFC 9111 §5.2.2.6).
    ///   - contentLength: the response's length when known (`min_length`).
    public static func shouldCompress(
        status: Int,
        isHEAD: Bool,
        contentType: String?,
        contentEncoding: String?,
        cacheControl: String?,
        contentLength: Int?,
        config: CompressionConfig
    ) -> Bool {
        fatalError("placeholder: the compression work implements this")
    }
}
