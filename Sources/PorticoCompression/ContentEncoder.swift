import NIOCore
import PorticoCore

/// A streaming compressor for one response body.
///
/// One encoder serves one response and lives on that response's event loop, so it is
/// deliberately not `Sendable` and takes no locks. Every call appends only what the
/// coding has ready, so memory stays bounded by the coding's window (gzip 32 KiB,
/// brotli 512 KiB, zstd ≤ 8 MiB), never by the body's size.
///
/// An encoder may keep input back until it has enough for a good block (brotli from
/// quality 4 up, zstd), so `encode` can return nothing for a while: a caller streaming
/// a slow response should `flush` whenever the origin pauses (e.g. when a read burst
/// ends), so the client is not kept waiting for bytes the proxy already has.
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

/// Why an encoder could not be made or could not go on.
public enum ContentEncoderError: Error, Equatable, CustomStringConvertible {
    /// The compression library refused to set up a stream (out of memory, bad parameter).
    case initializationFailed(ContentCodingName, detail: String)
    /// The compression library reported an error while compressing.
    case encodingFailed(ContentCodingName, detail: String)
    /// `encode`, `flush` or `finish` was called after `finish`.
    case alreadyFinished(ContentCodingName)

    public var description: String {
        switch self {
        case .initializationFailed(let coding, let detail): return "\(coding.rawValue) encoder set-up failed: \(detail)"
        case .encodingFailed(let coding, let detail): return "\(coding.rawValue) encoding failed: \(detail)"
        case .alreadyFinished(let coding): return "\(coding.rawValue) encoder used after finish"
        }
    }
}

public enum ContentEncoders {
    /// A fresh encoder for `coding` at the level `config` sets for it.
    ///
    /// Levels outside a coding's range are clamped rather than rejected (the config
    /// reader validates them; clamping keeps a bad value from failing every response):
    /// gzip 1–9, brotli 0–11, zstd 1–19 (zstd 20–22 need windows over the 8 MiB
    /// RFC 9659 §3 allows for the `zstd` content coding).
    public static func make(_ coding: ContentCodingName, config: CompressionConfig) throws -> any ContentEncoder {
        switch coding {
        case .gzip: return try GzipEncoder(level: clampedLevel(.gzip, config.gzipLevel))
        case .br: return try BrotliEncoder(level: clampedLevel(.br, config.brotliLevel))
        case .zstd: return try ZstdEncoder(level: clampedLevel(.zstd, config.zstdLevel))
        }
    }

    /// The levels Portico accepts for `coding`.
    public static func levelRange(_ coding: ContentCodingName) -> ClosedRange<Int> {
        switch coding {
        case .gzip: return 1...9
        case .br: return 0...11
        case .zstd: return 1...19
        }
    }

    /// `level` brought into `levelRange(coding)`.
    public static func clampedLevel(_ coding: ContentCodingName, _ level: Int) -> Int {
        let range = levelRange(coding)
        return min(max(level, range.lowerBound), range.upperBound)
    }
}

/// How much writable room an encoder asks of the output buffer before each library call.
///
/// The first call asks for about what the input could need (so a tiny response does not
/// allocate 64 KiB), and every further call — made only because the library filled the
/// room it had — asks for twice as much, up to 64 KiB. The buffer thus grows as needed
/// and no worst-case bound for the whole body is ever assumed or allocated.
struct OutputRoom {
    static let maximumStep = 64 * 1024
    private(set) var step: Int

    /// Room for output of `inputBytes` of input (0 for a flush or finish).
    init(inputBytes: Int) {
        step = min(Self.maximumStep, max(4 * 1024, inputBytes / 2 + 64))
    }

    /// The room to ask for now; the next call asks for more.
    mutating func next() -> Int {
        defer { step = min(Self.maximumStep, step * 2) }
        return step
    }
}
