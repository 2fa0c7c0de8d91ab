import NIOCore

/// What one call of ``ChunkedScanner/scan(_:)`` found.
///
/// The scanner always moves the buffer's reader index past the bytes it consumed, so in
/// ``ChunkedScanner/Mode/validate`` mode the bytes between the reader index before and after
/// the call are exactly the raw body bytes to forward (see ``ChunkedScanner/scanRaw(_:)``).
public enum ChunkedScanEvent: Sendable, Equatable {
    /// Every readable byte was consumed and belongs to the body; the body has not ended yet.
    /// Feed the next bytes of the stream.
    case needMoreData
    /// Decode mode only: the next piece of chunk-data, a slice of the input buffer (no copy).
    /// Framing bytes (size lines, CRLFs) before it were consumed silently.
    case data(ByteBuffer)
    /// The body ended (`last-chunk trailer-section CRLF` was read). Bytes after it are still
    /// readable in the buffer: they are the next pipelined message. In decode mode carries the
    /// trailer fields in order; in validate mode the array is always empty (the trailers were
    /// validated and are forwarded raw with the rest of the body).
    case end(trailers: [ChunkedTrailerField])
    /// The body is malformed. The reader index stops at the offending byte. Answer 400 when
    /// reading a request, 502 when reading a response, and close the connection: the framing
    /// of anything after this point is unknown.
    case error(ChunkedScanError)
}

/// One trailer field (RFC 9112 §7.1.2) as decoded in ``ChunkedScanner/Mode/decode`` mode.
/// The value has leading and trailing optional whitespace removed (RFC 9110 §5.5); bytes
/// outside ASCII are decoded as UTF-8 with replacement, as NIO does for header values.
public struct ChunkedTrailerField: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// Why a chunked body was rejected, and where.
public struct ChunkedScanError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// A byte other than a hex digit where the chunk size must be (RFC 9112 §7.1: `1*HEXDIG`).
        case invalidChunkSize
        /// The size line has no digits at all.
        case emptyChunkSize
        /// More size digits than the scanner allows, or a size above `Int.max`.
        case chunkSizeOverflow
        /// SP or HTAB where the grammar has none: after the size or a value right before CRLF,
        /// or anywhere in extensions when BWS is not accepted.
        case unexpectedWhitespace
        /// LF without CR in the framing (size line, trailers, end of body).
        case bareLF
        /// CR not followed by LF.
        case bareCR
        /// The bytes after `chunk-size` octets of data are not CRLF.
        case missingCRLFAfterData
        /// `chunk-ext` syntax error: empty or non-token name, empty value, junk after a value.
        case invalidChunkExtension
        /// A control byte (or DEL) inside the size line or a quoted extension value.
        case invalidCharacter
        /// A trailer field name that is empty or not a token, or a line without a colon.
        case invalidTrailerName
        /// SP or HTAB between a trailer field name and its colon (RFC 9112 §5.1).
        case trailerWhitespaceBeforeColon
        /// A trailer line starting with SP or HTAB (obs-fold, RFC 9112 §5.2).
        case trailerLineFolding
        /// A control byte other than HTAB in a trailer field value (RFC 9110 §5.5).
        case invalidTrailerValue
        /// A size line longer than `maxLineLength`.
        case lineTooLong
        /// A trailer section longer than `maxTrailerBytes`.
        case trailersTooLarge

        public var description: String {
            switch self {
            case .invalidChunkSize: "invalid character in chunk size"
            case .emptyChunkSize: "empty chunk size"
            case .chunkSizeOverflow: "chunk size too large"
            case .unexpectedWhitespace: "unexpected whitespace in chunk line"
            case .bareLF: "LF without CR"
            case .bareCR: "CR without LF"
            case .missingCRLFAfterData: "missing CRLF after chunk data"
            case .invalidChunkExtension: "invalid chunk extension"
            case .invalidCharacter: "control character in chunk line"
            case .invalidTrailerName: "invalid trailer field name"
            case .trailerWhitespaceBeforeColon: "whitespace before colon in trailer field"
            case .trailerLineFolding: "obsolete line folding in trailer section"
            case .invalidTrailerValue: "invalid character in trailer field value"
            case .lineTooLong: "chunk size line too long"
            case .trailersTooLarge: "trailer section too large"
            }
        }
    }

    public var reason: Reason
    /// Offset of the offending byte from the first byte of the chunked body.
    public var bodyOffset: Int

    public init(reason: Reason, bodyOffset: Int) {
        self.reason = reason
        self.bodyOffset = bodyOffset
    }

    public var description: String { "\(reason) at body offset \(bodyOffset)" }
}
